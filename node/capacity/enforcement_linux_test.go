package capacity

import (
	"context"
	"flag"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// measureWindow is how long the preset tests measure each preset's CPU use; the
// figures in docs/capacity.md are from -capacity.window=10s.
var measureWindow = flag.Duration("capacity.window", 2*time.Second, "how long TestMinerHoldsPresets and TestWorkerHoldsPresets measure each preset")

// presetCase is a preset and whether the user is at the computer.
type presetCase struct {
	preset Preset
	inUse  bool
}

func (c presetCase) String() string {
	if c.inUse {
		return string(c.preset) + " in use"
	}
	return string(c.preset) + " idle"
}

// presetCases are the presets' shares that run: idle for each, and Max in use.
var presetCases = []presetCase{{Quiet, false}, {Balanced, false}, {Max, false}, {Max, true}}

// applyPreset sets a preset and the user's presence, and waits until the gate
// carries the preset's share; it returns the decision.
func applyPreset(t *testing.T, g governed, c presetCase, cores int) Decision {
	t.Helper()
	settings := PresetSettings(c.preset, cores)
	share, cause := settings.Idle, CauseIdle
	if c.inUse {
		share, cause = settings.InUse, CauseInUse
		g.probe.touch(time.Now())
	} else {
		g.probe.touch(time.Now().Add(-10 * time.Minute))
	}
	if err := g.gov.SetSettings(settings); err != nil {
		t.Fatal(err)
	}
	var d Decision
	waitFor(t, "the preset's share at the gate", func() bool {
		d = g.gov.Decision()
		st := g.gate.State()
		return d.Run && d.Cause == cause && d.Cores == share.Cores && d.Duty == share.Duty && st.Run && st.Cores == d.Cores && st.Duty == d.Duty
	})
	if want := describeSharing(d.Cores, cores, d.Duty); !strings.Contains(d.Reason, want) {
		t.Fatalf("%v: reason %q does not say %q", c, d.Reason, want)
	}
	return d
}

// checkUse holds a measured use to the share a reason line states, in percent of the
// machine: the CPU used is at most the share, with 5 points to spare. That bound
// holds on any machine; a busy one gives the process less than its share, and the
// time it was runnable (its demand) is logged, not held to anything: the duty
// cycle's rests run late there, and the Go runtime's threads wait for the CPU too.
func checkUse(t *testing.T, what string, use cpuUse, share float64) {
	t.Helper()
	t.Logf("%s: %.1f %% of the machine used, %.1f %% runnable, share %.1f %%", what, use.Run, use.Demand, share)
	if use.Run > share+5 {
		t.Errorf("%s used %.1f %% of the machine, over the share of %.1f %%", what, use.Run, share)
	}
}

// TestMinerHoldsPresets runs node/luck's real miner, as a light node makes it, under
// each preset on this machine and measures this process's CPU over a window from
// /proc: it stays within what the reason line says (cores × duty of the machine's
// cores; Quiet on 2 cores is 1 core at 50 %, 25 % of the machine).
//
// A busy machine gives the miner less than its share, and then a miner that ignored
// the gate would pass this check too; TestMinerDutyCycle and light's
// TestNodeMinerHoldsGate catch that on any machine. The time the goroutines held the
// runtime's processors is logged: what the miner asked for, whatever it got, though
// on a busy machine it counts the other goroutines' threads waiting for the CPU too.
func TestMinerHoldsPresets(t *testing.T) {
	cores := runtime.NumCPU()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	g := startGoverned(t, ctx, &wg, PresetSettings(Quiet, cores), cores)
	miner := startMiner(ctx, &wg, g.gate)
	for _, c := range presetCases {
		d := applyPreset(t, g, c, cores)
		before := miner.Stats().Attempts
		use := measureCPU(t, *measureWindow, os.Getpid())[0]
		if miner.Stats().Attempts == before {
			t.Errorf("%v: the miner hashed nothing", c)
		}
		what := c.String() + ", miner (" + d.Reason + ")"
		checkUse(t, what, use, 100*float64(d.Cores)*d.Duty/float64(cores))
		t.Logf("%s: goroutines held %.2f cores, share %.2f", what, use.Held, float64(d.Cores)*d.Duty)
	}
}

// TestWorkerHoldsPresets runs the example job pi in a real job worker held by
// SuperviseProcess under each preset, first alone and then with the real miner
// beside it as a providing node runs them, and measures the worker's and this
// process's CPU over a window from /proc. A job is one thread (WebAssembly without
// threads), so it uses one of the allowed cores, at min(cores, 1) × duty of the
// machine; the miner works on the cores left, so that both together stay within what
// the reason line says. Below full duty the worker is stopped and continued every
// period, which the test sees; at full duty it is not stopped.
func TestWorkerHoldsPresets(t *testing.T) {
	cores := runtime.NumCPU()
	proc := startJob(t)
	p := &recorder{Process: proc}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	g := startGoverned(t, ctx, &wg, PresetSettings(Quiet, cores), cores)
	wg.Go(func() { _ = SuperviseProcess(ctx, g.gate, p) })
	for _, mining := range []bool{false, true} {
		if mining {
			startMiner(ctx, &wg, g.gate)
		}
		for _, c := range presetCases {
			d := applyPreset(t, g, c, cores)
			stops0, starts0 := p.cycles()
			uses := measureCPU(t, *measureWindow, p.Pid(), os.Getpid())
			stops1, starts1 := p.cycles()
			stops, starts := stops1-stops0, starts1-starts0
			worker, miner := uses[0], uses[1]
			what := c.String() + ", worker"
			if mining {
				what += " beside the miner"
			}
			checkUse(t, what+" ("+d.Reason+")", worker, 100*float64(min(d.Cores, 1))*d.Duty/float64(cores))
			switch {
			case d.Duty < 1 && (stops == 0 || starts == 0): // 10 a second on a calm machine
				t.Errorf("%s: at duty %v the worker was stopped %d and continued %d times", what, d.Duty, stops, starts)
			case d.Duty >= 1 && stops > 0:
				t.Errorf("%s: at full duty the worker was stopped %d times", what, stops)
			}
			if !mining {
				continue
			}
			share := 100 * float64(d.Cores) * d.Duty / float64(cores)
			both := worker.Run + miner.Run
			t.Logf("%v, worker and miner: %.1f %% of the machine used (miner %.1f %%), share %.1f %%", c, both, miner.Run, share)
			if both > share+5 {
				t.Errorf("%v: worker and miner used %.1f %% of the machine, over the share of %.1f %%", c, both, share)
			}
		}
	}
}

// TestWorkerPausesOnUserActivity: under the governor, a real job worker is stopped
// within a second of simulated input, uses no CPU while stopped, and runs again when
// the user leaves.
func TestWorkerPausesOnUserActivity(t *testing.T) {
	cores := runtime.NumCPU()
	settings := PresetSettings(Balanced, cores)
	settings.Preset, settings.Idle = Custom, Share{Cores: cores, Duty: 1}
	proc := startJob(t)
	p := &recorder{Process: proc}
	pid := p.Pid()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	g := startGoverned(t, ctx, &wg, settings, cores)
	wg.Go(func() { _ = SuperviseProcess(ctx, g.gate, p) })
	waitFor(t, "the worker to run", func() bool { return g.gate.State().Run })
	_, ticks := procStat(t, pid)
	waitFor(t, "the worker to use CPU", func() bool { _, now := procStat(t, pid); return now > ticks })

	touched := time.Now()
	g.probe.touch(touched)
	var stopped time.Time
	waitFor(t, "the worker signalled to stop", func() bool {
		var ok bool
		stopped, ok = p.stoppedSince(touched)
		return ok
	})
	toSignal := stopped.Sub(touched)
	// A stop takes effect once the worker is next scheduled, without running any
	// more of its code; at nice 19 on a busy machine that can take a while.
	waitFor(t, "the worker stopped", func() bool { state, _ := procStat(t, pid); return state == 'T' })
	toStopped := time.Since(touched)
	if toSignal >= time.Second {
		t.Errorf("worker signalled to stop %v after the input, want under 1 s", toSignal)
	}
	use := measureCPU(t, time.Second, pid)[0]
	if use.Run > 1 {
		t.Errorf("stopped worker used %.2f %% of the machine", use.Run)
	}
	t.Logf("job worker: stop sent %v after the input, stopped in /proc by %v; CPU while stopped %.2f %% of the machine; then %q",
		toSignal.Round(time.Millisecond), toStopped.Round(time.Millisecond), use.Run, g.gov.Decision().Reason)

	g.probe.touch(time.Now().Add(-time.Hour))
	_, ticks = procStat(t, pid)
	waitFor(t, "the worker to run again", func() bool { state, now := procStat(t, pid); return state != 'T' && now > ticks })
}
