package capacity

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// waitFor polls cond until it holds; the deadline only turns a hang into a failure.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestGateStartsPausedAndParksWorkers(t *testing.T) {
	gate := NewGate(newFakeClock(monday))
	if st := gate.State(); st.Run {
		t.Fatalf("new gate runs: %+v", st)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var passed sync.WaitGroup
	passed.Add(3)
	for slot := range 3 {
		go func() {
			th := gate.Throttle(slot)
			if err := th.Checkpoint(ctx); err == nil {
				passed.Done()
			}
		}()
	}
	waitFor(t, "three parked workers", func() bool { return gate.Parked() == 3 })

	// Two cores: slots 0 and 1 go on, slot 2 stays parked.
	gate.Apply(Decision{Run: true, Cores: 2, Duty: 1, Reason: "Sharing: 1 of 2 cores at full duty, idle for 4 min"})
	waitFor(t, "slot 2 alone parked", func() bool { return gate.Parked() == 1 })
	gate.Apply(Decision{Run: true, Cores: 3, Duty: 1, Reason: "Sharing: 1 of 2 cores at full duty, idle for 4 min"})
	passed.Wait()
	if gate.Parked() != 0 {
		t.Errorf("%d still parked", gate.Parked())
	}
}

func TestGateWaitAndCancel(t *testing.T) {
	gate := NewGate(nil)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- gate.Wait(ctx) }()
	waitFor(t, "a parked waiter", func() bool { return gate.Parked() == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Wait after cancel = %v", err)
	}
	gate.Apply(Decision{Run: true, Cores: 1, Duty: 1})
	if err := gate.Wait(context.Background()); err != nil {
		t.Errorf("Wait on an open gate = %v", err)
	}
	changed := gate.Changed()
	gate.Apply(Decision{Run: true, Cores: 1, Duty: 1}) // no change: no signal
	select {
	case <-changed:
		t.Error("Changed fired without a change")
	default:
	}
	gate.Pause("Paused: test")
	select {
	case <-changed:
	default:
		t.Error("Changed did not fire on a pause")
	}
	// A decision to run on no cores is a pause.
	gate.Apply(Decision{Run: true, Cores: 0, Duty: 1})
	if gate.State().Run {
		t.Error("gate runs with zero cores")
	}
}

// TestThrottleDutyCycle drives one worker at duty 0.3 on the fake clock: it works
// 30 ms of each 100 ms period and rests the remaining 70 ms.
func TestThrottleDutyCycle(t *testing.T) {
	clock := newFakeClock(monday)
	gate := NewGate(clock)
	gate.Apply(Decision{Run: true, Cores: 1, Duty: 0.3})
	th := gate.Throttle(0)
	ctx := context.Background()

	check := func(step string) {
		t.Helper()
		if err := th.Checkpoint(ctx); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	check("start of period")             // t=0: period starts
	clock.Advance(10 * time.Millisecond) // working
	check("10 ms in")
	clock.Advance(20 * time.Millisecond) // t=30 ms: work share used up

	rested := make(chan struct{})
	go func() {
		check("rest")
		close(rested)
	}()
	waitFor(t, "the rest timer", func() bool { return clock.pending() == 1 })
	select {
	case <-rested:
		t.Fatal("worker did not rest at 30 ms")
	default:
	}
	clock.Advance(69 * time.Millisecond)
	select {
	case <-rested:
		t.Fatal("worker rested less than 70 ms")
	case <-time.After(10 * time.Millisecond):
	}
	clock.Advance(time.Millisecond) // t=100 ms: next period
	<-rested
	if got := clock.Now().Sub(monday); got != 100*time.Millisecond {
		t.Errorf("next period began at %v", got)
	}
}

// TestThrottlePauseEndsRest: a pause during a rest parks the worker at once.
func TestThrottlePauseDuringRest(t *testing.T) {
	clock := newFakeClock(monday)
	gate := NewGate(clock)
	gate.Apply(Decision{Run: true, Cores: 1, Duty: 0.5})
	th := gate.Throttle(0)
	ctx, cancel := context.WithCancel(context.Background())
	if err := th.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(60 * time.Millisecond)
	errc := make(chan error, 1)
	go func() { errc <- th.Checkpoint(ctx) }()
	waitFor(t, "the rest timer", func() bool { return clock.pending() == 1 })
	gate.Pause("Paused: you are using the computer")
	waitFor(t, "the worker parked", func() bool { return gate.Parked() == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Checkpoint = %v", err)
	}
}
