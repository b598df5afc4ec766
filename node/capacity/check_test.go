package capacity

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCheck(t *testing.T) {
	fp := Fingerprint{CPU: "Test CPU", Arch: "amd64", Cores: 2, MemoryGiB: 8}
	res, err := RunCheck(context.Background(), fp, CheckOptions{Duration: 50 * time.Millisecond, Cores: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range []Throughput{res.Miner, res.Job} {
		if th.SingleCore <= 0 || th.AllCores <= 0 || th.Cores != 2 {
			t.Errorf("%s: %+v", th.Workload, th)
		}
		t.Logf("%s: %.3g %s on one core, %.3g on %d", th.Workload, th.SingleCore, th.Unit, th.AllCores, th.Cores)
	}
	if res.Miner.Workload != "sha256" || res.Job.Workload != "float" || !res.Fingerprint.Equal(fp) {
		t.Errorf("result %+v", res)
	}
}

func TestMeasureThroughputCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := MeasureThroughput(ctx, MinerWorkload(), 1, time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled measurement = %v", err)
	}
	if _, err := MeasureThroughput(context.Background(), Workload{Name: "none"}, 1, time.Millisecond); err == nil {
		t.Error("a workload without work was measured")
	}
}

// TestEnsureCheck: the check runs once, is reused while the hardware stays, and runs
// again when the fingerprint changes or the stored file is broken.
func TestEnsureCheck(t *testing.T) {
	var runs atomic.Int32
	counting := Workload{Name: "count", Unit: "units/s", New: func() func(int) {
		runs.Add(1)
		return func(n int) { time.Sleep(time.Duration(n) * time.Microsecond) }
	}}
	opts := CheckOptions{Duration: 10 * time.Millisecond, Cores: 2, Miner: &counting, Job: &counting}
	path := filepath.Join(t.TempDir(), "capacity.json")
	store := FileCheckStore{Path: path}
	ctx := context.Background()
	laptop := Fingerprint{CPU: "Test CPU", Arch: "amd64", Cores: 8, MemoryGiB: 16}

	first, ran, err := EnsureCheck(ctx, store, laptop, opts)
	if err != nil || !ran {
		t.Fatalf("first EnsureCheck: ran=%v err=%v", ran, err)
	}
	afterFirst := runs.Load()
	again, ran, err := EnsureCheck(ctx, store, laptop, opts)
	if err != nil || ran || runs.Load() != afterFirst {
		t.Errorf("same hardware ran the check again: ran=%v err=%v", ran, err)
	}
	if !again.At.Equal(first.At) || again.Miner != first.Miner {
		t.Errorf("stored result differs: %+v vs %+v", again, first)
	}

	upgraded := laptop
	upgraded.MemoryGiB = 32
	if _, ran, err := EnsureCheck(ctx, store, upgraded, opts); err != nil || !ran {
		t.Errorf("new memory did not re-run the check: ran=%v err=%v", ran, err)
	}
	stored, err := store.LoadCheck()
	if err != nil || !stored.Fingerprint.Equal(upgraded) {
		t.Errorf("stored fingerprint %+v, %v", stored.Fingerprint, err)
	}

	if err := os.WriteFile(path, []byte("{broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := store.LoadCheck(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("broken file: %v", err)
	}
	if _, ran, err := EnsureCheck(ctx, store, upgraded, opts); err != nil || !ran {
		t.Errorf("broken file was not replaced: ran=%v err=%v", ran, err)
	}
	if _, err := (FileCheckStore{Path: filepath.Join(t.TempDir(), "none.json")}).LoadCheck(); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing file: %v", err)
	}
}

func TestFingerprint(t *testing.T) {
	hw := Hardware{
		CPU: CPUInfo{Brand: "AMD Ryzen 7 7840U"}, UsableCores: 16, Arch: "amd64",
		MemoryTotal: Known(uint64(32<<30 - 300<<20)), // the kernel keeps a little
		GPUs:        Known([]GPU{{Vendor: "amd", PCIID: "1002:15bf", Name: "Phoenix1"}}),
	}
	fp := hw.Fingerprint()
	if fp.MemoryGiB != 32 || fp.Cores != 16 || len(fp.GPUs) != 1 {
		t.Errorf("fingerprint %+v", fp)
	}
	other := fp
	other.GPUs = nil
	if fp.Equal(other) {
		t.Error("removing the GPU kept the fingerprint")
	}
	noBrand := Hardware{CPU: CPUInfo{Vendor: "ARM", Family: 0, Model: 3}, UsableCores: 4}
	if got := noBrand.Fingerprint().CPU; got != "ARM family 0 model 3" {
		t.Errorf("CPU without a brand: %q", got)
	}
}
