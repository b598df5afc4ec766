package chain

import (
	"strings"
	"testing"
)

// TestTargetOneIn: the target of one in n is (2²⁵⁶ − 1) / n, in the form the
// devnet and the test chains wrote out by hand before (0x0fff…ff for 16).
func TestTargetOneIn(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		want string
	}{
		{0, strings.Repeat("ff", 32)},
		{1, strings.Repeat("ff", 32)},
		{2, "7f" + strings.Repeat("ff", 31)},
		{16, "0f" + strings.Repeat("ff", 31)},
		{256, "00" + strings.Repeat("ff", 31)},
		{3, strings.Repeat("55", 32)},
	} {
		if got := TargetOneIn(tc.n).String(); got != tc.want {
			t.Errorf("TargetOneIn(%d) = %s, want %s", tc.n, got, tc.want)
		}
	}
}
