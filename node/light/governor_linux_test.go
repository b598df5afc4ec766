package light

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/assets"
	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/compute"
)

// procField reads a field of /proc/PID/stat (1-based, as proc(5) numbers them).
func procField(t *testing.T, pid, field int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))[field-3]
}

// TestProviderJobHeldToGate: a provider's job runs in a worker process that the
// gate holds to its cores (every thread pinned) and duty (its CPU capped), and stops
// while the gate is closed.
func TestProviderJobHeldToGate(t *testing.T) {
	gate := capacity.NewGate(nil)
	gate.Apply(capacity.Decision{Run: true, Cores: 1, Duty: 0.3, Reason: "Sharing: 1 core at 30 % duty, idle for 10 min"})
	w := &compute.Worker{Exe: os.Args[0], Args: []string{"-test.run=^$"}, Env: []string{workerEnv + "=" + t.TempDir()}}
	defer w.Close()
	m := &agent{n: &Node{cfg: Config{Gate: gate}}, cfg: MarketConfig{Worker: w}}
	mod, err := assets.Job("pi")
	if err != nil {
		t.Fatal(err)
	}
	job := compute.Job{Module: mod, Args: []string{"1000000000000"},
		Limits: compute.Limits{MemoryBytes: 64 << 20, WallTime: compute.MaxWallTime, OutputBytes: 1 << 10}}
	r := &providerRun{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = m.execute(ctx, r, job)
	}()
	defer func() { cancel(); <-done }()
	var p *compute.Process
	// The gate holds the worker from the moment it starts, compiling included, so the
	// test does not wait for the job to begin: at nice 19 and 30 % of one core, beside
	// a machine at load 40, the compiling took longer than the test's 40 minutes.
	poll(t, "the job's worker started", func() bool {
		m.mu.Lock()
		p = r.proc
		m.mu.Unlock()
		return p != nil
	})
	pid := p.Pid()

	poll(t, "every thread of the worker pinned to one CPU", func() bool {
		tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range tasks {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + task.Name() + "/status")
			if err != nil {
				continue // the thread ended
			}
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok && strings.ContainsAny(v, "-,") {
					return false
				}
			}
		}
		return true
	})

	// Duty 0.3 of one core: at most 30 % of a core, and 5 points of the machine to
	// spare. (On a busy machine it gets less; the cap is what the gate promises.)
	ticks := func() int64 {
		u, _ := strconv.ParseInt(procField(t, pid, 14), 10, 64)
		s, _ := strconv.ParseInt(procField(t, pid, 15), 10, 64)
		return u + s
	}
	before, start := ticks(), time.Now()
	time.Sleep(time.Second) // the measurement window, not a synchronisation
	used := float64(ticks()-before) / 100 / time.Since(start).Seconds() / float64(runtime.NumCPU()) * 100
	t.Logf("worker at 1 core, duty 0.3: %.1f %% of the machine", used)
	if limit := 30/float64(runtime.NumCPU()) + 5; used > limit {
		t.Errorf("worker at 1 core, duty 0.3 used %.1f %% of the machine, over %.1f %%", used, limit)
	}

	gate.Pause("Paused: you are using the computer")
	poll(t, "the worker stopped", func() bool { return procField(t, pid, 3) == "T" })
}
