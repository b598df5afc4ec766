package dcc

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/chain"
)

var testConfig = Config{Cycle: 2 * time.Second, Phi: time.Second, Delta: 500 * time.Millisecond}

const genesisTime = int64(1_767_225_600_000_000_000) // 2026-01-01 in Unix nanoseconds

func newCalibrator(t *testing.T) *Calibrator {
	t.Helper()
	c, err := New(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeClock is a node's monotonic clock: it reads offset + rate × (global − origin),
// with the rate num/den, so a clock 10 % fast has num/den = 11/10.
type fakeClock struct {
	origin   int64
	offset   time.Duration
	num, den int64
}

func (f fakeClock) local(global int64) time.Duration {
	return f.offset + time.Duration((global-f.origin)*f.num/f.den)
}

// global inverts local, rounding down.
func (f fakeClock) global(local time.Duration) int64 {
	return f.origin + int64(local-f.offset)*f.den/f.num
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"valid", testConfig, true},
		{"zero cycle", Config{Phi: 1, Delta: 1}, false},
		{"zero phi", Config{Cycle: 1, Delta: 1}, false},
		{"zero delta", Config{Cycle: 1, Phi: 1}, false},
		{"negative", Config{Cycle: -1, Phi: 1, Delta: 1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrBadConfig)) {
				t.Fatalf("New(%+v) = %v", tc.cfg, err)
			}
		})
	}
}

func TestConfigOf(t *testing.T) {
	got := ConfigOf(&chain.Params{CycleMs: 2000, PhiMs: 1000, DeltaMs: 500})
	if got != testConfig {
		t.Fatalf("ConfigOf = %+v, want %+v", got, testConfig)
	}
}

func TestObserveRejects(t *testing.T) {
	for _, tc := range []struct {
		name  string
		epoch uint64
		ts    int64
		recv  time.Duration
		want  error
	}{
		{"same epoch", 5, genesisTime + 20, 20, ErrStale},
		{"older epoch", 4, genesisTime + 20, 20, ErrStale},
		{"same time", 6, genesisTime + 10, 20, ErrTimeNotAfter},
		{"earlier time", 6, genesisTime + 9, 20, ErrTimeNotAfter},
		{"clock backwards", 6, genesisTime + 20, 9, ErrClockBackwards},
		{"next", 6, genesisTime + 20, 20, nil},
		{"gap", 9, genesisTime + 20, 10, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCalibrator(t)
			if err := c.Observe(5, genesisTime+10, 10); err != nil {
				t.Fatal(err)
			}
			err := c.Observe(tc.epoch, tc.ts, tc.recv)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Observe = %v, want %v", err, tc.want)
			}
			if tip, _ := c.Tip(); tc.want != nil && tip.Epoch != 5 {
				t.Fatalf("a rejected block moved the tip to %d", tip.Epoch)
			}
		})
	}
}

func TestNoBlocks(t *testing.T) {
	c := newCalibrator(t)
	if _, err := c.Window(); !errors.Is(err, ErrNoBlocks) {
		t.Fatalf("Window with no blocks: %v", err)
	}
	if _, ok := c.Tip(); ok {
		t.Fatal("Tip with no blocks")
	}
	if c.GlobalCycle() != testConfig.Cycle || c.PrivateCycle() != testConfig.Cycle {
		t.Fatalf("cycles with no blocks: %v %v", c.GlobalCycle(), c.PrivateCycle())
	}
}

