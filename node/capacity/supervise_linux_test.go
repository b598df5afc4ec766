package capacity

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/daolicloud/daoli/assets"
	"github.com/daolicloud/daoli/node/compute"
)

// workerEnv makes the test binary a `daoli worker` (compute.WorkerMain), with the
// variable's value as its module cache: the job worker the tests hold to the gate is
// the real one.
const workerEnv = "DAOLI_CAPACITY_WORKER"

// workerCache is the module cache the tests' workers share, so that pi compiles once.
var workerCache string

func TestMain(m *testing.M) {
	if dir := os.Getenv(workerEnv); dir != "" {
		os.Exit(compute.WorkerMain(os.Stdin, os.Stdout, os.Stderr, dir))
	}
	dir, err := os.MkdirTemp("", "daoli-capacity-worker")
	if err != nil {
		panic(err)
	}
	workerCache = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startJob runs the example job pi with samples enough for hours in a real worker
// process, and returns once its module runs. The test's end kills it.
func startJob(t *testing.T) *compute.Process {
	t.Helper()
	mod, err := assets.Job("pi")
	if err != nil {
		t.Fatal(err)
	}
	w := &compute.Worker{Exe: os.Args[0], Args: []string{"-test.run=^$"}, Env: []string{workerEnv + "=" + workerCache}}
	p, err := w.Start(compute.Job{Module: mod, Args: []string{"1000000000000"},
		Limits: compute.Limits{MemoryBytes: 64 << 20, WallTime: compute.MaxWallTime, OutputBytes: 1 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Kill()
		_, _ = p.Wait(context.Background())
		w.Close()
	})
	// Compiling pi takes seconds, more under the race detector on a busy machine.
	deadline := time.Now().Add(3 * time.Minute)
	for !p.Started() {
		if time.Now().After(deadline) {
			t.Fatal("the job did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return p
}

// recorder is the worker as SuperviseProcess sees it, noting when it is stopped and
// continued: the real process, signalled by compute.Process.
type recorder struct {
	*compute.Process
	mu     sync.Mutex
	stops  []time.Time
	starts []time.Time
}

func (r *recorder) Pause() {
	r.Process.Pause()
	r.mu.Lock()
	r.stops = append(r.stops, time.Now())
	r.mu.Unlock()
}

func (r *recorder) Resume() {
	r.Process.Resume()
	r.mu.Lock()
	r.starts = append(r.starts, time.Now())
	r.mu.Unlock()
}

// stoppedSince returns the first stop at or after t.
func (r *recorder) stoppedSince(t time.Time) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.stops {
		if !s.Before(t) {
			return s, true
		}
	}
	return time.Time{}, false
}

func (r *recorder) cycles() (stops, starts int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.stops), len(r.starts)
}

// procStat returns a process's (or thread's) state letter and its CPU time in clock
// ticks (1/100 s on Linux).
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

// threads lists a process's thread IDs.
func threads(t *testing.T, pid int) []int {
	t.Helper()
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		t.Fatal(err)
	}
	var tids []int
	for _, task := range tasks {
		if tid, err := strconv.Atoi(task.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids
}

// allowedCPUs returns the CPU list of every thread of a process.
func allowedCPUs(t *testing.T, pid int) []string {
	t.Helper()
	var lists []string
	for _, tid := range threads(t, pid) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(tid) + "/status")
		if err != nil {
			continue // the thread ended
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
				lists = append(lists, strings.TrimSpace(v))
			}
		}
	}
	return lists
}

// cpuTimes returns the CPU time a process has used, from /proc/PID/stat (its ended
// threads included), and the same from its live threads' /proc/PID/task/TID/schedstat,
// in nanoseconds: ran, and waited runnable for a CPU.
func cpuTimes(t *testing.T, pid int) (used, ran, waited time.Duration) {
	t.Helper()
	_, ticks := procStat(t, pid)
	for _, tid := range threads(t, pid) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(tid) + "/schedstat")
		if err != nil {
			continue // the thread ended
		}
		if f := strings.Fields(string(b)); len(f) >= 2 {
			r, _ := strconv.ParseInt(f[0], 10, 64)
			w, _ := strconv.ParseInt(f[1], 10, 64)
			ran += time.Duration(r)
			waited += time.Duration(w)
		}
	}
	return time.Duration(ticks) * 10 * time.Millisecond, ran, waited
}

// cpuUse is a process's use of the machine over a window. Run is the CPU it used in
// percent of all the machine's cores (from /proc/PID/stat); Demand adds the time its
// threads waited runnable (/proc/PID/task/TID/schedstat). Held is for this process
// only: how many cores' worth of time its goroutines held the Go runtime's
// processors, as runtime/metrics counts it (/cpu/classes/user), which a busy machine
// does not shrink: a goroutine whose thread waits for the CPU still holds its
// processor.
type cpuUse struct{ Run, Demand, Held float64 }

// measureCPU measures the cpuUse of processes over the same window.
func measureCPU(t *testing.T, window time.Duration, pids ...int) []cpuUse {
	t.Helper()
	type times struct{ used, ran, waited time.Duration }
	read := func() []times {
		ts := make([]times, len(pids))
		for i, pid := range pids {
			ts[i].used, ts[i].ran, ts[i].waited = cpuTimes(t, pid)
		}
		return ts
	}
	before, held0 := read(), heldTime()
	start := time.Now()
	time.Sleep(window) // the measurement window, not a synchronisation
	after, held1 := read(), heldTime()
	wall := time.Since(start).Seconds()
	machine := float64(runtime.NumCPU()) * wall
	uses := make([]cpuUse, len(pids))
	for i := range pids {
		uses[i] = cpuUse{
			Run:    100 * (after[i].used - before[i].used).Seconds() / machine,
			Demand: 100 * (after[i].ran - before[i].ran + after[i].waited - before[i].waited).Seconds() / machine,
			Held:   (held1 - held0) / wall,
		}
	}
	return uses
}

