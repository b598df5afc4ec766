package capacity

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
)

// fakeSampler returns a sample the test sets, and counts its use.
type fakeSampler struct {
	mu        sync.Mutex
	sample    Sample
	idle      Reading[time.Duration]
	samples   int
	idleCalls int
	programs  []string
}

func (f *fakeSampler) Sample(_ context.Context, programs []string) Sample {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.samples++
	f.programs = slices.Clone(programs)
	s := f.sample
	s.UserIdle = f.idle
	return s
}

func (f *fakeSampler) IdleTime(context.Context) (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.idleCalls++
	if d, ok := f.idle.Get(); ok {
		return d, nil
	}
	return 0, ErrUnknown
}

func (f *fakeSampler) set(change func(*fakeSampler)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

func (f *fakeSampler) counts() (samples, idleCalls int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.samples, f.idleCalls
}

// governorRig runs a Governor on a fake clock and hands out its decisions in order.
type governorRig struct {
	t         *testing.T
	clock     *fakeClock
	sampler   *fakeSampler
	gate      *Gate
	gpuGate   *Gate
	gov       *Governor
	decisions chan Decision
	cancel    context.CancelFunc
	done      chan error
}

func startGovernor(t *testing.T, settings Settings, record io.Writer) *governorRig {
	t.Helper()
	r := &governorRig{
		t:         t,
		clock:     newFakeClock(monday),
		sampler:   &fakeSampler{sample: idleSample(monday), idle: Known(10 * time.Minute)},
		decisions: make(chan Decision, 100),
		done:      make(chan error, 1),
	}
	r.gate, r.gpuGate = NewGate(r.clock), NewGate(r.clock)
	cfg := GovernorConfig{
		Settings: settings, Sampler: r.sampler, Gate: r.gate, GPUGate: r.gpuGate, Clock: r.clock,
		OnDecision: func(d Decision) { r.decisions <- d },
	}
	if record != nil {
		cfg.Record = record
	}
	gov, err := NewGovernor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.gov = gov
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- gov.Run(ctx) }()
	// The sampling ticker exists before the test moves the clock; the activity
	// ticker, when the decision wants one, before the decision is handed out.
	<-r.clock.added
	t.Cleanup(r.stop)
	return r
}

func (r *governorRig) next() Decision {
	r.t.Helper()
	select {
	case d := <-r.decisions:
		return d
	case <-time.After(5 * time.Second):
		r.t.Fatal("no decision")
		return Decision{}
	}
}

func (r *governorRig) stop() {
	if r.cancel != nil {
		r.cancel()
		<-r.done
		r.cancel = nil
	}
}

func TestGovernorAppliesDecisions(t *testing.T) {
	r := startGovernor(t, PresetSettings(Balanced, 8), nil)

	d := r.next()
	if d.Reason != "Sharing: 4 of 8 cores at full duty, idle for 10 min" {
		t.Fatalf("first decision %q", d.Reason)
	}
	if st := r.gate.State(); !st.Run || st.Cores != 4 || st.Duty != 1 {
		t.Errorf("gate %+v after the first decision", st)
	}

	r.sampler.set(func(f *fakeSampler) { f.sample.OtherCPU = Known(90.0) })
	r.clock.Advance(time.Second)
	if d := r.next(); d.Reason != "Paused: other programs use 90 % CPU, resumes after 5 s below 30 %" {
		t.Errorf("after a second of a CPU hog: %q", d.Reason)
	}
	if r.gate.State().Run {
		t.Error("gate still open")
	}

	// New settings take effect at once, without waiting for a tick.
	never := PresetSettings(Balanced, 8)
	never.Mode = Never
	never.ExclusivePrograms = []string{"zoom"}
	if err := r.gov.SetSettings(never); err != nil {
		t.Fatal(err)
	}
	if d := r.next(); d.Reason != "Paused: sharing is off" {
		t.Errorf("after switching sharing off: %q", d.Reason)
	}
	r.sampler.mu.Lock()
	programs := r.sampler.programs
	r.sampler.mu.Unlock()
	if !slices.Equal(programs, []string{"zoom"}) {
		t.Errorf("sampler asked for programs %v", programs)
	}

	bad := never
	bad.Idle.Cores = 99
	if err := r.gov.SetSettings(bad); !errors.Is(err, ErrInvalidSettings) {
		t.Errorf("SetSettings with 99 cores on 8 = %v", err)
	}
	if r.gov.Settings().Idle.Cores == 99 {
		t.Error("refused settings were applied")
	}

	r.stop()
	if d := r.next(); d.Cause != CauseStopped || r.gate.State().Run {
		t.Errorf("after stop: %+v, gate %+v", d, r.gate.State())
	}
}