// At genesis there is no history: both cycles are the genesis cycle and the local clock
// is taken at face value.
func TestGenesis(t *testing.T) {
	c := newCalibrator(t)
	start := 7 * time.Second
	if err := c.Observe(0, genesisTime, start); err != nil {
		t.Fatal(err)
	}
	w, err := c.Window()
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case w.Epoch() != 1 || w.Start() != start:
		t.Fatalf("window of epoch %d from %v", w.Epoch(), w.Start())
	case w.GlobalCycle() != testConfig.Cycle || w.PrivateCycle() != testConfig.Cycle || w.Calibrated():
		t.Fatalf("GC %v PC %v calibrated %v", w.GlobalCycle(), w.PrivateCycle(), w.Calibrated())
	case w.Age(start+300*time.Millisecond) != 300*time.Millisecond:
		t.Fatalf("age %v", w.Age(start+300*time.Millisecond))
	case w.Phi() != testConfig.Phi || w.Delta() != testConfig.Delta:
		t.Fatalf("Φ %v Δ %v", w.Phi(), w.Delta())
	case w.MineUntil() != start+testConfig.Phi || w.AdmitUntil() != start+testConfig.Phi+testConfig.Delta:
		t.Fatalf("until %v %v", w.MineUntil(), w.AdmitUntil())
	}
	checkBoundaries(t, w)
}

// checkBoundaries checks that the Until readings are the exact last instants of the
// windows and that events before the opening are inside them.
func checkBoundaries(t *testing.T, w Window) {
	t.Helper()
	m, a := w.MineUntil(), w.AdmitUntil()
	if !w.MayMine(m) || w.MayMine(m+1) || !w.MayAdmit(a) || w.MayAdmit(a+1) {
		t.Fatalf("boundaries: mine %v/%v admit %v/%v", w.MayMine(m), w.MayMine(m+1), w.MayAdmit(a), w.MayAdmit(a+1))
	}
	if !w.MayMine(w.Start()-time.Second) || w.Age(w.Start()-time.Second) >= 0 {
		t.Fatalf("an event before the opening: age %v", w.Age(w.Start()-time.Second))
	}
}

// GC is (ts(TB) − ts(TB−k)) / k over the last K epochs, and over what exists before.
func TestGlobalCycle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	c := newCalibrator(t)
	var ts []int64
	now := genesisTime
	for e := range uint64(40) {
		if e > 0 {
			now += int64(time.Second) + rng.Int64N(int64(3*time.Second)) // rounds vary
		}
		ts = append(ts, now)
		if err := c.Observe(e, now, time.Duration(now-genesisTime)); err != nil {
			t.Fatal(err)
		}
		k := min(int(e), K)
		want := testConfig.Cycle
		if k > 0 {
			want = time.Duration((ts[e] - ts[int(e)-k]) / int64(k))
		}
		if got := c.GlobalCycle(); got != want {
			t.Fatalf("epoch %d: GC %v, want %v over %d blocks", e, got, want, k)
		}
		if got := len(c.Samples()); got != k+1 {
			t.Fatalf("epoch %d: %d samples kept, want %d", e, got, k+1)
		}
	}
}

// Missed blocks shorten the window: k counts epochs, not received blocks.
func TestGlobalCycleWithGaps(t *testing.T) {
	c := newCalibrator(t)
	cycle := int64(3 * time.Second)
	for _, e := range []uint64{0, 1, 5, 6, 13, 14} {
		if err := c.Observe(e, genesisTime+int64(e)*cycle, time.Duration(int64(e)*cycle)); err != nil {
			t.Fatal(err)
		}
	}
	s := c.Samples()
	if s[0].Epoch != 5 || c.GlobalCycle() != time.Duration(cycle) || c.PrivateCycle() != time.Duration(cycle) {
		t.Fatalf("oldest epoch %d, GC %v, PC %v", s[0].Epoch, c.GlobalCycle(), c.PrivateCycle())
	}
}

// The windows stay right in global units when the node's clock runs 10 % fast or slow,
// from the first interval on, with fewer than k blocks and with many; latency jitter
// costs at most its share of the measured span.
func TestSkewedClock(t *testing.T) {
	type clockCase struct {
		name     string
		num, den int64
	}
	clocks := []clockCase{{"exact", 1, 1}, {"10% fast", 11, 10}, {"10% slow", 9, 10}}
	for _, ck := range clocks {
		for _, jitter := range []time.Duration{0, 5 * time.Millisecond} {
			t.Run(ck.name+"/jitter "+jitter.String(), func(t *testing.T) {
				testSkewedClock(t, fakeClock{origin: genesisTime, offset: 123 * time.Hour, num: ck.num, den: ck.den}, jitter)
			})
		}
	}
}

