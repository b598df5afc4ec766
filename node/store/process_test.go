package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
)

// Tests that need a second process run this test binary again with helperEnv naming
// what the child does (TestHelperProcess) and helperPathEnv the database.
const (
	helperEnv     = "DAOLI_STORE_HELPER"
	helperPathEnv = "DAOLI_STORE_HELPER_PATH"
)

// TestHelperProcess is the child side of the multi-process tests. Run directly, as part
// of the suite, it has nothing to do.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return
	}
	path := os.Getenv(helperPathEnv)
	var err error
	switch mode {
	case "hold":
		err = holdStore(path)
	case "build":
		err = buildChain(path)
	default:
		err = fmt.Errorf("unknown helper mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(0)
}

// holdStore opens the store, says so, and keeps it open until stdin closes.
func holdStore(path string) error {
	s, err := Open(path, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Println("ready")
	_, err = io.Copy(io.Discard, os.Stdin)
	return err
}

// crashConfig is the chain the crash test builds; both processes derive it.
var crashConfig = chaintest.Config{Users: 8}

// crashStep is what block height holds: one to five transfers, and tickets every third
// block. Small blocks keep the 50 consistency checks of a growing chain quick.
func crashStep(height uint64) chaintest.Step {
	s := chaintest.Step{Transfers: int(height%3*2 + 1)}
	if height%3 == 0 {
		s.Tickets = 3
	}
	return s
}

// buildChain resumes the crash test's chain from the store's tip and commits blocks as
// fast as it can, reporting each height on stdout, until it is killed.
func buildChain(path string) error {
	s, err := Open(path, nil)
	if err != nil {
		return err
	}
	if err := s.Init(crashConfig.Genesis()); err != nil {
		return err
	}
	st, err := s.LoadState()
	if err != nil {
		return err
	}
	var last *chain.Cert
	if st.Epoch() > 0 {
		if last, err = s.Cert(st.Epoch()); err != nil {
			return err
		}
	}
	n, err := chaintest.Resume(crashConfig, st, last)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	for {
		c, err := n.Next(crashStep(st.Epoch() + 1))
		if err != nil {
			return err
		}
		if err := s.CommitBlock(c.Block, c.Cert, c.State); err != nil {
			return err
		}
		st = c.State
		fmt.Fprintf(out, "committed %d\n", st.Epoch())
		if err := out.Flush(); err != nil {
			return err
		}
	}
}

// child is a helper process with its stdout read line by line.
type child struct {
	cmd    *exec.Cmd
	lines  chan string // closed at EOF
	stdin  io.WriteCloser
	stderr bytes.Buffer
}

func startChild(t *testing.T, mode, path string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(os.Args[0], "-test.run=^TestHelperProcess$"), lines: make(chan string, 64)}
	c.cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperPathEnv+"="+path)
	c.cmd.Stderr = &c.stderr
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			c.cmd.Process.Kill()
			for range c.lines {
			}
			c.cmd.Wait()
		}
	})
	return c
}

// next returns the child's next line, failing the test at the deadline or at EOF.
func (c *child) next(t *testing.T, deadline time.Time) string {
	t.Helper()
	select {
	case line, ok := <-c.lines:
		if !ok {
			c.cmd.Wait()
			t.Fatalf("child exited (%v): %s", c.cmd.ProcessState, c.stderr.String())
		}
		return line
	case <-time.After(time.Until(deadline)):
		t.Fatalf("no word from the child by the deadline; stderr: %s", c.stderr.String())
	}
	return ""
}

func TestOpenLocked(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		want    time.Duration // the wait Open should make before giving up
	}{
		{"short timeout", 150 * time.Millisecond, 150 * time.Millisecond},
		{"default timeout", 0, DefaultTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := dbPath(t)
			c := startChild(t, "hold", path)
			if line := c.next(t, time.Now().Add(20*time.Second)); line != "ready" {
				t.Fatalf("child says %q", line)
			}
			start := time.Now()
			s, err := Open(path, &Options{Timeout: tc.timeout})
			took := time.Since(start)
			if err == nil {
				s.Close()
				t.Fatal("opened a database another process holds")
			}
			if !errors.Is(err, ErrLocked) {
				t.Fatalf("Open: %v, want ErrLocked", err)
			}
			if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "is another daoli running?") {
				t.Errorf("message %q does not name the file and the likely cause", msg)
			}
			// bbolt polls the lock every 50 ms; allow for that and a busy machine.
			if took < tc.want-100*time.Millisecond || took > tc.want+2*time.Second {
				t.Errorf("Open gave up after %v, timeout %v", took, tc.want)
			}

			// Once the holder exits, the database opens at once.
			c.stdin.Close()
			for range c.lines {
			}
			if err := c.cmd.Wait(); err != nil {
				t.Fatalf("holder: %v: %s", err, c.stderr.String())
			}
			s, err = Open(path, &Options{Timeout: 10 * time.Millisecond})
			if err != nil {
				t.Fatalf("Open after the holder exited: %v", err)
			}
			s.Close()
		})
	}
}

// TestCrashSafety kills a process that commits blocks as fast as it can, at a random
// moment, 50 times over one database, and checks after each kill that the store is
// consistent, its state loads, and no block the child reported committed was lost.
func TestCrashSafety(t *testing.T) {
	const (
		rounds   = 50
		maxDelay = 300 * time.Millisecond
	)
	seed := uint64(20260101)
	if v := os.Getenv("DAOLI_CRASH_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("seed %d (set DAOLI_CRASH_SEED to repeat the kill delays)", seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	path := dbPath(t)
	start := time.Now()
	var tip uint64
	for round := range rounds {
		c := startChild(t, "build", path)
		deadline := time.Now().Add(30 * time.Second)
		// The child resumes at the tip; it has started building when it reports a commit.
		reported := parseCommitted(t, c.next(t, deadline))
		if reported != tip+1 {
			t.Fatalf("round %d: child resumed at %d, the store's tip is %d", round, reported, tip)
		}
		// The random delay decides where in a commit the kill lands; it is the test, not
		// a wait for something to happen.
		kill := time.NewTimer(time.Duration(rng.Int64N(int64(maxDelay))))
	wait:
		for {
			select {
			case line, ok := <-c.lines:
				if !ok {
					c.cmd.Wait()
					t.Fatalf("round %d: child exited (%v): %s", round, c.cmd.ProcessState, c.stderr.String())
				}
				reported = parseCommitted(t, line)
			case <-kill.C:
				break wait
			}
		}
		killErr := c.cmd.Process.Kill() // SIGKILL on Unix: no chance to clean up
		for line := range c.lines {
			reported = parseCommitted(t, line)
		}
		err := c.cmd.Wait()
		if killErr != nil || !killed(c.cmd.ProcessState) {
			t.Fatalf("round %d: child ended with %v, not by the kill (%v): %s", round, err, killErr, c.stderr.String())
		}

		s, err := Open(path, nil)
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		if err := s.CheckConsistency(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		st, err := s.LoadState()
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		// A reported commit is durable; the kill may land between a commit and its report.
		tip = st.Epoch()
		if tip < reported || tip > reported+1 {
			t.Fatalf("round %d: tip %d after the child reported %d", round, tip, reported)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d kills, all consistent; chain at height %d; %v", rounds, tip, time.Since(start).Round(time.Millisecond))
}

func parseCommitted(t *testing.T, line string) uint64 {
	t.Helper()
	h, err := strconv.ParseUint(strings.TrimPrefix(line, "committed "), 10, 64)
	if err != nil || !strings.HasPrefix(line, "committed ") {
		t.Fatalf("child says %q", line)
	}
	return h
}
