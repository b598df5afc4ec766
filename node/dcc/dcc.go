package dcc

import (
	"fmt"
	"time"

	"github.com/daolicloud/daoli/node/chain"
)

// The global cycle is measured over the last K certified blocks: K = W + I − 1.
const (
	W = 11
	I = 2
	K = W + I - 1
)

// MaxRateSkew bounds how far the local length of one receive interval may stray from
// its certified length before the receipts are taken as not live. Real clocks drift by
// a few percent; a factor of 4 is a sync burst, a suspend, or a block stuck in transit.
const MaxRateSkew = 4

// MaxClockRate bounds the rate a calibration may give a clock: its private cycle
// over its global cycle, within [1/MaxClockRate, MaxClockRate]. Real clocks drift by
// parts per million, a misset one by a few percent; a span that shows a clock 25 %
// fast or 20 % slow measures when receipts were delayed (a partition, a paused
// process, a slow link), not the clock. Such a span is not used (span).
const MaxClockRate = float64(maxRateNum) / maxRateDen

// MaxClockRate as an exact fraction, for integer arithmetic.
const (
	maxRateNum = 5
	maxRateDen = 4
)

// Config holds the chain's timing constants.
type Config struct {
	Cycle time.Duration // genesis cycle length: used until a second block is seen
	Phi   time.Duration // Φ: miners mine while δ ≤ Φ
	Delta time.Duration // Δ: trustees admit tickets while δ ≤ Φ + Δ
}

// ConfigOf takes the timing constants from a chain's genesis parameters.
func ConfigOf(p *chain.Params) Config {
	ms := func(v uint64) time.Duration { return time.Duration(v) * time.Millisecond }
	return Config{Cycle: ms(p.CycleMs), Phi: ms(p.PhiMs), Delta: ms(p.DeltaMs)}
}

// Sample is one observed certified block.
type Sample struct {
	Epoch    uint64
	Time     int64         // ts(B): BFT time, Unix nanoseconds
	Received time.Duration // the node's monotonic reading when it received B
}

// Calibrator keeps the last K+1 observed blocks and derives the cycles and the windows
// from them. It is not safe for concurrent use.
type Calibrator struct {
	cfg     Config
	samples []Sample // oldest first, none more than K epochs older than the newest
	live    int      // samples[live:] were received live and may calibrate the clock
}

// New returns a Calibrator with no blocks observed.
func New(cfg Config) (*Calibrator, error) {
	if cfg.Cycle <= 0 || cfg.Phi <= 0 || cfg.Delta <= 0 {
		return nil, fmt.Errorf("%w: cycle %v, Φ %v, Δ %v must be positive", ErrBadConfig, cfg.Cycle, cfg.Phi, cfg.Delta)
	}
	return &Calibrator{cfg: cfg, samples: make([]Sample, 0, K+1)}, nil
}

// Config returns the timing constants.
func (c *Calibrator) Config() Config { return c.cfg }

// Observe records certified block `epoch` with BFT time ts, received at local reading
// recv. Blocks must come in increasing epochs (gaps are fine), with increasing
// certified times and non-decreasing receive times. The genesis block may be observed
// as epoch 0 with the genesis time and the reading at which the node began to follow
// the chain.
func (c *Calibrator) Observe(epoch uint64, ts int64, recv time.Duration) error {
	if n := len(c.samples); n > 0 {
		tip := c.samples[n-1]
		switch {
		case epoch <= tip.Epoch:
			return fmt.Errorf("%w: epoch %d, newest is %d", ErrStale, epoch, tip.Epoch)
		case ts <= tip.Time:
			return fmt.Errorf("%w: %d after %d", ErrTimeNotAfter, ts, tip.Time)
		case recv < tip.Received:
			return fmt.Errorf("%w: %v after %v", ErrClockBackwards, recv, tip.Received)
		}
		if skewed(ts-tip.Time, int64(recv-tip.Received)) {
			c.live = n
		}
	}
	c.samples = append(c.samples, Sample{Epoch: epoch, Time: ts, Received: recv})
	drop := 0
	for c.samples[drop].Epoch+K < epoch {
		drop++
	}
	if drop > 0 {
		c.samples = append(c.samples[:0], c.samples[drop:]...)
		c.live = max(0, c.live-drop)
	}
	return nil
}

// skewed reports whether an interval's certified and local lengths differ by more than
// a factor MaxRateSkew, or overflowed.
func skewed(global, local int64) bool {
	return global <= 0 || local < 0 || local < global/MaxRateSkew || global < local/MaxRateSkew
}