func testSkewedClock(t *testing.T, clk fakeClock, jitter time.Duration) {
	rng := rand.New(rand.NewPCG(3, uint64(jitter)))
	c := newCalibrator(t)
	const latency = 40 * time.Millisecond
	ts := genesisTime
	for e := range uint64(30) {
		if e > 0 {
			ts += int64(testConfig.Cycle) + rng.Int64N(int64(200*time.Millisecond))
		}
		recvGlobal := ts + int64(latency)
		if jitter > 0 {
			recvGlobal += rng.Int64N(int64(jitter))
		}
		if err := c.Observe(e, ts, clk.local(recvGlobal)); err != nil {
			t.Fatal(err)
		}
		w, err := c.Window()
		if err != nil {
			t.Fatal(err)
		}
		checkBoundaries(t, w)
		if e == 0 {
			continue // no interval yet: the clock's rate cannot be known
		}
		if !w.Calibrated() {
			t.Fatalf("epoch %d: not calibrated", e)
		}
		// Latency jitter J moves each end of the measured span by up to J.
		span := time.Duration(min(e, K)) * testConfig.Cycle
		tol := time.Duration(float64(testConfig.Phi+testConfig.Delta)*2*float64(jitter)/float64(span)) + time.Microsecond
		if e >= K && tol > testConfig.Phi/100 {
			t.Fatalf("tolerance %v over a full span is above 1 %% of Φ", tol)
		}
		for _, lim := range []struct {
			name   string
			until  time.Duration
			window time.Duration
			may    func(time.Duration) bool
		}{
			{"mine", w.MineUntil(), testConfig.Phi, w.MayMine},
			{"admit", w.AdmitUntil(), testConfig.Phi + testConfig.Delta, w.MayAdmit},
		} {
			want := recvGlobal + int64(lim.window)
			if got := clk.global(lim.until); abs(got-want) > int64(tol) {
				t.Fatalf("epoch %d: %s window closes %v off in global time (tolerance %v)", e, lim.name, time.Duration(got-want), tol)
			}
			inside := clk.local(want - int64(tol) - int64(time.Millisecond))
			outside := clk.local(want + int64(tol) + int64(time.Millisecond))
			if !lim.may(inside) || lim.may(outside) {
				t.Fatalf("epoch %d: %s 1 ms inside %v, 1 ms outside %v", e, lim.name, lim.may(inside), lim.may(outside))
			}
		}
		// GC/PC is the inverse of the clock's rate.
		got := float64(w.GlobalCycle()) / float64(w.PrivateCycle())
		want := float64(clk.den) / float64(clk.num)
		if math.Abs(got-want) > want*(2*float64(jitter)/float64(span)+1e-6) {
			t.Fatalf("epoch %d: GC/PC = %.6f, want %.6f", e, got, want)
		}
	}
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// Receipts that are not live (a sync burst, a suspended laptop) restart the
// calibration; the global cycle, from certified times only, is unaffected.
func TestNotLiveRestartsCalibration(t *testing.T) {
	cycle := time.Duration(testConfig.Cycle)
	type receipt struct {
		epoch uint64
		recv  time.Duration
	}
	var burst, suspend []receipt
	for e := range uint64(20) {
		// Epochs 0..9 arrive at once at the end of a sync, then live.
		recv := time.Hour
		if e > 9 {
			recv += time.Duration(e-9) * cycle
		}
		burst = append(burst, receipt{e, recv})
		// Epochs 0..9 live, then the machine sleeps through epochs 10..17: its
		// monotonic clock stands still while the chain moves on.
		switch {
		case e < 10:
			suspend = append(suspend, receipt{e, time.Duration(e) * cycle})
		case e >= 18:
			suspend = append(suspend, receipt{e, time.Duration(e-8) * cycle})
		}
	}
	for _, tc := range []struct {
		name     string
		receipts []receipt
		restart  uint64 // the epoch from which calibration starts again
	}{
		{"sync burst", burst, 9},
		{"suspend", suspend, 18},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCalibrator(t)
			for _, r := range tc.receipts {
				e := r.epoch
				if err := c.Observe(e, genesisTime+int64(time.Duration(e)*cycle), r.recv); err != nil {
					t.Fatal(err)
				}
				w, err := c.Window()
				if err != nil {
					t.Fatal(err)
				}
				if e >= 1 && w.GlobalCycle() != cycle {
					t.Fatalf("epoch %d: GC %v", e, w.GlobalCycle())
				}
				switch {
				case e == tc.restart && w.Calibrated():
					t.Fatalf("epoch %d: still calibrated from receipts that were not live", e)
				case e > tc.restart && (!w.Calibrated() || w.PrivateCycle() != cycle):
					t.Fatalf("epoch %d: calibrated %v, PC %v", e, w.Calibrated(), w.PrivateCycle())
				case e >= tc.restart && w.MineUntil() != w.Start()+testConfig.Phi:
					t.Fatalf("epoch %d: mining closes %v after receipt", e, w.MineUntil()-w.Start())
				}
			}
		})
	}
}

