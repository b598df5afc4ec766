package capacity

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// Sampler measures the machine for the governor. Probes is the real one.
type Sampler interface {
	// Sample measures everything; programs are the exclusive programs to look for.
	Sample(ctx context.Context, programs []string) Sample
	// IdleTime is the quick look the governor takes between samples while sharing
	// runs, so that user activity pauses it well within a second.
	IdleTime(ctx context.Context) (time.Duration, error)
}

// Default intervals of the governor.
const (
	// DefaultInterval is how often the governor samples everything and decides.
	DefaultInterval = time.Second
	// DefaultActivityInterval is how often it looks for user activity while sharing
	// runs on an idle computer.
	DefaultActivityInterval = 200 * time.Millisecond
	// DefaultProbeTimeout bounds one sample, so a hung sensor cannot stall decisions.
	DefaultProbeTimeout = 800 * time.Millisecond
)

// GovernorConfig configures a Governor. Sampler and Gate are required.
type GovernorConfig struct {
	Settings Settings
	Sampler  Sampler
	Gate     *Gate
	// GPUGate, when set, carries the decision's GPU part (its own rules: the GPU's
	// mode, temperature ceiling and whether it may work while the computer is in
	// use) to the GPU jobs, which follow it (node/gpu: a paused job submits no next
	// dispatch).
	GPUGate  *Gate
	Clock    Clock         // nil is the system clock
	Interval time.Duration // 0 is DefaultInterval
	// ActivityInterval: 0 is DefaultActivityInterval.
	ActivityInterval time.Duration
	ProbeTimeout     time.Duration // 0 is DefaultProbeTimeout
	// OnDecision is called from the governor's goroutine whenever the decision or its
	// reason changes; it must not block (the app hands it to the UI goroutine).
	OnDecision func(Decision)
	// Record, when set, receives every sample and decision as JSON lines: a trace
	// that the governor's table tests can replay.
	Record io.Writer
}

// Governor samples the machine at least every Interval, decides with Decide and
// applies the decision to its Gate. Settings, Decision and Wake may be called from
// any goroutine while Run runs.
type Governor struct {
	sampler          Sampler
	gate             *Gate
	gpuGate          *Gate
	clock            Clock
	interval         time.Duration
	activityInterval time.Duration
	probeTimeout     time.Duration
	onDecision       func(Decision)
	wake             chan struct{}
	// quick ticks for checkActivity while sharing runs because nobody is at the
	// computer, and is nil otherwise; only Run's goroutine touches it.
	quick Ticker

	mu       sync.Mutex
	settings Settings
	decision Decision
	sample   Sample
	record   *json.Encoder
	recorded bool // the current settings are in the record
	// gen counts the settings given (SetSettings); decidedGen is the newest of them
	// a decision was taken on, and decided is closed at each decision: Settled waits
	// on them.
	gen, decidedGen uint64
	decided         chan struct{}
}

// NewGovernor returns a governor; it refuses invalid settings.
func NewGovernor(cfg GovernorConfig) (*Governor, error) {
	if cfg.Sampler == nil || cfg.Gate == nil {
		return nil, fmt.Errorf("governor needs a sampler and a gate")
	}
	if err := cfg.Settings.Validate(0); err != nil {
		return nil, err
	}
	g := &Governor{
		sampler:          cfg.Sampler,
		gate:             cfg.Gate,
		gpuGate:          cfg.GPUGate,
		clock:            cfg.Clock,
		interval:         cfg.Interval,
		activityInterval: cfg.ActivityInterval,
		probeTimeout:     cfg.ProbeTimeout,
		onDecision:       cfg.OnDecision,
		wake:             make(chan struct{}, 1),
		settings:         cfg.Settings,
		decided:          make(chan struct{}),
		gen:              1, // the first settings; none decided on yet
	}
	if g.clock == nil {
		g.clock = SystemClock()
	}
	if g.interval <= 0 {
		g.interval = DefaultInterval
	}
	if g.activityInterval <= 0 {
		g.activityInterval = DefaultActivityInterval
	}
	if g.probeTimeout <= 0 {
		g.probeTimeout = DefaultProbeTimeout
	}
	if cfg.Record != nil {
		g.record = json.NewEncoder(cfg.Record)
	}
	g.decision = StartingDecision(g.clock.Now())
	return g, nil
}

// Run governs until the context ends, then pauses the gate.
func (g *Governor) Run(ctx context.Context) error {
	full := g.clock.NewTicker(g.interval)
	defer full.Stop()
	defer func() {
		if g.quick != nil {
			g.quick.Stop()
			g.quick = nil
		}
	}()
	defer g.stop()

	g.evaluate(ctx, true)
	for {
		var quick <-chan time.Time
		if g.quick != nil {
			quick = g.quick.C()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-full.C():
			g.evaluate(ctx, false)
		case <-g.wake:
			g.evaluate(ctx, true)
		case <-quick:
			g.checkActivity(ctx)
		}
	}
}

// Wake makes the governor sample and decide now instead of at its next tick.
func (g *Governor) Wake() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// Settled returns the first decision taken on the settings in force at the call or
// newer ones: what a change of settings led to, once the governor has sampled and
// decided (SetSettings wakes it). It fails only when ctx ends first.
func (g *Governor) Settled(ctx context.Context) (Decision, error) {
	g.mu.Lock()
	want := g.gen
	for g.decidedGen < want {
		ch := g.decided
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Decision{}, fmt.Errorf("wait for the governor's decision: %w", ctx.Err())
		}
		g.mu.Lock()
	}
	defer g.mu.Unlock()
	return g.decision, nil
}

// Settings returns the settings in force.
func (g *Governor) Settings() Settings {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.settings
}