// TestGovernorGPUGate: the GPU gate follows the GPU's own rules, apart from the CPU's:
// open while the computer is idle, closed above the GPU's temperature ceiling while
// the CPU still shares, closed when sharing stops.
func TestGovernorGPUGate(t *testing.T) {
	r := startGovernor(t, PresetSettings(Balanced, 8), nil)
	if st := r.gpuGate.State(); st.Run {
		t.Fatalf("GPU gate open before a decision: %+v", st)
	}
	r.sampler.set(func(f *fakeSampler) {
		f.sample.GPUs = Known([]GPU{{Vendor: "nvidia", Name: "GeForce RTX 4090", Temperature: Known(50.0)}})
	})
	r.clock.Advance(time.Second)
	for d := r.next(); !d.GPU.Run; d = r.next() {
	}
	if st := r.gpuGate.State(); !st.Run || st.Reason != "GPU sharing: idle for 10 min" {
		t.Fatalf("GPU gate %+v with an idle GPU", st)
	}
	r.sampler.set(func(f *fakeSampler) {
		f.sample.GPUs = Known([]GPU{{Vendor: "nvidia", Name: "GeForce RTX 4090", Temperature: Known(90.0)}})
	})
	r.clock.Advance(time.Second)
	for d := r.next(); d.GPU.Run; d = r.next() {
	}
	if st := r.gpuGate.State(); st.Run || st.Reason != "GPU paused: GPU at 90 °C, resumes below 70 °C" {
		t.Errorf("GPU gate %+v with a hot GPU", st)
	}
	if !r.gate.State().Run {
		t.Error("the CPU's gate closed for the GPU's heat")
	}
	r.stop()
	if st := r.gpuGate.State(); st.Run || st.Reason != "GPU paused: sharing stopped" {
		t.Errorf("GPU gate %+v after stop", st)
	}
}

// TestGovernorActivityFastPath: while sharing runs on an idle computer, the governor
// looks at the idle time every 200 ms and pauses without waiting for a full sample.
func TestGovernorActivityFastPath(t *testing.T) {
	r := startGovernor(t, PresetSettings(Balanced, 8), nil)
	if d := r.next(); !d.Run {
		t.Fatalf("not running: %q", d.Reason)
	}
	samples, _ := r.sampler.counts()

	r.sampler.set(func(f *fakeSampler) { f.idle = Known(300 * time.Millisecond) })
	r.clock.Advance(DefaultActivityInterval)
	d := r.next()
	if d.Reason != "Waiting: you are using the computer (input 0 s ago); sharing starts after 3 min without input" {
		t.Fatalf("after input: %q", d.Reason)
	}
	if r.gate.State().Run {
		t.Error("gate still open")
	}
	if s, _ := r.sampler.counts(); s != samples {
		t.Errorf("the fast path took %d full samples", s-samples)
	}
	if got := r.clock.Now().Sub(monday); got != DefaultActivityInterval {
		t.Errorf("paused after %v of clock time", got)
	}

	// Paused, the governor no longer polls between samples: nothing to pause.
	_, idleCalls := r.sampler.counts()
	r.sampler.set(func(f *fakeSampler) { f.idle = Known(5 * time.Second) })
	r.clock.Advance(DefaultActivityInterval)
	r.clock.Advance(DefaultActivityInterval)
	r.Wake()
	if d := r.next(); d.Reason != "Waiting: you are using the computer (input 5 s ago); sharing starts after 3 min without input" {
		t.Errorf("after a full sample: %q", d.Reason)
	}
	if _, calls := r.sampler.counts(); calls != idleCalls {
		t.Errorf("%d idle looks while paused", calls-idleCalls)
	}
}

func (r *governorRig) Wake() { r.gov.Wake() }

