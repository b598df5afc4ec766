package luck

import (
	"math"
	"math/big"
	"time"

	"github.com/daolicloud/daoli/node/chain"
)

// OddsInput is what ExpectedWins needs to know.
type OddsInput struct {
	Recent   []chain.Header // recent certified headers; genesis is skipped
	Target   chain.Hash     // admission target of the coming epoch
	HashRate float64        // this key's attempts per second (MinerStats.Rate)
	Phi      time.Duration  // Φ: how long a miner may hash in an epoch
	Cycle    time.Duration  // GC: the global cycle, for the per-day figures
	KStar    uint32         // K*: the number of rivals assumed when no header says
	Payroll  uint32         // P: paid tickets after the winner
}

// Odds are a key's expected wins. The dashboard shows them beside the actual ones.
type Odds struct {
	Admission    float64 // chance that the key's ticket is admitted within Φ
	Tickets      float64 // admitted tickets per epoch: the median of the recent blocks' counts
	PerEpoch     float64 // chance to win one epoch
	PayrollEpoch float64 // chance to be on one epoch's payroll
	EpochsPerDay float64
	PerDay       float64 // expected wins per day
	PayrollDay   float64 // expected payroll places per day
}

// ExpectedWins estimates a key's chance to win, per epoch and per day, from recent
// certified blocks. Luck is uniform over the admitted tickets, so a key that holds one
// of T wins with probability 1/T whatever its hash rate; the hash rate only decides
// whether its ticket is admitted in time: 1 − (1 − p)^(rate·Φ) with p = (target+1)/2²⁵⁶.
// T is the median of the recent headers' counts (each the median of the counts the
// trustees stated, AdmittedCount): after the population jumps, retargeting takes a few
// epochs to bring the count back near K*, and a mean would carry those epochs' counts
// for as long as they stay among the recent ones.
func ExpectedWins(in OddsInput) Odds {
	var o Odds
	var counts []uint32
	for i := range in.Recent {
		if in.Recent[i].Epoch != 0 {
			counts = append(counts, in.Recent[i].Tickets)
		}
	}
	o.Tickets = float64(in.KStar)
	if len(counts) > 0 {
		o.Tickets = float64(AdmittedCount(counts))
	}
	o.Admission = admission(in.Target, in.HashRate*in.Phi.Seconds())
	// The recent counts include this key when it mined; at least its own ticket
	// competes.
	t := max(o.Tickets, 1)
	o.PerEpoch = o.Admission / t
	o.PayrollEpoch = o.Admission * min(float64(in.Payroll), t-1) / t
	if in.Cycle > 0 {
		o.EpochsPerDay = float64(24*time.Hour) / float64(in.Cycle)
	}
	o.PerDay = o.PerEpoch * o.EpochsPerDay
	o.PayrollDay = o.PayrollEpoch * o.EpochsPerDay
	return o
}

// admission is the chance that at least one of `attempts` uniform works is at or below
// target.
func admission(target chain.Hash, attempts float64) float64 {
	if attempts <= 0 {
		return 0
	}
	t := new(big.Int).SetBytes(target[:])
	t.Add(t, big.NewInt(1))
	f, _ := new(big.Float).SetInt(t).Float64()
	p := math.Ldexp(f, -256)
	if p >= 1 {
		return 1
	}
	// 1 − (1−p)^a without losing a tiny p to rounding.
	return -math.Expm1(attempts * math.Log1p(-p))
}