func TestReset(t *testing.T) {
	c := newCalibrator(t)
	for e := range uint64(3) {
		if err := c.Observe(e, genesisTime+int64(e), time.Duration(e)); err != nil {
			t.Fatal(err)
		}
	}
	c.Reset()
	if _, err := c.Window(); !errors.Is(err, ErrNoBlocks) {
		t.Fatalf("after Reset: %v", err)
	}
	if err := c.Observe(1, genesisTime, 0); err != nil {
		t.Fatalf("an older block after Reset: %v", err)
	}
}

// Window boundaries are exact for any rate, including extreme ones, and never overflow.
func TestWindowBoundariesRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 2000 {
		w := Window{
			start:  time.Duration(rng.Int64N(int64(1000 * time.Hour))),
			global: 1 + rng.Uint64N(uint64(time.Hour)),
			local:  1 + rng.Uint64N(uint64(time.Hour)),
			phi:    time.Duration(1 + rng.Int64N(int64(time.Minute))),
			delta:  time.Duration(1 + rng.Int64N(int64(time.Minute))),
		}
		if i%10 == 0 {
			w.local = 0
		}
		checkBoundaries(t, w)
	}
	w := Window{start: time.Hour, global: math.MaxInt64, local: 1, phi: time.Second, delta: time.Second}
	if got := w.Age(math.MaxInt64); got != math.MaxInt64 {
		t.Fatalf("saturated age %v", got)
	}
	w = Window{start: time.Hour, global: 1, local: math.MaxInt64, phi: time.Second, delta: time.Second}
	if got := w.MineUntil(); got != math.MaxInt64 {
		t.Fatalf("saturated deadline %v", got)
	}
}

// TestCyclesShowTheRate: after a sync burst, while the network's cycle changes, the
// two cycles Cycles reports span the same live blocks, so their ratio is the clock's
// rate (10 % fast here); GlobalCycle over every block against PrivateCycle over the
// live ones is not.
func TestCyclesShowTheRate(t *testing.T) {
	c := newCalibrator(t)
	clock := fakeClock{origin: genesisTime, offset: time.Hour, num: 11, den: 10}
	ts := genesisTime
	// Epochs 1..5 arrive in a burst, fetched at once; then live, 2 s apart at first
	// and 3 s apart later, as when the network slows down under a partition.
	for e := uint64(1); e <= 12; e++ {
		step := 2 * time.Second
		if e > 8 {
			step = 3 * time.Second
		}
		ts += int64(step)
		recv := clock.local(genesisTime + int64(10*time.Second))
		if e > 5 {
			recv = clock.local(ts)
		}
		if err := c.Observe(e, ts, recv); err != nil {
			t.Fatal(err)
		}
	}
	gc, pc, blocks := c.Cycles()
	if rate := float64(pc) / float64(gc); math.Abs(rate-1.1) > 1e-6 {
		t.Fatalf("Cycles: %v and %v from %d blocks, rate %.4f, want 1.1", gc, pc, blocks, rate)
	}
	// The burst's last block came when it would have live, so the span starts there.
	if blocks != 8 {
		t.Fatalf("%d live blocks, want 8 (epochs 5 to 12)", blocks)
	}
	if rate := float64(c.PrivateCycle()) / float64(c.GlobalCycle()); math.Abs(rate-1.1) < 0.01 {
		t.Fatalf("the mixed spans give the rate %.4f too: the test shows nothing", rate)
	}
	empty := newCalibrator(t)
	if g, p, n := empty.Cycles(); g != testConfig.Cycle || p != testConfig.Cycle || n != 0 {
		t.Fatalf("no blocks: %v, %v, %d", g, p, n)
	}
}

