//go:build linux

package light

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/capacity"
)

// sleeper is a process the supervisor may hold and pin without harm.
type sleeper struct{ cmd *exec.Cmd }

func (s sleeper) Pid() int { return s.cmd.Process.Pid }
func (sleeper) Pause()     {}
func (sleeper) Resume()    {}

// TestGovernorEventsOnChange: a job worker taking a core of the gate and giving it back
// changes nothing the governor decided, so the node publishes no governor event for it;
// the next decision is the next event.
func TestGovernorEventsOnChange(t *testing.T) {
	gate := capacity.NewGate(nil)
	gate.Apply(capacity.Decision{Run: true, Cores: 2, Duty: 1, Reason: "idle"})
	n := &Node{}
	events, stop := n.events.subscribe()
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	watched := make(chan struct{})
	go func() { n.watchGate(ctx, gate); close(watched) }()
	defer func() { cancel(); <-watched }()
	deadline := time.After(waitFor)
	select {
	case e := <-events:
		if e.Kind != EventGovernor || e.Gate.Reason != "idle" {
			t.Fatalf("first event %+v", e)
		}
	case <-deadline:
		t.Fatal("no governor event for the gate's first state")
	}

	cmd := exec.Command("sleep", "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	for range 3 {
		changed := gate.Changed()
		sctx, scancel := context.WithCancel(context.Background())
		supervised := make(chan struct{})
		go func() { capacity.SuperviseProcess(sctx, gate, sleeper{cmd}); close(supervised) }()
		<-changed // the job took its core
		scancel()
		<-supervised // and gave it back
	}
	gate.Pause("user is typing")

	var got []capacity.GateState
	for len(got) == 0 || got[len(got)-1].Run {
		select {
		case e := <-events:
			if e.Kind == EventGovernor {
				got = append(got, e.Gate)
			}
		case <-deadline:
			t.Fatalf("no governor event for the pause; got %+v", got)
		}
	}
	if len(got) != 1 || got[0].Reason != "user is typing" {
		t.Fatalf("governor events after the first %+v, want only the pause", got)
	}
}
