package market

import (
	"fmt"
	"math"
	"slices"
)

// The suggested price (docs/market.md, "Pricing"): what a provider could ask, from
// the prices of the deals accepted recently and this machine's capacity check.
const (
	// PriceWindow is how far back, in epochs, the suggestion reads accepted deals.
	PriceWindow = 100
	// DefaultPrice is where the suggestion starts when no deal was accepted in the
	// window: the price a provider asks by default (daoli node --price).
	DefaultPrice = 1
	// ReferenceJobRate is the jobs' workload on one core of a reference machine, in
	// iterations a second of the capacity check (capacity.JobWorkload): about an
	// unloaded core of a recent server or laptop.
	ReferenceJobRate = 200e6
	// MinSpeedFactor and MaxSpeedFactor bound the machine's adjustment: with the
	// chain offering each deal to the cheapest provider that fits, a price far from
	// the going one gets no deals (too high) or gives work away (too low).
	MinSpeedFactor = 0.5
	MaxSpeedFactor = 2
)

// Sale is a deal a provider accepted, as a verified block showed it.
type Sale struct {
	Epoch      uint64 // of the block that holds the accept
	Charge     uint64 // the accepted charge
	WallTimeMs uint64 // the deal's wall-time limit, which the charge is the price times
}

// PerSecond is the sale's price per second of its wall-time limit: the charge over
// the limit in whole seconds, as chain.Charge counts them, rounded to the nearest.
func (s Sale) PerSecond() uint64 {
	secs := s.WallTimeMs/1000 + min(s.WallTimeMs%1000, 1)
	if secs == 0 {
		return s.Charge
	}
	return s.Charge/secs + min((s.Charge%secs)*2/secs, 1)
}

// Machine is what the capacity check measured of this computer.
type Machine struct {
	Cores   int     // cores it shares jobs on; 0: not known
	JobRate float64 // the jobs' workload on one core, iterations a second; 0: not measured
}

// Suggestion is a price and a number of slots for a provider, and how they were reached.
type Suggestion struct {
	Price uint64
	Slots uint32
	// Deals is how many accepted deals of the window it read; Base is their median
	// price per second, or DefaultPrice when there are none.
	Deals int
	Base  uint64
	// Factor is the machine's job speed against ReferenceJobRate, within the bounds;
	// 1 when the machine was not measured.
	Factor float64
	// Reason says in one sentence how Price and Slots were reached.
	Reason string
}

// SuggestPrice computes a provider's suggested price and slots at height h from the
// sales the node saw (those older than PriceWindow epochs are left out) and the
// machine m. The price is the median price per second of the recent sales (the
// lower of the two middle ones for an even count), or DefaultPrice without any,
// times the machine's speed factor, rounded, at least 1; the slots are one a core,
// as a job runs on one core, within 1 and maxSlots.
func SuggestPrice(m Machine, sales []Sale, h uint64, maxSlots uint32) Suggestion {
	var prices []uint64
	for _, s := range sales {
		if s.Epoch+PriceWindow > h && s.Epoch <= h {
			prices = append(prices, s.PerSecond())
		}
	}
	slices.Sort(prices)
	sg := Suggestion{Deals: len(prices), Base: DefaultPrice, Factor: 1}
	if len(prices) > 0 {
		sg.Base = prices[(len(prices)-1)/2]
	}
	if m.JobRate > 0 {
		sg.Factor = min(max(m.JobRate/ReferenceJobRate, MinSpeedFactor), MaxSpeedFactor)
	}
	p := math.Round(float64(sg.Base) * sg.Factor)
	switch {
	case sg.Factor == 1:
		sg.Price = sg.Base // exact, where a float would round a large price
	case p < 1:
		sg.Price = 1
	case p >= math.MaxUint64:
		sg.Price = math.MaxUint64
	default:
		sg.Price = uint64(p)
	}
	sg.Slots = uint32(min(max(m.Cores, 1), int(max(maxSlots, 1))))
	sg.Reason = sg.reason(m)
	return sg
}

func (sg Suggestion) reason(m Machine) string {
	from := fmt.Sprintf("no deal was accepted in the last %d epochs, so it starts from the default of %d", PriceWindow, DefaultPrice)
	if sg.Deals > 0 {
		from = fmt.Sprintf("median of %d %s accepted in the last %d epochs, %d", sg.Deals, pluralize(sg.Deals, "deal", "deals"), PriceWindow, sg.Base)
	}
	speed := "not adjusted: this machine's capacity check has not run"
	if m.JobRate > 0 {
		speed = fmt.Sprintf("× %.2f for this machine's job speed (%.0f M iterations/s a core, against %.0f M)", sg.Factor, m.JobRate/1e6, ReferenceJobRate/1e6)
	}
	slots := "1 slot: the number of cores is not known"
	if m.Cores > 0 {
		slots = fmt.Sprintf("%d %s for its %d %s", sg.Slots, pluralize(int(sg.Slots), "slot", "slots"), m.Cores, pluralize(m.Cores, "core", "cores"))
	}
	coins := "coins"
	if sg.Price == 1 {
		coins = "coin"
	}
	return fmt.Sprintf("Suggested %d %s a second of a job's time limit: %s, %s; %s.", sg.Price, coins, from, speed, slots)
}

func pluralize(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