// SetSettings replaces the settings after checking them against the machine, and
// decides again at once.
func (g *Governor) SetSettings(s Settings) error {
	g.mu.Lock()
	cores := g.sample.Cores
	g.mu.Unlock()
	if err := s.Validate(cores); err != nil {
		return err
	}
	g.mu.Lock()
	g.settings, g.recorded = s, false
	g.gen++
	g.mu.Unlock()
	g.Wake()
	return nil
}

// Sample returns the sample the decision in force was taken on. With sharing off the
// governor samples again only every offResample or when the settings change
// (evaluate), so its time says how old it is.
func (g *Governor) Sample() Sample {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sample
}

// Decision returns the decision in force.
func (g *Governor) Decision() Decision {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.decision
}

// evaluate takes a full sample and decides. With sharing off the machine cannot
// change the decision, so a tick decides on the last sample rather than read every
// process's CPU time again, until the sample is offResample old; fresh asks for a
// sample anyway, as after a change of settings.
func (g *Governor) evaluate(ctx context.Context, fresh bool) {
	g.mu.Lock()
	settings, gen, last := g.settings, g.gen, g.sample
	g.mu.Unlock()
	if !fresh && settings.Mode == Never && !last.At.IsZero() && g.clock.Now().Sub(last.At) < offResample {
		g.decide(settings, gen, last)
		return
	}
	sctx, cancel := context.WithTimeout(ctx, g.probeTimeout)
	sample := g.sampler.Sample(sctx, settings.ExclusivePrograms)
	cancel()
	if ctx.Err() != nil {
		return
	}
	sample.At = g.clock.Now()
	g.decide(settings, gen, sample)
}

// checkActivity looks only at the idle time while sharing runs because nobody is at
// the computer: the one change that must take effect faster than a full sample.
func (g *Governor) checkActivity(ctx context.Context) {
	g.mu.Lock()
	settings, gen, last, d := g.settings, g.gen, g.sample, g.decision
	g.mu.Unlock()
	if d.Cause != CauseIdle && d.GPU.Cause != CauseIdle {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, g.probeTimeout)
	idle, err := g.sampler.IdleTime(sctx)
	cancel()
	if err != nil || idle >= settings.InUseAfter || ctx.Err() != nil {
		return
	}
	last.UserIdle = Known(idle)
	g.decide(settings, gen, last)
}

// offResample is how old the sample may grow with sharing off: nothing is decided on
// it then, but the dashboard shows what Daoli and its workers use from it, and a
// figure from the start (when the CPU used is not known yet) would stay up for good.
const offResample = time.Minute

// decide decides on sample. The sample kept for Sample keeps At, the time its figures
// were measured: a tick that reuses the last sample (sharing off) or adds only the
// user's idle time to it does not make its CPU and memory figures newer. The trace
// records the time of the decision, which its replay decides at.
func (g *Governor) decide(settings Settings, gen uint64, sample Sample) {
	now := g.clock.Now()
	g.mu.Lock()
	prev := g.decision
	if prev.Cause == CauseStarting {
		prev = Decision{}
	}
	d := Decide(settings, sample, prev, now)
	g.decision, g.sample = d, sample
	decided := sample
	decided.At = now
	g.writeRecord(settings, decided, d)
	g.decidedGen = max(g.decidedGen, gen)
	close(g.decided)
	g.decided = make(chan struct{})
	g.mu.Unlock()

	g.apply(d)
	g.watchActivity(d)
	if g.onDecision != nil && (prev.Reason != d.Reason || prev.GPU.Reason != d.GPU.Reason ||
		prev.Run != d.Run || prev.Cores != d.Cores || prev.Duty != d.Duty) {
		g.onDecision(d)
	}
}

// apply publishes d to the gate, and its GPU part to the GPU gate.
func (g *Governor) apply(d Decision) {
	g.gate.Apply(d)
	if g.gpuGate != nil {
		g.gpuGate.ApplyGPU(d.GPU)
	}
}

// watchActivity starts the quick ticks of checkActivity when d shares an idle
// computer and stops them otherwise: five wake-ups a second are wasted on a computer
// that does not share. It runs before OnDecision, so whoever waits for a decision
// finds the ticks in place.
func (g *Governor) watchActivity(d Decision) {
	want := d.Cause == CauseIdle || d.GPU.Cause == CauseIdle
	switch {
	case want && g.quick == nil:
		g.quick = g.clock.NewTicker(g.activityInterval)
	case !want && g.quick != nil:
		g.quick.Stop()
		g.quick = nil
	}
}

func (g *Governor) stop() {
	g.mu.Lock()
	now := g.clock.Now()
	g.decision = Decision{
		Reason: "Paused: sharing stopped", Cause: CauseStopped, Since: now,
		GPU: GPUDecision{Reason: "GPU paused: sharing stopped", Cause: CauseStopped},
	}
	d := g.decision
	g.mu.Unlock()
	g.apply(d)
	if g.onDecision != nil {
		g.onDecision(d)
	}
}

// TraceRecord is one line of a governor trace: either settings (written at the start
// and after every change) or a sample with the decision taken on it.
type TraceRecord struct {
	Settings *Settings `json:"settings,omitempty"`
	Sample   *Sample   `json:"sample,omitempty"`
	Decision *Decision `json:"decision,omitempty"`
}

// writeRecord appends to the trace; the caller holds g.mu. A failing writer stops
// the recording, never the governor.
func (g *Governor) writeRecord(s Settings, sample Sample, d Decision) {
	if g.record == nil {
		return
	}
	if !g.recorded {
		if err := g.record.Encode(TraceRecord{Settings: &s}); err != nil {
			g.record = nil
			return
		}
		g.recorded = true
	}
	if err := g.record.Encode(TraceRecord{Sample: &sample, Decision: &d}); err != nil {
		g.record = nil
	}
}
