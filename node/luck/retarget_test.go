package luck

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
)

var two256 = new(big.Int).Lsh(big.NewInt(1), 256)

func hashInt(h chain.Hash) *big.Int { return new(big.Int).SetBytes(h[:]) }

func intHash(x *big.Int) (h chain.Hash) {
	x.FillBytes(h[:])
	return h
}

// randomTarget has a random bit length, so small and huge targets are both drawn.
func randomTarget(rng *rand.Rand) chain.Hash {
	x := new(big.Int)
	for range 4 {
		x.Lsh(x, 64).Or(x, new(big.Int).SetUint64(rng.Uint64()))
	}
	x.Rsh(x, uint(rng.IntN(256)))
	if x.Sign() == 0 {
		x.SetInt64(1)
	}
	return intHash(x)
}

// Each step stays within ×½..×2 of the last target and within [1, 2²⁵⁶−1], moves
// toward K*, and is exactly Target × clamp(K*/observed, ½, 2).
func TestNextTargetBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	maxT := new(big.Int).Sub(two256, big.NewInt(1))
	for range 20_000 {
		kstar := uint32(1 + rng.IntN(200))
		observed := uint32(rng.IntN(int(4*kstar) + 2))
		target := randomTarget(rng)
		if rng.IntN(50) == 0 {
			target = intHash(maxT)
		}
		h := chain.Header{Epoch: 1 + rng.Uint64N(1000), Target: target, Tickets: observed}
		got := hashInt(NextTarget(&h, kstar))
		old := hashInt(target)

		lo := new(big.Int).Rsh(old, 1)
		hi := new(big.Int).Lsh(old, 1)
		if got.Cmp(lo) < 0 || got.Cmp(hi) > 0 || got.Sign() <= 0 || got.Cmp(maxT) > 0 {
			t.Fatalf("target %x, observed %d, K* %d: next %x outside ×½..×2", old, observed, kstar, got)
		}
		switch {
		case observed > kstar && got.Cmp(old) > 0, observed < kstar && got.Cmp(old) < 0, observed == kstar && got.Cmp(old) != 0:
			t.Fatalf("observed %d, K* %d: target moved from %x to %x", observed, kstar, old, got)
		}
		// The exact rule, written with rationals.
		ratio := big.NewRat(2, 1)
		if observed > 0 {
			ratio = big.NewRat(int64(kstar), int64(observed))
		}
		if ratio.Cmp(big.NewRat(2, 1)) > 0 {
			ratio = big.NewRat(2, 1)
		}
		if ratio.Cmp(big.NewRat(1, 2)) < 0 {
			ratio = big.NewRat(1, 2)
		}
		want := new(big.Int).Mul(old, ratio.Num())
		want.Quo(want, ratio.Denom())
		if want.Cmp(maxT) > 0 {
			want.Set(maxT)
		}
		if want.Sign() == 0 {
			want.SetInt64(1)
		}
		if got.Cmp(want) != 0 {
			t.Fatalf("target %x, observed %d, K* %d: next %x, want %x", old, observed, kstar, got, want)
		}
	}
}

func TestNextTargetAfterGenesis(t *testing.T) {
	g := chain.Header{Epoch: 0, Target: targetOneIn(16)}
	if NextTarget(&g, 64) != g.Target {
		t.Fatal("epoch 1 must keep the genesis target")
	}
	l := LotteryAfter(&g, 64)
	if l.Epoch != 1 || l.Parent != g.Hash() || l.Target != g.Target {
		t.Fatalf("lottery after genesis: %+v", l)
	}
}

// With a thousand miners of one hash rate, retargeting brings the admitted tickets per
// epoch to K* from a target far too easy and from one far too hard.
func TestRetargetConvergesToKStar(t *testing.T) {
	const (
		miners   = 1000
		attempts = 1e6 // per miner within Φ
		kstar    = 64
	)
	for _, tc := range []struct {
		name  string
		start chain.Hash
	}{
		{"too easy", targetOneIn(2)},
		{"too hard", intHash(big.NewInt(1 << 20))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(23, 24))
			h := chain.Header{Epoch: 1, Target: tc.start}
			var sum, n float64
			for e := range 600 {
				p, _ := new(big.Float).SetInt(hashInt(h.Target)).Float64()
				admit := -math.Expm1(attempts * math.Log1p(-math.Ldexp(p, -256)))
				var k uint32
				for range miners {
					if rng.Float64() < admit {
						k++
					}
				}
				h.Tickets = k
				if e >= 300 {
					sum += float64(k)
					n++
				}
				h.Target = NextTarget(&h, kstar)
				h.Epoch++
			}
			if mean := sum / n; math.Abs(mean-kstar) > 0.15*kstar {
				t.Fatalf("mean admitted tickets %.1f after settling, K* %d", mean, kstar)
			}
		})
	}
}

// TestAdmittedCount checks the median against every way f false counts among a
// quorum of 2f+1 or more can be placed: it stays within the honest counts' range.
func TestAdmittedCount(t *testing.T) {
	for _, tc := range []struct {
		counts []uint32
		want   uint32
	}{
		{nil, 0},
		{[]uint32{7}, 7},
		{[]uint32{40, 50, 60}, 50},
		{[]uint32{60, 1 << 30, 40}, 60},
		{[]uint32{4, 50, 40}, 40},
		{[]uint32{10, 20, 30, 40}, 20}, // the lower median
	} {
		if got := AdmittedCount(tc.counts); got != tc.want {
			t.Errorf("AdmittedCount(%v) = %d, want %d", tc.counts, got, tc.want)
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 2000 {
		f := rng.IntN(5)
		q := 2*f + 1 + rng.IntN(3)
		counts := make([]uint32, q)
		lo, hi := uint32(math.MaxUint32), uint32(0)
		for i := range q - f {
			counts[i] = 100 + rng.Uint32N(50)
			lo, hi = min(lo, counts[i]), max(hi, counts[i])
		}
		for i := q - f; i < q; i++ {
			counts[i] = []uint32{0, 1, lo - 1, hi + 1, math.MaxUint32}[rng.IntN(5)]
		}
		rng.Shuffle(q, func(i, j int) { counts[i], counts[j] = counts[j], counts[i] })
		if got := AdmittedCount(counts); got < lo || got > hi {
			t.Fatalf("trial %d: %d of %v is outside the honest range [%d, %d] with f = %d", trial, got, counts, lo, hi, f)
		}
	}
}
