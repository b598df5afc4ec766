package capacity

import (
	"context"
	"crypto/sha256"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/luck"
)

// activityProbe is an idle probe the test flips: it reports the time since the last
// "input", which the test sets.
type activityProbe struct{ lastInput atomic.Int64 }

func (p *activityProbe) IdleTime(context.Context) (time.Duration, error) {
	return time.Since(time.Unix(0, p.lastInput.Load())), nil
}

func (p *activityProbe) touch(at time.Time) { p.lastInput.Store(at.UnixNano()) }

// quietSampler reports a calm machine on mains, with the idle time of its probe.
type quietSampler struct {
	idle  *activityProbe
	cores int
}

func (s quietSampler) Sample(ctx context.Context, _ []string) Sample {
	x := Sample{
		At: time.Now(), Cores: s.cores,
		OtherCPU: Known(1.0), CPUTemperature: Known(50.0),
		Power: Power{HasBattery: Known(true), OnBattery: Known(false), Charge: Known(90.0)},
		GPUs:  Known([]GPU{}),
	}
	if d, err := s.idle.IdleTime(ctx); err == nil {
		x.UserIdle = Known(d)
	}
	return x
}

func (s quietSampler) IdleTime(ctx context.Context) (time.Duration, error) {
	return s.idle.IdleTime(ctx)
}

// governed is a governor with the real clock on a calm machine whose user the test
// plays, and its gate.
type governed struct {
	probe *activityProbe
	gate  *Gate
	gov   *Governor
}

// startGoverned runs a governor until ctx ends; the user was last seen ten minutes ago.
func startGoverned(t *testing.T, ctx context.Context, wg *sync.WaitGroup, settings Settings, cores int) governed {
	t.Helper()
	g := governed{probe: &activityProbe{}, gate: NewGate(nil)}
	g.probe.touch(time.Now().Add(-10 * time.Minute))
	var err error
	g.gov, err = NewGovernor(GovernorConfig{Settings: settings, Sampler: quietSampler{idle: g.probe, cores: cores}, Gate: g.gate})
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { _ = g.gov.Run(ctx) })
	return g
}

// startMiner runs node/luck's miner as a light node makes it with a gate (see
// light.newMiner): one worker per core the Go runtime uses, each holding its throttle
// of the gate, and the gate's pause switch followed; it mines under a target it never
// meets until ctx ends.
func startMiner(ctx context.Context, wg *sync.WaitGroup, gate *Gate) *luck.Miner {
	m := luck.NewMiner(luck.MinerConfig{Throttle: func(slot int) luck.Throttle { return gate.Throttle(slot) }})
	wg.Go(func() { gate.Follow(ctx, m) })
	prefix := make([]byte, sha256.BlockSize)
	wg.Go(func() { _, _ = m.Mine(ctx, prefix, chain.Hash{}) }) // the zero target admits nothing
	return m
}

// parked counts the miner's workers held: at the gate's throttles or at the miner's
// own pause switch, which the gate also closes.
func parked(gate *Gate, m *luck.Miner) int { return gate.Parked() + m.Stats().Parked }

// passCounter wraps a worker's throttle and counts the checkpoints it let through.
type passCounter struct {
	*Throttle
	passes *atomic.Int64
}

func (c passCounter) Checkpoint(ctx context.Context) error {
	err := c.Throttle.Checkpoint(ctx)
	if err == nil {
		c.passes.Add(1)
	}
	return err
}

