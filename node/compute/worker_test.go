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
)

func testWorker() *Worker {
	return &Worker{Exe: os.Args[0], Args: []string{"-test.run=^$"}, Env: []string{workerEnv + "=1", workerEnv + "_CACHE=" + sharedCache}}
}

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
	deadline := time.Now().Add(30 * time.Second)
	for procStat(t, p.Pid(), 19) != "19" {
		if time.Now().After(deadline) {
			t.Fatalf("worker nice %s, want 19", procStat(t, p.Pid(), 19))
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
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
