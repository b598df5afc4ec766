package chain

import "math/big"

var maxTarget = func() *big.Int {
	m := new(big.Int).Lsh(big.NewInt(1), 256)
	return m.Sub(m, big.NewInt(1))
}()

// Retarget is the admission target after an epoch that counted `observed` admitted
// tickets (the header's Tickets):
// Target × clamp(K*/observed, ½, 2), kept within [1, 2²⁵⁶−1]. It uses only certified
// data, so every node derives the same target.
func Retarget(target Hash, observed, kstar uint32) Hash {
	t := new(big.Int).SetBytes(target[:])
	switch {
	case observed == 0 || uint64(kstar) >= 2*uint64(observed):
		t.Lsh(t, 1)
	case 2*uint64(kstar) <= uint64(observed):
		t.Rsh(t, 1)
	default:
		t.Mul(t, big.NewInt(int64(kstar)))
		t.Quo(t, big.NewInt(int64(observed)))
	}
	if t.Cmp(maxTarget) > 0 {
		t.Set(maxTarget)
	}
	if t.Sign() == 0 {
		t.SetInt64(1)
	}
	var out Hash
	t.FillBytes(out[:])
	return out
}
