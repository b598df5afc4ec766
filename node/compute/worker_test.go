//go:build linux

package compute

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/internal/frame"
	"github.com/fxamacker/cbor/v2"
)

// procStat reads a field of /proc/PID/stat (1-based, as proc(5) numbers them).
func procStat(t *testing.T, pid, field int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	rest := string(b[bytes.LastIndexByte(b, ')')+2:])
	return strings.Fields(rest)[field-3]
}

// waitStarted waits until the worker's module runs. The worker compiles at nice 19, so
// on a loaded machine that takes as long as the machine makes it: the deadline only
// turns a worker that never starts into a failure before the test binary's timeout.
func waitStarted(t *testing.T, p *Process) {
	t.Helper()
	deadline := time.Now().Add(compileWait / 2)
	for !p.Started() {
		if time.Now().After(deadline) {
			t.Fatalf("the job did not start within %v", compileWait/2)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWorkerRunsJob(t *testing.T) {
	pi := Job{Module: job(t, "pi"), Args: []string{"100000"}, Seed: [32]byte{7}, Limits: testLimits}
	p, err := testWorker().Start(pi)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Wait(context.Background())
	if err != nil || res.Status != StatusOK {
		t.Fatalf("worker: %v %v %s", err, res.Status, res.Reason)
	}
	local := run(t, newSandbox(t), pi)
	if !bytes.Equal(res.Stdout, local.Stdout) {
		t.Fatalf("worker computed %q, this process %q", res.Stdout, local.Stdout)
	}
}

// TestWorkerPauses: a paused worker is stopped by the OS and uses no CPU, runs at the
// lowest priority, and the time it spends paused does not count against its cap.
func TestWorkerPauses(t *testing.T) {
	loop := Job{Module: hostile(t, "loop"), Limits: Limits{MemoryBytes: 64 << 20, WallTime: 1500 * time.Millisecond, OutputBytes: 1024}}
	p, err := testWorker().Start(loop)
	if err != nil {
		t.Fatal(err)
	}
	waitStarted(t, p)
	if nice := procStat(t, p.Pid(), 19); nice != "19" {
		t.Fatalf("worker nice %s, want 19", nice)
	}
	deadline := time.Now().Add(time.Minute)
	start := time.Now()
	p.Pause()
	for procStat(t, p.Pid(), 3) != "T" {
		if time.Now().After(deadline) {
			t.Fatalf("paused worker in state %s", procStat(t, p.Pid(), 3))
		}
		time.Sleep(5 * time.Millisecond)
	}
	cpu := procStat(t, p.Pid(), 14)
	time.Sleep(2 * time.Second)
	if now := procStat(t, p.Pid(), 14); now != cpu {
		t.Fatalf("paused worker used CPU: utime %s → %s", cpu, now)
	}
	p.Resume()
	res, err := p.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusTimeout {
		t.Fatalf("status %v %s", res.Status, res.Reason)
	}
	if took := time.Since(start); took < 2*time.Second+500*time.Millisecond {
		t.Fatalf("timed out %v after the pause began: the pause counted against the cap", took)
	}
}

// TestWorkerThreadsLowestPriority: every thread of a worker running a job is at nice
// 19, not only its main thread (Linux keeps a nice value per thread).
func TestWorkerThreadsLowestPriority(t *testing.T) {
	loop := Job{Module: hostile(t, "loop"), Limits: Limits{MemoryBytes: 64 << 20, WallTime: time.Minute, OutputBytes: 1024}}
	p, err := testWorker().Start(loop)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		p.Kill()
		_, _ = p.Wait(context.Background())
	}()
	waitStarted(t, p)
	dir := "/proc/" + strconv.Itoa(p.Pid()) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var off []string
	for _, task := range tasks {
		tid, _ := strconv.Atoi(task.Name())
		if nice := procStat(t, tid, 19); nice != "19" {
			off = append(off, task.Name()+" at nice "+nice)
		}
	}
	if len(off) > 0 {
		t.Fatalf("%d of the worker's %d threads are not at nice 19: %s", len(off), len(tasks), strings.Join(off, ", "))
	}
	t.Logf("all %d threads of the worker at nice 19", len(tasks))
}

func TestWorkerKilled(t *testing.T) {
	p, err := testWorker().Start(Job{Module: hostile(t, "loop"), Limits: testLimits})
	if err != nil {
		t.Fatal(err)
	}
	p.Kill()
	if _, err := p.Wait(context.Background()); !errors.Is(err, ErrWorker) {
		t.Fatalf("killed worker: %v", err)
	}
	p, err = testWorker().Start(Job{Module: hostile(t, "loop"), Limits: testLimits})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := p.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled wait: %v", err)
	}
}

// TestWorkerCaps: in a worker, a job that passes its cap ends the worker with the
// result that says so.
func TestWorkerCaps(t *testing.T) {
	for _, tc := range []struct {
		module string
		wall   time.Duration // only the loop should meet it; the others have time to spare
		status Status
	}{{"loop", 1500 * time.Millisecond, StatusTimeout}, {"bigout", time.Minute, StatusOutputTooLarge}, {"membomb", time.Minute, StatusMemory}} {
		limits := Limits{MemoryBytes: 64 << 20, WallTime: tc.wall, OutputBytes: 1 << 20}
		p, err := testWorker().Start(Job{Module: hostile(t, tc.module), Limits: limits})
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.Wait(context.Background())
		if err != nil || res.Status != tc.status {
			t.Fatalf("%s: %v %v %s", tc.module, err, res.Status, res.Reason)
		}
		if len(res.Stdout) > limits.OutputBytes {
			t.Fatalf("%s: %d bytes of output kept", tc.module, len(res.Stdout))
		}
	}
}

// TestWorkerStuckPastCap: a worker that cannot report its cap itself (a module that
// never calls the host holds its runtime) is ended by the parent, with a timeout, once
// its running time passes the cap; time paused does not count.
func TestWorkerStuckPastCap(t *testing.T) {
	w := &Worker{Exe: os.Args[0], Args: []string{"-test.run=^$"}, Env: []string{workerEnv + "=stuck"}}
	limits := Limits{MemoryBytes: 64 << 20, WallTime: 300 * time.Millisecond, OutputBytes: 1024}
	p, err := w.Start(Job{Module: []byte("unused"), Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p.Pause()
	time.Sleep(1500 * time.Millisecond)
	p.Resume()
	res, err := p.Wait(context.Background())
	if err != nil || res.Status != StatusTimeout || !strings.Contains(res.Reason, "wall-time cap") {
		t.Fatalf("stuck worker: %v %v %q", err, res.Status, res.Reason)
	}
	if took := time.Since(start); took < 1500*time.Millisecond+limits.WallTime {
		t.Fatalf("ended after %v: the pause counted against the cap", took)
	}
}

// waitGone polls until the process pid has exited and been reaped.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); os.IsNotExist(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker %d still there", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestWorkerKept: a worker process runs job after job, each on a new instance of its
// module, with the same output as a process of its own; one that a cap ended, or that
// was killed, is not used again; Close ends the ones waiting.
func TestWorkerKept(t *testing.T) {
	w := testWorker()
	defer w.Close()
	runOn := func(j Job) (Result, int) {
		t.Helper()
		p, err := w.Start(j)
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.Wait(context.Background())
		if err != nil {
			t.Fatalf("worker: %v", err)
		}
		return res, p.Pid()
	}
	pi := Job{Module: job(t, "pi"), Args: []string{"100000"}, Seed: [32]byte{7}, Limits: testLimits}
	want := run(t, newSandbox(t), pi)
	first, pid := runOn(pi)
	if w.Idle() != 1 {
		t.Fatalf("%d workers wait after a job, want 1", w.Idle())
	}
	// A job that fails by itself, and one that runs out of memory, leave the worker
	// able to run the next.
	limits := Limits{MemoryBytes: 64 << 20, WallTime: time.Minute, OutputBytes: 1 << 20}
	if res, p := runOn(Job{Module: hostile(t, "membomb"), Limits: limits}); res.Status != StatusMemory || p != pid {
		t.Fatalf("memory bomb: %v %s on worker %d, want %d", res.Status, res.Reason, p, pid)
	}
	if res, p := runOn(Job{Module: []byte("not wasm"), Limits: limits}); res.Status != StatusInvalid || p != pid {
		t.Fatalf("invalid module: %v %s on worker %d, want %d", res.Status, res.Reason, p, pid)
	}
	// The parent sends a module by its hash to a worker that keeps it; one that no
	// longer does asks for the bytes.
	w.mu.Lock()
	w.idle[0].kept[ModuleHash(job(t, "hash"))] = true
	w.mu.Unlock()
	if res, p := runOn(Job{Module: job(t, "hash"), Input: []byte("x"), Limits: limits}); res.Status != StatusOK || p != pid {
		t.Fatalf("a module the worker was thought to keep: %v %s on worker %d", res.Status, res.Reason, p)
	}
	second, p := runOn(pi)
	if p != pid {
		t.Fatalf("second job ran on worker %d, the first on %d", p, pid)
	}
	for _, res := range []Result{first, second} {
		if res.Status != StatusOK || !bytes.Equal(res.Stdout, want.Stdout) {
			t.Fatalf("kept worker computed %v %q, a sandbox of its own %q", res.Status, res.Stdout, want.Stdout)
		}
	}

	// An output cap ends the worker with the job.
	if res, p := runOn(Job{Module: hostile(t, "bigout"), Limits: limits}); res.Status != StatusOutputTooLarge || p != pid {
		t.Fatalf("big output: %v %s on worker %d", res.Status, res.Reason, p)
	}
	waitGone(t, pid)
	if w.Idle() != 0 {
		t.Fatalf("%d workers wait after a cap ended the only one", w.Idle())
	}

	// A killed job's worker is not used again.
	res, pid2 := runOn(pi)
	if res.Status != StatusOK || pid2 == pid {
		t.Fatalf("after the cap: %v on worker %d (the ended one was %d)", res.Status, pid2, pid)
	}
	kp, err := w.Start(Job{Module: hostile(t, "loop"), Limits: testLimits})
	if err != nil {
		t.Fatal(err)
	}
	if kp.Pid() != pid2 {
		t.Fatalf("the loop runs on worker %d, the waiting one is %d", kp.Pid(), pid2)
	}
	kp.Kill()
	if _, err := kp.Wait(context.Background()); !errors.Is(err, ErrWorker) {
		t.Fatalf("killed: %v", err)
	}
	waitGone(t, pid2)
	kp.Kill() // after the end: nothing
	_, pid3 := runOn(pi)
	if pid3 == pid2 {
		t.Fatal("a killed worker ran the next job")
	}
	w.Close()
	if w.Idle() != 0 {
		t.Fatalf("%d workers wait after Close", w.Idle())
	}
	waitGone(t, pid3)
}

// TestWorkerIdleEnds: a worker that waits longer than IdleFor exits.
func TestWorkerIdleEnds(t *testing.T) {
	w := testWorker()
	w.IdleFor = 50 * time.Millisecond
	defer w.Close()
	p, err := w.Start(Job{Module: job(t, "pi"), Args: []string{"1000"}, Limits: testLimits})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := p.Wait(context.Background()); err != nil || res.Status != StatusOK {
		t.Fatalf("%v %v", err, res.Status)
	}
	waitGone(t, p.Pid())
	if w.Idle() != 0 {
		t.Fatalf("%d workers wait past IdleFor", w.Idle())
	}
}

// TestWorkerPausedStaysOut: pausing or killing through a job that is over does not
// touch the worker, which may run another job by then.
func TestWorkerPausedStaysOut(t *testing.T) {
	w := testWorker()
	defer w.Close()
	p, err := w.Start(Job{Module: job(t, "pi"), Args: []string{"1000"}, Limits: testLimits})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.Pause()
	p.Kill()
	if st := procStat(t, p.Pid(), 3); st == "T" || st == "Z" {
		t.Fatalf("a finished job's Pause or Kill reached its worker: state %s", st)
	}
	q, err := w.Start(Job{Module: job(t, "pi"), Args: []string{"1000"}, Limits: testLimits})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := q.Wait(context.Background()); err != nil || res.Status != StatusOK || q.Pid() != p.Pid() {
		t.Fatalf("next job: %v %v on %d, want %d", err, res.Status, q.Pid(), p.Pid())
	}
}

// FuzzWorkerFrames: whatever arrives on a worker's pipes is refused with an error or
// read, never a panic, and frames written are read back as they were.
func FuzzWorkerFrames(f *testing.F) {
	j, _ := cbor.Marshal(&workerJob{Job: Job{Module: []byte("\x00asm"), Args: []string{"1"}, Limits: testLimits}})
	r, _ := cbor.Marshal(&workerReply{Result: Result{Status: StatusOK, Stdout: []byte("3.14")}, Kept: [][32]byte{{1}}})
	var b bytes.Buffer
	frame.Write(&b, frameJob, j)
	frame.Write(&b, frameStarted, nil)
	frame.Write(&b, frameReply, r)
	f.Add(b.Bytes())
	f.Add([]byte{frameJob, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{frameReply, 0, 0, 0, 3, 0xa1})
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := bytes.NewReader(data)
		for {
			kind, body, err := frame.Read(rd, 1<<16)
			if err != nil {
				break
			}
			var job workerJob
			_ = workerDec.Unmarshal(body, &job)
			var rep workerReply
			_ = workerDec.Unmarshal(body, &rep)
			var out bytes.Buffer
			if err := frame.Write(&out, kind, body); err != nil {
				t.Fatal(err)
			}
			k2, b2, err := frame.Read(&out, 1<<16)
			if err != nil || k2 != kind || !bytes.Equal(b2, body) {
				t.Fatalf("frame %q of %d bytes read back as %q, %d bytes, %v", kind, len(body), k2, len(b2), err)
			}
		}
	})
}
