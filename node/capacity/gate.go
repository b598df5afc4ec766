package capacity

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// DutyPeriod is the length of one duty cycle: a worker at duty 0.3 works 30 ms and
// rests 70 ms. Short enough that fans see an average, long enough that the rests cost
// nothing.
const DutyPeriod = 100 * time.Millisecond

// GateState is what a Gate currently allows.
type GateState struct {
	Run    bool
	Cores  int
	Duty   float64
	Reason string
}

// Allows reports whether the worker in slot (0-based) may work.
func (s GateState) Allows(slot int) bool { return s.Run && slot < s.Cores }

// gateState is one published state; changed is closed when the next one replaces it.
type gateState struct {
	GateState
	// reserved is how many of the cores the job workers take (SuperviseProcess): one
	// each, as a job is one thread. The miner works on the rest, so that together
	// they stay within the share the reason line states.
	reserved int
	changed  chan struct{}
}

// allows reports whether the worker in slot may work, beside the reserved cores.
func (s *gateState) allows(slot int) bool { return s.Allows(slot + s.reserved) }

// Gate carries the governor's decision to the workers: the miner's goroutines and the
// job worker. The governor calls Apply; each worker goroutine holds a Throttle and
// calls its Checkpoint between small pieces of work. A new Gate is paused until the
// first decision.
type Gate struct {
	clock  Clock
	period time.Duration
	mu     sync.Mutex // serialises Apply
	state  atomic.Pointer[gateState]
	parked atomic.Int32
}

// NewGate returns a paused gate; a nil clock is the system clock.
func NewGate(clock Clock) *Gate {
	if clock == nil {
		clock = SystemClock()
	}
	g := &Gate{clock: clock, period: DutyPeriod}
	g.state.Store(&gateState{
		GateState: GateState{Reason: "Paused: checking the computer"},
		changed:   make(chan struct{}),
	})
	return g
}

// Apply publishes a decision. Workers see it at their next checkpoint, and parked or
// resting workers wake at once.
func (g *Gate) Apply(d Decision) {
	g.set(GateState{Run: d.Run, Cores: d.Cores, Duty: d.Duty, Reason: d.Reason})
}

// ApplyGPU publishes a GPU decision on a gate of the GPU jobs: open or closed, one
// device at full duty (a GPU job is held between dispatches, not duty-cycled).
func (g *Gate) ApplyGPU(d GPUDecision) {
	if d.Run {
		g.set(GateState{Run: true, Cores: 1, Duty: 1, Reason: d.Reason})
		return
	}
	g.set(GateState{Reason: d.Reason})
}

// Pause closes the gate with a reason.
func (g *Gate) Pause(reason string) { g.set(GateState{Reason: reason}) }

func (g *Gate) set(s GateState) {
	if s.Run && (s.Cores <= 0 || s.Duty <= 0) {
		s.Run = false
	}
	if s.Duty > 1 {
		s.Duty = 1
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	old := g.state.Load()
	if old.GateState == s {
		return
	}
	g.state.Store(&gateState{GateState: s, reserved: old.reserved, changed: make(chan struct{})})
	close(old.changed)
}

// reserve takes n cores of the share for a job worker (n < 0 gives them back), and
// wakes the throttles to look again.
func (g *Gate) reserve(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	old := g.state.Load()
	g.state.Store(&gateState{GateState: old.GateState, reserved: old.reserved + n, changed: make(chan struct{})})
	close(old.changed)
}

// State returns what the gate allows now.
func (g *Gate) State() GateState { return g.state.Load().GateState }

// Changed returns a channel closed at the next change of state, for components that
// follow the gate with their own pause switch.
func (g *Gate) Changed() <-chan struct{} { return g.state.Load().changed }

// Parked counts the workers blocked at a closed gate or outside the allowed cores
// (those job workers take included).
func (g *Gate) Parked() int { return int(g.parked.Load()) }

// Wait blocks while the gate is closed; it returns the context's error if the context
// ends first.
func (g *Gate) Wait(ctx context.Context) error {
	for {
		st := g.state.Load()
		if st.Run {
			return nil
		}
		if err := g.park(ctx, st); err != nil {
			return err
		}
	}
}

func (g *Gate) park(ctx context.Context, st *gateState) error {
	g.parked.Add(1)
	defer g.parked.Add(-1)
	select {
	case <-st.changed:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Throttle returns the throttle for the worker goroutine in slot (0-based); slots at
// or above the allowed core count, less the cores job workers take, park. A Throttle
// belongs to one goroutine.
func (g *Gate) Throttle(slot int) *Throttle { return &Throttle{gate: g, slot: slot} }

// Throttle keeps one worker goroutine within the gate: parked while paused or while
// its slot is above the core count, and resting for the rest of each duty period.
type Throttle struct {
	gate        *Gate
	slot        int
	periodStart time.Time
}

// Checkpoint returns at once when the worker may go on, and otherwise blocks until it
// may. Call it between pieces of work of about a millisecond: the gap between calls is
// how late a pause takes effect. It returns the context's error when the context ends.
func (t *Throttle) Checkpoint(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		st := t.gate.state.Load()
		if !st.allows(t.slot) {
			t.periodStart = time.Time{}
			if err := t.gate.park(ctx, st); err != nil {
				return err
			}
			continue
		}
		if st.Duty >= 1 {
			return nil
		}
		now := t.gate.clock.Now()
		period := t.gate.period
		elapsed := now.Sub(t.periodStart)
		if t.periodStart.IsZero() || elapsed >= period {
			t.periodStart = now
			return nil
		}
		if elapsed < time.Duration(st.Duty*float64(period)) {
			return nil
		}
		if err := t.rest(ctx, st, period-elapsed); err != nil {
			return err
		}
	}
}

// rest sleeps out the period, waking early if the gate changes.
func (t *Throttle) rest(ctx context.Context, st *gateState, d time.Duration) error {
	timer := t.gate.clock.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C():
		return nil
	case <-st.changed:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Pausable is a worker with its own pause switch, such as the luck miner.
type Pausable interface {
	Pause()
	Resume()
}

// Follow keeps p paused while the gate is closed and running while it is open, until
// ctx ends. It takes the change channel before reading the state, so no change is
// missed between the two.
func (g *Gate) Follow(ctx context.Context, p Pausable) {
	for {
		changed := g.Changed()
		if g.State().Run {
			p.Resume()
		} else {
			p.Pause()
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return
		}
	}
}
