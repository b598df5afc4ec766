package main

import "testing"

// TestSplitMix64: the generator is SplitMix64, by its published outputs for the seed
// 1234567.
func TestSplitMix64(t *testing.T) {
	s := uint64(1234567)
	for i, want := range []uint64{6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821} {
		s += golden
		if got := mix(s); got != want {
			t.Fatalf("output %d: %d, want %d", i, got, want)
		}
	}
}

func TestUnit(t *testing.T) {
	for _, tc := range []struct {
		z    uint64
		want float64
	}{{0, 0}, {1 << 11, 0x1p-53}, {1 << 63, 0.5}, {^uint64(0), 1 - 0x1p-53}} {
		if got := unit(tc.z); got != tc.want {
			t.Errorf("unit(%#x) = %v, want %v", tc.z, got, tc.want)
		}
	}
}

func TestCount(t *testing.T) {
	const n = 1_000_000
	inside := count(7, n)
	if pi := 4 * float64(inside) / n; pi < 3.13 || pi > 3.15 {
		t.Fatalf("π ≈ %v from %d of %d points", pi, inside, n)
	}
	if count(7, n) != inside || count(8, n) == inside {
		t.Fatal("the count does not follow the seed")
	}
}