// TestGovernorOffSamplesOnChange: with sharing off the machine cannot change the
// decision, so ticks take no sample and nothing polls for activity; a change of
// settings samples at once.
func TestGovernorOffSamplesOnChange(t *testing.T) {
	off := PresetSettings(Balanced, 8)
	off.Mode = Never
	record := &nodetest.Buffer{}
	r := startGovernor(t, off, record)
	if d := r.next(); d.Reason != "Paused: sharing is off" {
		t.Fatalf("first decision %q", d.Reason)
	}
	samples, idleCalls := r.sampler.counts()
	measured := r.gov.Sample().At
	for range 5 {
		r.clock.Advance(time.Second)
	}
	// A tick decides (a line of the trace: settings, the first decision, then one per
	// tick seen; the ticker drops ticks a busy reader misses) on the last sample,
	// which keeps the time it was measured at.
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(record.String(), "\n") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("no tick decided; trace:\n%s", record.String())
		}
		time.Sleep(time.Millisecond)
	}
	if at := r.gov.Sample().At; !at.Equal(measured) || !at.Equal(monday) {
		t.Errorf("after ticks with sharing off the sample is dated %v, want %v, when it was measured", at, measured)
	}
	// A wake-up is a fresh sample, so once it is taken every tick before it was seen.
	r.Wake()
	deadline = time.Now().Add(5 * time.Second)
	for s, _ := r.sampler.counts(); s == samples; s, _ = r.sampler.counts() {
		if time.Now().After(deadline) {
			t.Fatal("no sample after a wake-up")
		}
		time.Sleep(time.Millisecond)
	}
	if s, calls := r.sampler.counts(); s != samples+1 || calls != idleCalls {
		t.Errorf("5 s off and a wake-up: %d samples, %d idle looks; want 1 and 0", s-samples, calls-idleCalls)
	}
	if at := r.gov.Sample().At; !at.Equal(monday.Add(5 * time.Second)) {
		t.Errorf("a fresh sample is dated %v, want %v", at, monday.Add(5*time.Second))
	}
	// A sample offResample old is taken again at the next tick, sharing off or not.
	samples, _ = r.sampler.counts()
	r.clock.Advance(offResample)
	deadline = time.Now().Add(5 * time.Second)
	for s, _ := r.sampler.counts(); s == samples; s, _ = r.sampler.counts() {
		if time.Now().After(deadline) {
			t.Fatalf("no sample when the last is %v old", offResample)
		}
		time.Sleep(time.Millisecond)
	}
	on := off
	on.Mode = Auto
	if err := r.gov.SetSettings(on); err != nil {
		t.Fatal(err)
	}
	if d := r.next(); !d.Run {
		t.Fatalf("after switching sharing on: %q", d.Reason)
	}
	r.sampler.set(func(f *fakeSampler) { f.idle = Known(300 * time.Millisecond) })
	r.clock.Advance(DefaultActivityInterval)
	if d := r.next(); d.Run {
		t.Errorf("input while sharing: %q", d.Reason)
	}
}

// TestGovernorRecordReplays records a governor's trace and replays it through the
// same table test as testdata/traces: a trace recorded on a real machine is a test.
func TestGovernorRecordReplays(t *testing.T) {
	var record bytes.Buffer
	r := startGovernor(t, PresetSettings(Quiet, 8), &record)
	r.next()
	steps := []func(*fakeSampler){
		func(f *fakeSampler) { f.sample.Power.OnBattery = Known(true) },
		func(f *fakeSampler) { f.sample.Power.OnBattery = Known(false); f.sample.CPUTemperature = Known(75.0) },
		func(f *fakeSampler) { f.sample.CPUTemperature = Known(65.0) },
		func(f *fakeSampler) { f.sample.CPUTemperature = Known(55.0) },
	}
	for _, step := range steps {
		r.sampler.set(step)
		r.clock.Advance(time.Second)
		r.next()
	}
	r.stop()
	path := filepath.Join(t.TempDir(), "recorded.jsonl")
	if err := os.WriteFile(path, record.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded trace:\n%s", record.String())
	replayTrace(t, path)
}

func TestNewGovernorRefuses(t *testing.T) {
	if _, err := NewGovernor(GovernorConfig{Settings: PresetSettings(Balanced, 2)}); err == nil {
		t.Error("governor without sampler and gate")
	}
	bad := PresetSettings(Balanced, 2)
	bad.TempResume = 95
	_, err := NewGovernor(GovernorConfig{Settings: bad, Sampler: &fakeSampler{}, Gate: NewGate(nil)})
	if !errors.Is(err, ErrInvalidSettings) {
		t.Errorf("NewGovernor with contradictory settings = %v", err)
	}
}

// TestGovernorSettled: Settled waits for the decision on the settings just given,
// not the one in force before them.
func TestGovernorSettled(t *testing.T) {
	r := startGovernor(t, PresetSettings(Balanced, 8), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if d, err := r.gov.Settled(ctx); err != nil || d.Cause != CauseIdle {
		t.Fatalf("first decision: %+v, %v", d, err)
	}
	for _, tt := range []struct {
		change func(Settings) Settings
		cause  Cause
	}{
		{Settings.Pause, CausePausedByUser},
		{func(s Settings) Settings { return s.Switch(true) }, CauseIdle},
		{func(s Settings) Settings { return s.Switch(false) }, CauseOff},
		{func(s Settings) Settings { return s.ShareNow(monday.Add(time.Hour)) }, CauseShareNow},
	} {
		if err := r.gov.SetSettings(tt.change(r.gov.Settings())); err != nil {
			t.Fatal(err)
		}
		if d, err := r.gov.Settled(ctx); err != nil || d.Cause != tt.cause {
			t.Fatalf("settled on %+v, %v; want %s", d, err, tt.cause)
		}
	}
	// A context that ends first is an error, not a stale decision.
	r.stop()
	if err := r.gov.SetSettings(r.gov.Settings().Pause()); err != nil {
		t.Fatal(err)
	}
	short, cancelShort := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancelShort()
	if d, err := r.gov.Settled(short); err == nil {
		t.Fatalf("settled without a running governor: %+v", d)
	}
}
