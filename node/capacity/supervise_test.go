package capacity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// limitedProc is a Supervised process that records what the supervisor does to it;
// its LimitCPU fails when fail is set, as it does outside Windows and under Wine.
type limitedProc struct {
	mu    sync.Mutex
	calls []string
	fail  bool
}

// Pid is no process, so that nothing real is pinned where LimitCPU fails.
func (p *limitedProc) Pid() int { return -1 }
func (p *limitedProc) Pause()   { p.record("pause") }
func (p *limitedProc) Resume()  { p.record("resume") }
func (p *limitedProc) LimitCPU(cores int, duty float64) error {
	p.record(fmt.Sprintf("limit %d %g", cores, duty))
	if p.fail {
		return errors.New("no CPU rate control")
	}
	return nil
}

func (p *limitedProc) record(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, s)
}

func (p *limitedProc) seen() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.calls, ", ")
}

// TestSuperviseCPULimited: a process whose OS holds it to a CPU share (the Windows
// worker's Job Object) is given the gate's job cores and duty instead of being
// stopped and continued over each period; it is still stopped while the gate is
// closed, and the limit is lifted at the end.
func TestSuperviseCPULimited(t *testing.T) {
	gate := NewGate(newFakeClock(monday))
	p := &limitedProc{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = SuperviseProcess(ctx, gate, p)
	}()
	waitFor(t, "the closed gate's pause", func() bool { return p.seen() == "pause" })
	gate.Apply(Decision{Run: true, Cores: 2, Duty: 0.25, Reason: "r"})
	waitFor(t, "the limit", func() bool { return p.seen() == "pause, limit 1 0.25, resume" })
	gate.Apply(Decision{Run: true, Cores: 2, Duty: 1, Reason: "r"})
	waitFor(t, "full duty", func() bool { return p.seen() == "pause, limit 1 0.25, resume, limit 1 1" })
	gate.Pause("closed")
	waitFor(t, "the pause", func() bool { return strings.HasSuffix(p.seen(), "limit 1 1, pause") })
	cancel()
	<-done
	if got, want := p.seen(), "pause, limit 1 0.25, resume, limit 1 1, pause, resume, limit 0 1"; got != want {
		t.Fatalf("calls %q, want %q", got, want)
	}
}

// TestSuperviseCPULimitFails: where LimitCPU fails, the process is duty-cycled by
// stopping and continuing it, as on Linux.
func TestSuperviseCPULimitFails(t *testing.T) {
	clock := newFakeClock(monday)
	gate := NewGate(clock)
	p := &limitedProc{fail: true}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = SuperviseProcess(ctx, gate, p) }()
	waitFor(t, "the closed gate's pause", func() bool { return p.seen() == "pause" })
	gate.Apply(Decision{Run: true, Cores: 2, Duty: 0.5, Reason: "r"})
	waitFor(t, "the fallback", func() bool { return p.seen() == "pause, limit 1 0.5, resume" })
	<-clock.added // the work half's timer
	clock.Advance(DutyPeriod / 2)
	waitFor(t, "the rest half", func() bool { return strings.HasSuffix(p.seen(), "resume, pause") })
	calls := strings.Split(p.seen(), ", ")
	if n := len(slices.DeleteFunc(calls, func(c string) bool { return !strings.HasPrefix(c, "limit") })); n != 1 {
		t.Fatalf("LimitCPU tried %d times after it failed: %q", n, p.seen())
	}
}
