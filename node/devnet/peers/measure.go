package peers

import (
	"context"
	"fmt"
	"time"
)

// CometOptions is a CometBFT run: the idle window for the block interval, then each
// offered rate for Step, waiting up to Drain after each for the mempools to empty.
type CometOptions struct {
	Idle  time.Duration
	Rates []float64
	Step  time.Duration
	Drain time.Duration
	Logf  func(string, ...any)
}

// MeasureComet measures a running testnet: the block interval with no load over
// o.Idle, then, for each rate, the load generator for o.Step and the blocks committed
// from its start until the mempools are empty (or o.Drain has passed).
func MeasureComet(ctx context.Context, c *Comet, o CometOptions) (Report, error) {
	var r Report
	url := c.RPC[0]
	if err := c.WaitHeight(ctx, 3, 2*time.Minute); err != nil {
		return r, err
	}
	h0, err := Height(ctx, url)
	if err != nil {
		return r, err
	}
	cpu0, err := c.CPU()
	if err != nil {
		return r, err
	}
	sleep(ctx, o.Idle)
	cpu1, err := c.CPU()
	if err != nil {
		return r, err
	}
	h1, err := Height(ctx, url)
	if err != nil {
		return r, err
	}
	idle, err := Blocks(ctx, url, h0, h1)
	if err != nil {
		return r, err
	}
	iv := Intervals(idle)
	if len(iv) == 0 {
		return r, fmt.Errorf("%w: no block in %v with no load", ErrTimeout, o.Idle)
	}
	r.CometIdleP50, r.CometIdleP90 = Quantile(iv, 0.5), Quantile(iv, 0.9)
	// The blocks h0+1..h1 were made within the window (h0's before it).
	r.CometIdleCPUPerBlock = (cpu1 - cpu0) / time.Duration(len(iv))
	for i, rate := range o.Rates {
		from, err := Height(ctx, url)
		if err != nil {
			return r, err
		}
		cpu0, err := c.CPU()
		if err != nil {
			return r, err
		}
		lr, err := Load(ctx, c.RPC, fmt.Sprintf("s%d", i), rate, o.Step)
		if err != nil {
			return r, err
		}
		deadline := time.Now().Add(o.Drain)
		for time.Now().Before(deadline) {
			pending := 0
			for _, u := range c.RPC {
				n, err := Unconfirmed(ctx, u)
				if err != nil {
					return r, err
				}
				pending += n
			}
			if pending == 0 {
				break
			}
			sleep(ctx, 100*time.Millisecond)
		}
		to, err := Height(ctx, url)
		if err != nil {
			return r, err
		}
		cpu1, err := c.CPU()
		if err != nil {
			return r, err
		}
		bs, err := Blocks(ctx, url, from+1, to)
		if err != nil {
			return r, err
		}
		rt, total, _ := CommittedRate(bs)
		st := CometStep{Offered: rate, Sent: lr.Sent, Rejected: lr.Rejected, SentRate: float64(lr.Sent) / lr.Took.Seconds(),
			Committed: total, Rate: rt, Blocks: len(bs), Interval: Quantile(Intervals(bs), 0.5)}
		if total > 0 {
			st.CPUPerTx = (cpu1 - cpu0) / time.Duration(total)
		}
		r.CometSteps = append(r.CometSteps, st)
		if o.Logf != nil {
			o.Logf("cometbft: offered %.0f tx/s, sent %.0f tx/s, committed %d of %d at %.0f tx/s in %d blocks (first error: %v)",
				rate, st.SentRate, total, lr.Sent, rt, len(bs), lr.Err)
		}
	}
	return r, nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