// TestMinerDutyCycle drives the real miner's workers through duty periods on the
// fake clock: at duty 0.5 every worker hashes for the first 50 ms of a period, then
// rests, hashing nothing, until the next period begins. Each period starts only once
// every worker has passed a checkpoint in it: a worker that wakes after the clock
// has moved on starts its period then, and would rest later than the others.
func TestMinerDutyCycle(t *testing.T) {
	clock := newFakeClock(monday)
	gate := NewGate(clock)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	workers := runtime.GOMAXPROCS(0)
	passes := make([]atomic.Int64, workers)
	miner := luck.NewMiner(luck.MinerConfig{Workers: workers, Throttle: func(slot int) luck.Throttle {
		return passCounter{gate.Throttle(slot), &passes[slot]}
	}})
	wg.Go(func() { gate.Follow(ctx, miner) })
	prefix := make([]byte, sha256.BlockSize)
	wg.Go(func() { _, _ = miner.Mine(ctx, prefix, chain.Hash{}) }) // the zero target admits nothing
	everyWorkerPassed := func(what string) {
		t.Helper()
		mark := make([]int64, workers)
		for i := range passes {
			mark[i] = passes[i].Load()
		}
		waitFor(t, what, func() bool {
			for i := range passes {
				if passes[i].Load() == mark[i] {
					return false
				}
			}
			return true
		})
	}
	gate.Apply(Decision{Run: true, Cores: workers, Duty: 0.5, Reason: "Running at 50 %"})
	everyWorkerPassed("every worker to hash")

	for period := range 3 {
		clock.Advance(60 * time.Millisecond) // past the work share of the period
		waitFor(t, "every worker resting", func() bool { return clock.pending() == workers })
		rested := miner.Stats().Attempts
		for range 1000 {
			runtime.Gosched()
		}
		if n := miner.Stats().Attempts - rested; n != 0 {
			t.Fatalf("period %d: %d attempts during the rest", period, n)
		}
		clock.Advance(40 * time.Millisecond) // the next period begins
		everyWorkerPassed("every worker to hash again")
	}
}

// TestMinerPausesOnUserActivity runs node/luck's real miner, as a light node makes it,
// under the governor with the real clock on every core; the test simulates input and
// measures how long until every worker is parked, and the CPU the process uses while
// paused.
func TestMinerPausesOnUserActivity(t *testing.T) {
	cores := runtime.NumCPU()
	settings := PresetSettings(Balanced, cores)
	settings.Preset, settings.Idle = Custom, Share{Cores: cores, Duty: 1}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	g := startGoverned(t, ctx, &wg, settings, cores)
	miner := startMiner(ctx, &wg, g.gate)
	workers := miner.Stats().Workers

	waitFor(t, "the miner to hash", func() bool { return g.gate.State().Run && miner.Stats().Attempts > 100_000 })
	reason := g.gov.Decision().Reason
	if want := "Sharing: " + describeSharing(cores, cores, 1) + ", idle for 10 min"; reason != want {
		t.Errorf("reason %q, want %q", reason, want)
	}
	touched := time.Now()
	g.probe.touch(touched)
	waitFor(t, "every miner worker parked", func() bool { return parked(g.gate, miner) == workers })
	timeToPause := time.Since(touched)
	if timeToPause >= time.Second {
		t.Errorf("time to pause %v, want under 1 s", timeToPause)
	}

	// Paused: the attempts stand still and the process uses almost no CPU. The
	// governor keeps sampling meanwhile; that is part of what is measured.
	const window = time.Second
	cpuBefore, ok := nodetest.ProcessCPU()
	attempts, wallBefore := miner.Stats().Attempts, time.Now()
	time.Sleep(window) // the measurement window, not a synchronisation
	cpuAfter, _ := nodetest.ProcessCPU()
	wall := time.Since(wallBefore)
	if n := miner.Stats().Attempts - attempts; n != 0 {
		t.Errorf("%d attempts while paused", n)
	}
	share := 0.0
	if ok {
		share = 100 * float64(cpuAfter-cpuBefore) / float64(wall)
		if share > 2 {
			t.Errorf("paused miner used %.2f %% of one core", share)
		}
	}
	t.Logf("luck miner, %d workers: time to pause %v; CPU while paused %.2f %% of one core over %v; then %q",
		workers, timeToPause.Round(time.Millisecond), share, wall.Round(time.Millisecond), g.gov.Decision().Reason)

	// The user leaves: after "in use" expires the miner resumes by itself.
	g.probe.touch(time.Now().Add(-time.Hour))
	waitFor(t, "the miner to resume", func() bool { return parked(g.gate, miner) == 0 && miner.Stats().Attempts > attempts })
}