// TestImplausibleRateRejected: receipts delayed by less than the factor MaxRateSkew
// that marks them not live (a partition, a paused process, a slow link) stay in the
// span and once made the rate swing far from any clock's (the nemesis saw 0.28 and
// 1.99 for a clock 10 % fast, docs/reliability.md). The calibration now uses the
// longest span ending at the tip whose rate is within [1/MaxClockRate,
// MaxClockRate], and takes the clock at face value when there is none.
func TestImplausibleRateRejected(t *testing.T) {
	type obs struct {
		epoch uint64
		late  time.Duration // how long after its live receipt the block came, locally
	}
	for _, tc := range []struct {
		name       string
		blocks     []obs
		wantRate   float64 // private/global, 1 at face value
		wantBlocks int
	}{
		{
			// Epoch 4 arrives 2.5 s late: its interval is 3.6 s against 1 s, under the
			// factor 4. The span 1..4 reads 1.93, 2..4 and 3..4 more.
			name:     "the tip late",
			blocks:   []obs{{0, 0}, {1, 0}, {2, 0}, {3, 0}, {4, 2500 * time.Millisecond}},
			wantRate: 1, wantBlocks: 1,
		},
		{
			// Then epoch 7 on time (5 and 6 missed while 4 was on its way).
			name:     "the next block on time",
			blocks:   []obs{{0, 0}, {1, 0}, {2, 0}, {3, 0}, {4, 2500 * time.Millisecond}, {7, 0}},
			wantRate: 1.1, wantBlocks: 6,
		},
		{
			// Following began 0.7 s late: the span 0..2 reads 0.75, 1..2 the clock.
			name:     "the first late",
			blocks:   []obs{{0, 700 * time.Millisecond}, {1, 0}, {2, 0}},
			wantRate: 1.1, wantBlocks: 2,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Cycle: time.Second, Phi: 600 * time.Millisecond, Delta: 400 * time.Millisecond}
			c, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			clock := fakeClock{origin: genesisTime, offset: time.Hour, num: 11, den: 10}
			for _, o := range tc.blocks {
				ts := genesisTime + int64(o.epoch)*int64(time.Second)
				if err := c.Observe(o.epoch, ts, clock.local(ts)+o.late); err != nil {
					t.Fatal(err)
				}
			}
			gc, pc, blocks := c.Cycles()
			rate := float64(pc) / float64(gc)
			if math.Abs(rate-tc.wantRate) > 1e-6 || blocks != tc.wantBlocks {
				t.Fatalf("Cycles: %v and %v from %d blocks, rate %.4f; want the rate %.4f from %d", gc, pc, blocks, rate, tc.wantRate, tc.wantBlocks)
			}
			w, err := c.Window()
			if err != nil {
				t.Fatal(err)
			}
			if w.PrivateCycle() != pc || w.GlobalCycle() != c.GlobalCycle() {
				t.Fatalf("the window's cycles %v and %v, the clock line's %v and %v", w.GlobalCycle(), w.PrivateCycle(), gc, pc)
			}
			if w.Calibrated() != (tc.wantRate != 1) {
				t.Fatalf("window calibrated %v at the rate %.4f", w.Calibrated(), rate)
			}
			// The mining window closes Φ of global time after the tip's receipt, as
			// this clock measures Φ: at face value, Φ on the local clock.
			if got, want := w.MineUntil()-w.Start(), time.Duration(float64(cfg.Phi)*tc.wantRate); got < want-time.Microsecond || got > want+time.Microsecond {
				t.Fatalf("mining window %v, want %v", got, want)
			}
		})
	}
}
