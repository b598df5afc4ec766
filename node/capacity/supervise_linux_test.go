package capacity

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// burnEnv makes the test binary the job worker stand-in that TestSuperviseProcess
// starts: a process that spins until killed.
const burnEnv = "DAOLI_CAPACITY_BURN"

func TestMain(m *testing.M) {
	if os.Getenv(burnEnv) == "1" {
		x := 0
		for {
			x++
		}
	}
	os.Exit(m.Run())
}

// procStat returns a process's state letter and its CPU time in clock ticks.
func procStat(t *testing.T, pid int) (state byte, ticks int64) {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	// The command name may hold spaces; the fields after its ")" do not.
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return fields[0][0], utime + stime
}

// allowedCPUs returns the CPU list a process's main thread may run on.
func allowedCPUs(t *testing.T, pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// runningShare samples a process's state over a window and returns the fraction of
// samples in which it was not stopped.
func runningShare(t *testing.T, pid int, window time.Duration) float64 {
	var samples, running int
	for end := time.Now().Add(window); time.Now().Before(end); samples++ {
		if state, _ := procStat(t, pid); state != 'T' {
			running++
		}
		time.Sleep(time.Millisecond) // sampling, not a synchronisation
	}
	return float64(running) / float64(samples)
}

// cpuShare measures a process's CPU use over a window, in percent of one core
// (clock ticks are 1/100 s on Linux).
func cpuShare(t *testing.T, pid int, window time.Duration) float64 {
	_, before := procStat(t, pid)
	start := time.Now()
	time.Sleep(window) // the measurement window, not a synchronisation
	_, after := procStat(t, pid)
	return float64(after-before) / 100 / time.Since(start).Seconds() * 100
}

// TestSuperviseProcess holds a CPU-burning child process to the gate: stopped while
// paused, about 30 % of a core at duty 0.3, running again when supervision ends.
func TestSuperviseProcess(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), burnEnv+"=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()

	gate := NewGate(nil)
	gate.Apply(Decision{Run: true, Cores: 1, Duty: 1, Reason: "Running"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- SuperviseProcess(ctx, gate, pid) }()

	paused := time.Now()
	gate.Pause("Paused: you are using the computer")
	waitFor(t, "the worker stopped", func() bool { state, _ := procStat(t, pid); return state == 'T' })
	t.Logf("worker stopped %v after the pause", time.Since(paused).Round(time.Millisecond))
	if share := cpuShare(t, pid, 500*time.Millisecond); share > 2 {
		t.Errorf("stopped worker used %.1f %% of a core", share)
	}

	// Duty 0.3 on every core. On a busy machine the worker may get less CPU than its
	// 30 %, and a stop shows in /proc only once the worker is scheduled to take it;
	// so the CPU is capped, and the stop-and-go is checked when the worker got CPU.
	cores := runtime.NumCPU()
	gate.Apply(Decision{Run: true, Cores: cores, Duty: 0.3, Reason: "Running at 30 %"})
	running := runningShare(t, pid, time.Second)
	share := cpuShare(t, pid, time.Second)
	t.Logf("worker at duty 0.3: seen running in %.0f %% of the samples, used %.0f %% of a core", 100*running, share)
	if share > 45 {
		t.Errorf("worker at duty 0.3 used %.0f %% of a core", share)
	}
	if share >= 5 && (running < 0.05 || running > 0.9) {
		t.Errorf("worker at duty 0.3 is not cycling: running in %.0f %% of the samples", 100*running)
	}

	// One core: the worker's threads are pinned to a single CPU.
	gate.Apply(Decision{Run: true, Cores: 1, Duty: 1, Reason: "Running on one core"})
	waitFor(t, "the worker pinned to one CPU", func() bool {
		list := allowedCPUs(t, pid)
		return list != "" && !strings.ContainsAny(list, "-,")
	})

	cancel()
	if err := <-done; err != nil {
		t.Errorf("SuperviseProcess = %v", err)
	}
	if state, _ := procStat(t, pid); state == 'T' {
		t.Error("worker left stopped after supervision ended")
	}

	// A process that has gone is reported as such.
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	err := SuperviseProcess(context.Background(), NewGate(nil), pid)
	if !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("supervising a gone process = %v", err)
	}
}
