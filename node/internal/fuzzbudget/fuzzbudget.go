package fuzzbudget

import (
	"flag"
	"fmt"
	"os"
	"testing"
)

// Minimize is the minimization budget Bound sets: a number of calls of the fuzz
// function ("Nx"), so that the bound is the same on a busy machine as on an idle one.
// At about half a millisecond a call it stops each worker for a fraction of a second.
const Minimize = "1000x"

// minimizeFlag is the testing package's flag for the minimization budget.
const minimizeFlag = "test.fuzzminimizetime"

// Bound sets -test.fuzzminimizetime to Minimize unless the command line set it. Call
// it from TestMain before m.Run; it parses the command line.
func Bound() error {
	if err := bound(flag.CommandLine, os.Args[1:]); err != nil {
		return err
	}
	bounded = true
	return nil
}

// bounded records that Bound ran in this process.
var bounded bool

// Run is a TestMain body: it bounds the minimization (Bound), runs the tests and
// exits with their status, or with 2 when the command line does not parse.
func Run(m *testing.M) {
	if err := Bound(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// Bounded reports whether Bound ran, so that a package's tests can check that its
// TestMain calls it.
func Bounded() bool { return bounded }

// CheckBounded fails the test unless Bound ran in this process: a package whose fuzz
// targets link most of the node calls it from a test, so that a TestMain that loses
// its call of Run is caught.
func CheckBounded(t testing.TB) {
	t.Helper()
	if !Bounded() {
		t.Fatal("TestMain did not bound the fuzzer's minimization (node/internal/fuzzbudget.Run)")
	}
}

func bound(fs *flag.FlagSet, args []string) error {
	if !fs.Parsed() {
		if err := fs.Parse(args); err != nil {
			return err
		}
	}
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == minimizeFlag })
	if given {
		return nil
	}
	return fs.Set(minimizeFlag, Minimize)
}
