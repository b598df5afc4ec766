package compute

import (
	"context"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// cpuTime is the worker's user and kernel time so far.
func cpuTime(t *testing.T, h windows.Handle) time.Duration {
	t.Helper()
	var c, e, k, u windows.Filetime
	if err := windows.GetProcessTimes(h, &c, &e, &k, &u); err != nil {
		t.Fatal(err)
	}
	return time.Duration(k.Nanoseconds() + u.Nanoseconds())
}

var isProcessInJob = windows.NewLazySystemDLL("kernel32.dll").NewProc("IsProcessInJob")

// TestWindowsWorker: the worker runs at idle priority in a Job Object that caps its
// memory at processMemory of the job's and ends it with the app, and Pause suspends
// every thread of it: it uses no CPU until Resume. (Run under Wine by the packaging
// tests; Wine keeps the Job Object's limits but does not enforce the memory cap,
// and has no CPU rate control: packaging/README.md.)
func TestWindowsWorker(t *testing.T) {
	pi := Job{Module: job(t, "pi"), Args: []string{"3000000"}, Seed: [32]byte{7},
		Limits: Limits{MemoryBytes: 64 << 20, WallTime: 10 * time.Minute, OutputBytes: 8 << 20}}
	p, err := testWorker().Start(pi)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		p.Kill()
		_, _ = p.Wait(context.Background())
	}()
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_INFORMATION, false, uint32(p.Pid()))
	if err != nil {
		t.Fatal(err)
	}
	defer windows.CloseHandle(h)
	if c, err := windows.GetPriorityClass(h); err != nil || c != windows.IDLE_PRIORITY_CLASS {
		t.Fatalf("worker priority class %#x, %v; want idle (%#x)", c, err, windows.IDLE_PRIORITY_CLASS)
	}
	job := p.wp.limits.job
	var in int32
	if r, _, err := isProcessInJob.Call(uintptr(h), uintptr(job), uintptr(unsafe.Pointer(&in))); r == 0 || in == 0 {
		t.Fatalf("worker not in its job object: %v", err)
	}
	// What SetInformationJobObject took (and did not refuse): Wine answers a query
	// of the limits with zeros, so they are not read back from the object.
	p.wp.limits.mu.Lock()
	info := p.wp.limits.info
	p.wp.limits.mu.Unlock()
	want := uint32(windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | windows.JOB_OBJECT_LIMIT_PRIORITY_CLASS | windows.JOB_OBJECT_LIMIT_PROCESS_MEMORY)
	if f := info.BasicLimitInformation.LimitFlags; f&want != want || uint64(info.ProcessMemoryLimit) != processMemory(64<<20) ||
		info.BasicLimitInformation.PriorityClass != windows.IDLE_PRIORITY_CLASS {
		t.Fatalf("job object flags %#x, memory %d; want flags %#x, memory %d", f, info.ProcessMemoryLimit, want, processMemory(64<<20))
	}

	// Running: its CPU time grows.
	deadline := time.Now().Add(2 * time.Minute)
	for start := cpuTime(t, h); !p.Started() || cpuTime(t, h) < start+200*time.Millisecond; {
		if time.Now().After(deadline) {
			t.Fatal("the worker did not start the job")
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.Pause()
	if !p.Paused() {
		t.Fatal("Pause did not suspend the worker")
	}
	// A thread stops at the next point the kernel can take it; then the time stays.
	paused := cpuTime(t, h)
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if now := cpuTime(t, h); now != paused {
			paused, end = now, time.Now().Add(time.Second)
			if time.Now().After(deadline) {
				t.Fatalf("the paused worker keeps using CPU: %v", now)
			}
		}
	}
	p.Resume()
	for cpuTime(t, h) < paused+100*time.Millisecond {
		if time.Now().After(deadline) {
			t.Fatal("the resumed worker uses no CPU")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Closing the job object ends the worker: it does not outlive the app.
	p.wp.limits.close()
	select {
	case <-p.wp.done:
	case <-time.After(time.Until(deadline)):
		t.Fatal("the worker outlived its job object")
	}
}
