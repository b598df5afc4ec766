package dcc

import (
	"math"
	"math/bits"
	"time"
)

// Window measures the age of local events in global units for one epoch, from the
// node's receipt of the block before it. It is a value: a pool or a miner keeps the
// window of its epoch while the Calibrator moves on.
type Window struct {
	epoch  uint64
	start  time.Duration // recv(TB)
	gc, pc time.Duration
	// global/local is GC/PC as an exact fraction: the certified and the local span of
	// the same blocks. local = 0 means no calibration yet (a ratio of 1).
	global, local uint64
	phi, delta    time.Duration
}

// Epoch is the epoch whose tickets this window times.
func (w Window) Epoch() uint64 { return w.epoch }

// Start is the local reading at which the node received the block before the epoch.
func (w Window) Start() time.Duration { return w.start }

// GlobalCycle is GC at the start of the window.
func (w Window) GlobalCycle() time.Duration { return w.gc }

// PrivateCycle is PC_N at the start of the window.
func (w Window) PrivateCycle() time.Duration { return w.pc }

// Phi is Φ, the mining window in global units.
func (w Window) Phi() time.Duration { return w.phi }

// Delta is Δ, the communication window that follows Φ.
func (w Window) Delta() time.Duration { return w.delta }

// Calibrated reports whether the clock's rate has been measured; without it the
// local clock is taken at face value.
func (w Window) Calibrated() bool { return w.local != 0 }

// Age is δ = GC / PC × (now − recv(TB)): how long ago, in global units, the window
// opened. An event before the opening has a negative age.
func (w Window) Age(now time.Duration) time.Duration {
	x := int64(now - w.start)
	if w.local == 0 {
		return time.Duration(x)
	}
	neg := x < 0
	ux := uint64(x)
	if neg {
		ux = -ux
	}
	q := mulDiv(ux, w.global, w.local, false)
	if neg {
		return -time.Duration(q)
	}
	return time.Duration(q)
}

// MayMine reports whether a miner may still hash at local reading now: δ ≤ Φ.
func (w Window) MayMine(now time.Duration) bool { return w.Age(now) <= w.phi }

// MayAdmit reports whether a trustee may still admit a ticket received at local
// reading now: δ ≤ Φ + Δ.
func (w Window) MayAdmit(now time.Duration) bool { return w.Age(now) <= w.phi+w.delta }

// MineUntil is the last local reading at which MayMine holds.
func (w Window) MineUntil() time.Duration { return w.until(w.phi) }

// AdmitUntil is the last local reading at which MayAdmit holds; the trustee closes the
// epoch after it.
func (w Window) AdmitUntil() time.Duration { return w.until(w.phi + w.delta) }

// until is the largest x with Age(start + x) ≤ limit, plus start. With δ = ⌊x·g/l⌋ that
// is x = ⌈(limit+1)·l/g⌉ − 1.
func (w Window) until(limit time.Duration) time.Duration {
	if w.local == 0 {
		return w.start + limit
	}
	x := time.Duration(mulDiv(uint64(limit)+1, w.local, w.global, true) - 1)
	if w.start > 0 && x > math.MaxInt64-w.start {
		return math.MaxInt64
	}
	return w.start + x
}

// mulDiv is x·num/den rounded down (or up), in 128 bits, saturated at MaxInt64.
func mulDiv(x, num, den uint64, up bool) uint64 {
	hi, lo := bits.Mul64(x, num)
	if hi >= den {
		return math.MaxInt64
	}
	q, r := bits.Div64(hi, lo, den)
	if up && r != 0 {
		q++
	}
	return min(q, math.MaxInt64)
}