// heldTime is the time this process's goroutines have held the runtime's processors,
// in seconds. The runtime brings the figure up to date at each collection.
func heldTime() float64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/cpu/classes/user:cpu-seconds"}}
	metrics.Read(s)
	return s[0].Value.Float64()
}

// TestSuperviseProcess holds a real job worker to the gate: stopped while paused,
// continued and stopped over each period at a duty below one, all its threads pinned
// to one CPU, and running on every CPU again when supervision ends.
func TestSuperviseProcess(t *testing.T) {
	proc := startJob(t)
	p := &recorder{Process: proc}
	pid := p.Pid()

	gate := NewGate(nil)
	gate.Apply(Decision{Run: true, Cores: runtime.NumCPU(), Duty: 1, Reason: "Running"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- SuperviseProcess(ctx, gate, p) }()

	gate.Pause("Paused: you are using the computer")
	waitFor(t, "the worker stopped", func() bool { state, _ := procStat(t, pid); return state == 'T' })
	if use := measureCPU(t, 500*time.Millisecond, pid)[0]; use.Run > 1 {
		t.Errorf("stopped worker used %.1f %% of the machine", use.Run)
	}

	// Duty 0.3: stopped and continued every period.
	gate.Apply(Decision{Run: true, Cores: runtime.NumCPU(), Duty: 0.3, Reason: "Running at 30 %"})
	stops0, starts0 := p.cycles()
	use := measureCPU(t, time.Second, pid)[0]
	stops1, starts1 := p.cycles()
	t.Logf("worker at duty 0.3: %d stops and %d continues in a second, %.0f %% of the machine", stops1-stops0, starts1-starts0, use.Run)
	if stops1-stops0 == 0 || starts1-starts0 == 0 { // 10 each on a calm machine; timers run late on a busy one
		t.Errorf("worker at duty 0.3 stopped %d and continued %d times in a second", stops1-stops0, starts1-starts0)
	}
	if limit := 30/float64(runtime.NumCPU()) + 5; use.Run > limit {
		t.Errorf("worker at duty 0.3 used %.1f %% of the machine, over %.1f %%", use.Run, limit)
	}

	// One core: every thread of the worker is pinned to one CPU.
	gate.Apply(Decision{Run: true, Cores: 1, Duty: 1, Reason: "Running on one core"})
	waitFor(t, "every thread of the worker pinned to one CPU", func() bool {
		for _, list := range allowedCPUs(t, pid) {
			if strings.ContainsAny(list, "-,") {
				return false
			}
		}
		return true
	})

	cancel()
	if err := <-done; err != nil {
		t.Errorf("SuperviseProcess = %v", err)
	}
	if state, _ := procStat(t, pid); state == 'T' {
		t.Error("worker left stopped after supervision ended")
	}
	if runtime.NumCPU() > 1 {
		for _, list := range allowedCPUs(t, pid) {
			if !strings.ContainsAny(list, "-,") {
				t.Fatalf("worker left pinned to CPU %s after supervision ended", list)
			}
		}
	}
}

// noProcess stands for a job worker whose process is gone: signals and pinning find
// nothing, which SuperviseProcess tolerates.
type noProcess struct{}

func (noProcess) Pid() int { return -1 }
func (noProcess) Pause()   {}
func (noProcess) Resume()  {}

// TestSupervisedJobTakesACore: while a job worker is supervised, the miner's throttles
// allow one worker fewer, so job and miner together stay within the gate's cores.
func TestSupervisedJobTakesACore(t *testing.T) {
	gate := NewGate(nil)
	gate.Apply(Decision{Run: true, Cores: 2, Duty: 1, Reason: "Sharing: 2 of 2 cores at full duty, idle for 10 min"})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for slot := range 2 {
		th := gate.Throttle(slot)
		wg.Go(func() {
			for th.Checkpoint(ctx) == nil {
				time.Sleep(time.Millisecond) // a piece of work
			}
		})
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- SuperviseProcess(sctx, gate, noProcess{}) }()
	waitFor(t, "one worker parked for the job", func() bool { return gate.Parked() == 1 })
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both workers back once the job ends", func() bool { return gate.Parked() == 0 })
}

// TestPinningNamesOneProcess: a process ID is pinned only while it names the process
// that was supervised, not a later one that got the ID after it ended.
func TestPinningNamesOneProcess(t *testing.T) {
	many := runtime.NumCPU() > 1 // on one CPU, pinned and not look the same
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	pid := cmd.Process.Pid
	started := processStart(pid)
	if started == 0 {
		t.Fatal("no start time for a running process")
	}
	if err := limitProcessCPUs(pid, started+1, 1); !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("pinning another process with the ID = %v", err)
	}
	if lists := allowedCPUs(t, pid); many && !strings.ContainsAny(lists[0], "-,") {
		t.Fatalf("another process pinned: CPUs %s", lists[0])
	}
	if err := limitProcessCPUs(pid, started, 1); err != nil {
		t.Fatal(err)
	}
	if lists := allowedCPUs(t, pid); many && strings.ContainsAny(lists[0], "-,") {
		t.Fatalf("the process not pinned: CPUs %s", lists[0])
	}
}
