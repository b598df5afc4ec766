package chain

import "testing"

// TestQuorumIntersects checks that any two quorums share more than f trustees, so two
// certificates for different blocks need an honest trustee to vote twice, and that the
// quorum never exceeds n−f, so f silent trustees cannot stall the rest.
func TestQuorumIntersects(t *testing.T) {
	want := map[int]int{1: 1, 2: 2, 3: 3, 4: 3, 5: 4, 6: 5, 7: 5, 10: 7, 16: 11, 100: 67}
	for n := 1; n <= 300; n++ {
		f := (n - 1) / 3
		q := Quorum(n)
		if 2*q-n <= f {
			t.Errorf("n=%d: two quorums of %d share only %d trustees, f=%d", n, q, 2*q-n, f)
		}
		if q > n-f {
			t.Errorf("n=%d: quorum %d above n−f=%d", n, q, n-f)
		}
		if w, ok := want[n]; ok && q != w {
			t.Errorf("Quorum(%d) = %d, want %d", n, q, w)
		}
	}
}
