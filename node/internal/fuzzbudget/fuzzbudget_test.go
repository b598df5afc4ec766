package fuzzbudget

import (
	"flag"
	"testing"
)

// TestBound: the budget is set when the command line leaves it, and a value given
// there is kept.
func TestBound(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, Minimize},
		{[]string{"-test.v"}, Minimize},
		{[]string{"-" + minimizeFlag + "=5s"}, "5s"},
		{[]string{"-" + minimizeFlag, "60s", "-test.v"}, "60s"},
	}
	for _, tc := range tests {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		got := fs.String(minimizeFlag, "60s", "")
		fs.Bool("test.v", false, "")
		if err := bound(fs, tc.args); err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		if *got != tc.want {
			t.Fatalf("%q: budget %s, want %s", tc.args, *got, tc.want)
		}
	}
}

// TestMinimizeParses: the testing package takes Minimize as its flag's value.
func TestMinimizeParses(t *testing.T) {
	f := flag.Lookup(minimizeFlag)
	if f == nil {
		t.Fatalf("the testing package has no flag %s", minimizeFlag)
	}
	old := f.Value.String()
	defer flag.Set(minimizeFlag, old)
	if err := flag.Set(minimizeFlag, Minimize); err != nil {
		t.Fatal(err)
	}
	if got := f.Value.String(); got != Minimize {
		t.Fatalf("budget reads %s after setting %s", got, Minimize)
	}
}

// fatalRecorder is a test that records a Fatal instead of stopping.
type fatalRecorder struct {
	testing.TB
	failed bool
}

func (r *fatalRecorder) Helper()           {}
func (r *fatalRecorder) Fatal(args ...any) { r.failed = true }

// TestCheckBounded: CheckBounded fails a test of a binary whose TestMain did not
// bound the minimization, and passes one whose TestMain did.
func TestCheckBounded(t *testing.T) {
	defer func(was bool) { bounded = was }(bounded)
	bounded = false
	r := &fatalRecorder{TB: t}
	CheckBounded(r)
	if !r.failed {
		t.Fatal("CheckBounded passed a binary that did not bound the minimization")
	}
	bounded = true
	r = &fatalRecorder{TB: t}
	CheckBounded(r)
	if r.failed {
		t.Fatal("CheckBounded failed a binary that bounded the minimization")
	}
}