// Reset forgets every observed block, for a node that lost track of the chain.
func (c *Calibrator) Reset() {
	c.samples = c.samples[:0]
	c.live = 0
}

// Tip returns the newest observed block.
func (c *Calibrator) Tip() (Sample, bool) {
	if len(c.samples) == 0 {
		return Sample{}, false
	}
	return c.samples[len(c.samples)-1], true
}

// Samples returns a copy of the blocks the cycles are computed from, oldest first.
func (c *Calibrator) Samples() []Sample { return append([]Sample(nil), c.samples...) }

// GlobalCycle is GC = (ts(TB) − ts(TB−k)) / k over the observed blocks of the last K
// epochs, or the genesis cycle length while fewer than two are known.
func (c *Calibrator) GlobalCycle() time.Duration {
	n := len(c.samples)
	if n < 2 {
		return c.cfg.Cycle
	}
	first, last := c.samples[0], c.samples[n-1]
	return time.Duration((last.Time - first.Time) / int64(last.Epoch-first.Epoch))
}

// Window returns the windows of the epoch after the newest observed block, measured
// from its receipt.
func (c *Calibrator) Window() (Window, error) {
	n := len(c.samples)
	if n == 0 {
		return Window{}, ErrNoBlocks
	}
	tip := c.samples[n-1]
	w := Window{
		epoch: tip.Epoch + 1,
		start: tip.Received,
		gc:    c.GlobalCycle(),
		phi:   c.cfg.Phi,
		delta: c.cfg.Delta,
	}
	w.pc = w.gc
	if i, ok := c.span(); ok {
		// The same blocks give both spans, so their ratio is the clock's rate alone,
		// whatever the cycles were.
		first := c.samples[i]
		w.global = uint64(tip.Time - first.Time)
		w.local = uint64(tip.Received - first.Received)
		w.pc = time.Duration(w.local / (tip.Epoch - first.Epoch))
	}
	return w, nil
}

// span is the first block of the span the clock is calibrated over: the longest run
// of live blocks ending at the tip whose rate (local over certified length) is
// plausible, within [1/MaxClockRate, MaxClockRate]. The rate of a span depends on its
// two ends alone, so a receipt delayed at its start is left out by a shorter span; with
// none plausible (the tip's own receipt was delayed) the clock is taken at face value
// until the next block. ok is false with fewer than two live blocks.
func (c *Calibrator) span() (int, bool) {
	n := len(c.samples)
	if n == 0 {
		return 0, false
	}
	tip := c.samples[n-1]
	for i := c.live; i < n-1; i++ {
		first := c.samples[i]
		if first.Epoch < tip.Epoch && plausible(tip.Time-first.Time, int64(tip.Received-first.Received)) {
			return i, true
		}
	}
	return n - 1, false
}

// plausible reports whether a span's local length over its certified length is a
// clock's rate: within [1/MaxClockRate, MaxClockRate]. Spans are at most K+1 epochs of
// certified time, far from overflowing.
func plausible(global, local int64) bool {
	return global > 0 && local > 0 &&
		local*maxRateDen <= global*maxRateNum && global*maxRateDen <= local*maxRateNum
}

// Cycles are the global and the private cycle over the span the clock is calibrated
// over (span: blocks received live in the last K epochs, at a plausible rate; blocks
// of them), so that global/private is the local clock's rate against the network's
// even while the cycle changes: what a node shows of its calibration, and what its
// windows use. GlobalCycle spans every observed block, PrivateCycle the calibration's
// span only; their ratio mixes two spans. Without a span (fewer than two blocks,
// reported as 0 or 1) both are GlobalCycle: the clock is taken at face value.
func (c *Calibrator) Cycles() (global, private time.Duration, blocks int) {
	n := len(c.samples)
	if n == 0 {
		return c.cfg.Cycle, c.cfg.Cycle, 0
	}
	i, ok := c.span()
	if !ok {
		gc := c.GlobalCycle()
		return gc, gc, n - i
	}
	first, tip := c.samples[i], c.samples[n-1]
	e := int64(tip.Epoch - first.Epoch)
	return time.Duration((tip.Time - first.Time) / e), (tip.Received - first.Received) / time.Duration(e), n - i
}

// PrivateCycle is PC_N = (recv(TB) − recv(TB−k)) / k over the calibration's span
// (span), or the global cycle without one.
func (c *Calibrator) PrivateCycle() time.Duration {
	w, err := c.Window()
	if err != nil {
		return c.cfg.Cycle
	}
	return w.pc
}
