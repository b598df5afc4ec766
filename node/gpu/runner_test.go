package gpu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// These tests drive Runner and WorkerMain, both sides of the protocol, with executors
// that stand for a machine without a GPU executor and for a device that crashes or
// hangs; node/gpu/device's tests run real shaders.
const fakeEnv = "DAOLI_GPU_FAKE_WORKER"

type fakeExecutor string

func (f fakeExecutor) Execute(m *Manifest, bufs [][]byte, before func(int) bool, started func(int)) ([][]byte, Adapter, error) {
	switch f {
	case "noexec":
		return nil, Adapter{}, ErrNoExecutor
	case "crash":
		fmt.Fprintln(os.Stderr, "driver: segmentation fault")
		os.Exit(3)
	case "hang-dispatch":
		if before(0) {
			started(0)
		}
		time.Sleep(time.Hour) // a dispatch that does not end
	case "hang-setup":
		time.Sleep(time.Hour) // a device that never opens
	}
	for i := range m.DispatchCount() {
		if !before(i) {
			return nil, Adapter{}, errors.New("stopped")
		}
		started(i)
	}
	return bufs, Adapter{Name: "fake"}, nil
}

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeEnv); mode != "" {
		os.Exit(WorkerMain(os.Stdin, os.Stdout, os.Stderr, fakeExecutor(mode)))
	}
	os.Exit(m.Run())
}

func fakeRunner(mode string) *Runner {
	return &Runner{Exe: os.Args[0], Env: []string{fakeEnv + "=" + mode}}
}

func TestRunner(t *testing.T) {
	job := Job{Module: encode(t, validManifest()), InputTree: packed(t, map[string][]byte{"in/a.bin": []byte("abcd")}),
		Limits: Limits{BufferBytes: 1 << 20, Dispatches: 8, DispatchTime: time.Second, WallTime: 2 * time.Second}}
	res, err := fakeRunner("ok").Run(context.Background(), job)
	if err != nil || res.Status != StatusOK {
		t.Fatalf("%v %+v", err, res)
	}
	want := packed(t, map[string][]byte{"out.bin": append([]byte("abcd"), make([]byte, 12)...)})
	if err := CompareOutputs(Check{Mode: CheckExact}, want, res.Tree); err != nil {
		t.Error(err)
	}

	cases := []struct {
		mode   string
		err    error
		status Status
		reason string
	}{
		{"noexec", ErrNoExecutor, 0, "this build has no GPU executor"},
		{"crash", ErrWorker, 0, "driver: segmentation fault"},
		{"hang-dispatch", nil, StatusTimeout, "dispatch 1 of 2 still running after the watchdog's 1s"},
		{"hang-setup", nil, StatusTimeout, "still running after its wall-time cap of 2s"},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			res, err := fakeRunner(c.mode).Run(context.Background(), job)
			if c.err != nil {
				if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.reason) {
					t.Fatalf("got %v, want %v with %q", err, c.err, c.reason)
				}
				return
			}
			if err != nil || res.Status != c.status || !strings.Contains(res.Reason, c.reason) {
				t.Fatalf("got %v %v %q, want %v with %q", err, res.Status, res.Reason, c.status, c.reason)
			}
		})
	}
}

// A manifest the limits refuse is refused before any process starts.
func TestRunnerRefusesOverLimits(t *testing.T) {
	job := Job{Module: encode(t, validManifest()), Limits: Limits{BufferBytes: 8, Dispatches: 8, DispatchTime: time.Second, WallTime: time.Second}}
	res, err := (&Runner{Exe: "/nonexistent"}).Run(context.Background(), job)
	if err != nil || res.Status != StatusInvalid || !strings.Contains(res.Reason, "cap 8") {
		t.Fatalf("got %v %+v", err, res)
	}
	job.Module = []byte("{}")
	res, err = (&Runner{Exe: "/nonexistent"}).Run(context.Background(), job)
	if err != nil || res.Status != StatusInvalid || !strings.Contains(res.Reason, "invalid GPU job manifest") {
		t.Fatalf("got %v %+v", err, res)
	}
	job.Limits = Limits{}
	if _, err := (&Runner{Exe: "/nonexistent"}).Start(job); !errors.Is(err, ErrLimits) {
		t.Fatalf("zero limits: got %v", err)
	}
}
