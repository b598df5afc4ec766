package market

import (
	"math"
	"testing"
)

func TestSalePerSecond(t *testing.T) {
	for _, c := range []struct {
		s    Sale
		want uint64
	}{
		{Sale{Charge: 20, WallTimeMs: 10_000}, 2},
		{Sale{Charge: 25, WallTimeMs: 10_000}, 3}, // 2.5 rounds up
		{Sale{Charge: 24, WallTimeMs: 10_000}, 2},
		{Sale{Charge: 22, WallTimeMs: 10_500}, 2}, // 11 whole seconds, as chain.Charge counts
		{Sale{Charge: 7, WallTimeMs: 1}, 7},       // one second
		{Sale{Charge: 7, WallTimeMs: 0}, 7},
		{Sale{Charge: math.MaxUint64, WallTimeMs: 2000}, math.MaxUint64/2 + 1},
	} {
		if got := c.s.PerSecond(); got != c.want {
			t.Errorf("%+v: PerSecond = %d, want %d", c.s, got, c.want)
		}
	}
}

func TestSuggestPrice(t *testing.T) {
	at := func(e, perSec uint64) Sale { return Sale{Epoch: e, Charge: perSec * 10, WallTimeMs: 10_000} }
	ref := Machine{Cores: 2, JobRate: ReferenceJobRate}
	for _, c := range []struct {
		name   string
		m      Machine
		sales  []Sale
		h      uint64
		max    uint32
		price  uint64
		slots  uint32
		deals  int
		reason string
	}{
		{"no deals, reference machine", ref, nil, 500, 64, DefaultPrice, 2, 0,
			"Suggested 1 coin a second of a job's time limit: no deal was accepted in the last 100 epochs, so it starts from the default of 1, × 1.00 for this machine's job speed (200 M iterations/s a core, against 200 M); 2 slots for its 2 cores."},
		{"odd count: the median", ref, []Sale{at(450, 9), at(460, 2), at(470, 4)}, 500, 64, 4, 2, 3,
			"Suggested 4 coins a second of a job's time limit: median of 3 deals accepted in the last 100 epochs, 4, × 1.00 for this machine's job speed (200 M iterations/s a core, against 200 M); 2 slots for its 2 cores."},
		{"even count: the lower middle", ref, []Sale{at(450, 9), at(460, 2), at(470, 4), at(480, 6)}, 500, 64, 4, 2, 4, ""},
		{"old deals left out", ref, []Sale{at(400, 50), at(401, 3)}, 500, 64, 3, 2, 1, ""},
		{"all deals too old", ref, []Sale{at(100, 50)}, 500, 64, DefaultPrice, 2, 0, ""},
		{"a deal beyond the height is not counted", ref, []Sale{at(501, 50)}, 500, 64, DefaultPrice, 2, 0, ""},
		{"early chain: epochs below the window", ref, []Sale{at(1, 5)}, 3, 64, 5, 2, 1, ""},
		{"fast machine: times 1.5", Machine{Cores: 8, JobRate: 300e6}, []Sale{at(490, 10)}, 500, 64, 15, 8, 1,
			"Suggested 15 coins a second of a job's time limit: median of 1 deal accepted in the last 100 epochs, 10, × 1.50 for this machine's job speed (300 M iterations/s a core, against 200 M); 8 slots for its 8 cores."},
		{"very fast machine: at most twice", Machine{Cores: 4, JobRate: 10 * ReferenceJobRate}, []Sale{at(490, 10)}, 500, 64, 20, 4, 1, ""},
		{"slow machine: at least half", Machine{Cores: 1, JobRate: 1e6}, []Sale{at(490, 10)}, 500, 64, 5, 1, 1, ""},
		{"slow machine at the default: still 1", Machine{Cores: 1, JobRate: 1e6}, nil, 500, 64, 1, 1, 0, ""},
		{"not measured", Machine{}, []Sale{at(490, 7)}, 500, 64, 7, 1, 1,
			"Suggested 7 coins a second of a job's time limit: median of 1 deal accepted in the last 100 epochs, 7, not adjusted: this machine's capacity check has not run; 1 slot: the number of cores is not known."},
		{"slots within the chain's bound", Machine{Cores: 256, JobRate: ReferenceJobRate}, nil, 500, 64, 1, 64, 0, ""},
		{"a huge price is kept exactly", ref, []Sale{{Epoch: 490, Charge: math.MaxUint64, WallTimeMs: 1000}}, 500, 64, math.MaxUint64, 2, 1, ""},
		{"a huge price does not overflow", Machine{Cores: 2, JobRate: 2 * ReferenceJobRate}, []Sale{{Epoch: 490, Charge: math.MaxUint64, WallTimeMs: 1000}}, 500, 64, math.MaxUint64, 2, 1, ""},
	} {
		got := SuggestPrice(c.m, c.sales, c.h, c.max)
		if got.Price != c.price || got.Slots != c.slots || got.Deals != c.deals {
			t.Errorf("%s: price %d, slots %d, deals %d; want %d, %d, %d (%s)", c.name, got.Price, got.Slots, got.Deals, c.price, c.slots, c.deals, got.Reason)
		}
		if c.reason != "" && got.Reason != c.reason {
			t.Errorf("%s: reason\n%s\nwant\n%s", c.name, got.Reason, c.reason)
		}
	}
}
