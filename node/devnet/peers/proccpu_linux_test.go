package peers

import (
	"os"
	"strings"
	"testing"
)

// This process's own CPU time, read from /proc, grows as it works.
func TestProcCPU(t *testing.T) {
	a, err := ProcCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1e6; i++ {
		_ = strings.Repeat("x", i%3)
	}
	if b, err := ProcCPU(os.Getpid()); err != nil || b <= a {
		t.Fatalf("%v then %v (%v)", a, b, err)
	}
}
