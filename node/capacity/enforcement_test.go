package capacity

import (
	"context"
	"crypto/sha256"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/luck"
)

// activityProbe is an idle probe the test flips: it reports the time since the last
// "input", which the test sets.
type activityProbe struct{ lastInput atomic.Int64 }

func (p *activityProbe) IdleTime(context.Context) (time.Duration, error) {
	return time.Since(time.Unix(0, p.lastInput.Load())), nil
}

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

// TestMinerPausesOnUserActivity is the real-time check of enforcement on this
// machine: a SHA-256 worker per core (the miner's stand-in) runs under the governor
// with the real clock; the test simulates input and measures how long until every
// worker is parked, then how much CPU the process uses while paused.
func TestMinerPausesOnUserActivity(t *testing.T) {
	cores := runtime.NumCPU()
	settings := PresetSettings(Balanced, cores)
	settings.Preset, settings.Idle = Custom, Share{Cores: cores, Duty: 1}

	probe := &activityProbe{}
	probe.lastInput.Store(time.Now().Add(-10 * time.Minute).UnixNano())
	gate := NewGate(nil)
	var decisions sync.Map
	gov, err := NewGovernor(GovernorConfig{
		Settings: settings, Sampler: quietSampler{idle: probe, cores: cores}, Gate: gate,
		OnDecision: func(d Decision) { decisions.Store(d.Reason, true) },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Add(1)
	go func() { defer wg.Done(); _ = gov.Run(ctx) }()

	// The miner's stand-in: hashes in batches of 4096 between checkpoints, about a
	// millisecond of work.
	var hashes atomic.Uint64
	for slot := range cores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			th := gate.Throttle(slot)
			var block [64]byte
			for th.Checkpoint(ctx) == nil {
				for range 4096 {
					sum := sha256.Sum256(block[:])
					copy(block[:], sum[:])
				}
				hashes.Add(4096)
			}
		}()
	}
	waitFor(t, "the miner to run", func() bool { return gate.State().Run && hashes.Load() > 100_000 })

	touched := time.Now()
	probe.lastInput.Store(touched.UnixNano())
	waitFor(t, "every worker parked", func() bool { return gate.Parked() == cores })
	timeToPause := time.Since(touched)
	if timeToPause >= time.Second {
		t.Errorf("time to pause %v, want under 1 s", timeToPause)
	}
	if st := gate.State(); st.Run {
		t.Errorf("gate open after input: %+v", st)
	}

	// Paused: the hash count stands still and the process uses almost no CPU. The
	// governor keeps sampling meanwhile; that is part of what is measured.
	const window = time.Second
	cpuBefore, ok := processCPUTime()
	hashesBefore, wallBefore := hashes.Load(), time.Now()
	time.Sleep(window) // the measurement window, not a synchronisation
	cpuAfter, _ := processCPUTime()
	wall := time.Since(wallBefore)
	if n := hashes.Load() - hashesBefore; n != 0 {
		t.Errorf("%d hashes while paused", n)
	}
	share := 0.0
	if ok {
		share = 100 * float64(cpuAfter-cpuBefore) / float64(wall)
		if share > 2 {
			t.Errorf("paused miner used %.2f %% of one core", share)
		}
	}
	reason := gov.Decision().Reason
	t.Logf("%d workers; time to pause %v; CPU while paused %.2f %% of one core over %v; reason %q",
		cores, timeToPause.Round(time.Millisecond), share, wall.Round(time.Millisecond), reason)
	if _, seen := decisions.Load("Running: idle for 10 min, " + describeCores(cores, cores, 1)); !seen {
		t.Errorf("no running decision with its reason was reported")
	}

	// The user leaves: after "in use" expires the miner resumes by itself.
	probe.lastInput.Store(time.Now().Add(-time.Hour).UnixNano())
	waitFor(t, "the miner to resume", func() bool { return gate.Parked() == 0 && hashes.Load() > hashesBefore })
}

// TestLuckMinerFollowsGovernor runs node/luck's real miner, with one worker per core
// and a target it never meets, under the governor through Gate.Follow, and measures
// the time from simulated input until every worker is parked and the CPU the paused
// miner uses.
func TestLuckMinerFollowsGovernor(t *testing.T) {
	cores := runtime.NumCPU()
	settings := PresetSettings(Balanced, cores)
	settings.Preset, settings.Idle = Custom, Share{Cores: cores, Duty: 1}
	probe := &activityProbe{}
	probe.lastInput.Store(time.Now().Add(-10 * time.Minute).UnixNano())
	gate := NewGate(nil)
	gov, err := NewGovernor(GovernorConfig{Settings: settings, Sampler: quietSampler{idle: probe, cores: cores}, Gate: gate})
	if err != nil {
		t.Fatal(err)
	}
	miner := luck.NewMiner(luck.MinerConfig{Workers: cores})
	miner.Pause() // until the governor's first decision

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { _ = gov.Run(ctx) })
	wg.Go(func() { gate.Follow(ctx, miner) })
	prefix := make([]byte, sha256.BlockSize)
	wg.Go(func() { _, _ = miner.Mine(ctx, prefix, chain.Hash{}) }) // the zero target admits nothing

	waitFor(t, "the miner to hash", func() bool { return miner.Stats().Attempts > 1_000_000 })
	touched := time.Now()
	probe.lastInput.Store(touched.UnixNano())
	waitFor(t, "every miner worker parked", func() bool { return miner.Stats().Parked == cores })
	timeToPause := time.Since(touched)
	if timeToPause >= time.Second {
		t.Errorf("time to pause %v, want under 1 s", timeToPause)
	}

	const window = time.Second
	cpuBefore, ok := processCPUTime()
	attempts, wallBefore := miner.Stats().Attempts, time.Now()
	time.Sleep(window) // the measurement window, not a synchronisation
	cpuAfter, _ := processCPUTime()
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
	t.Logf("luck miner, %d workers: time to pause %v; CPU while paused %.2f %% of one core; reason %q",
		cores, timeToPause.Round(time.Millisecond), share, gov.Decision().Reason)

	probe.lastInput.Store(time.Now().Add(-time.Hour).UnixNano())
	waitFor(t, "the miner to resume", func() bool { return miner.Stats().Attempts > attempts })
}
