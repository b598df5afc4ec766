//go:build linux

package nemesis

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	built     Binaries
	buildErr  error
)

// testBinaries builds the binaries once for the package's tests.
func testBinaries(t *testing.T) Binaries {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "nemesis-bin-")
		if err != nil {
			buildErr = err
			return
		}
		built, buildErr = Build(dir)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

// TestMain removes the binaries testBinaries built.
func TestMain(m *testing.M) {
	code := m.Run()
	if built.Trustee != "" {
		os.RemoveAll(filepath.Dir(built.Trustee))
	}
	os.Exit(code)
}

// TestDeadAtStart: a trustee that exits at once is reported with its last words, at
// once, not after the start's three minutes; and nothing of the run is left.
func TestDeadAtStart(t *testing.T) {
	if err := CheckPrivileges(); err != nil {
		t.Fatalf("%v: run the node tests as root (CI does), or leave this package out", err)
	}
	bins := testBinaries(t)
	broken := filepath.Join(t.TempDir(), "daoli-trustee")
	if err := os.WriteFile(broken, []byte("#!/bin/sh\necho no key here >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	bins.Trustee = broken
	begin := time.Now()
	res, err := Run(context.Background(), Config{Trustees: 4, Lights: 1, Seed: 1, Duration: time.Minute, Dir: t.TempDir(), Bins: bins, DiskTrustee: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || !strings.Contains(res.Findings[0], "exited at the start (exit status 3): no key here") {
		t.Fatalf("findings %q", res.Findings)
	}
	if d := time.Since(begin); d > 2*time.Minute {
		t.Fatalf("reported after %v", d)
	}
	if left := Leftovers(res.NetID); len(left) > 0 {
		t.Fatalf("left after the teardown: %s", strings.Join(left, ", "))
	}
}

// TestCleanAll: what a run killed before its teardown leaves — a namespace with a
// process in it, its veth, the bridge — CleanAll removes, process included.
func TestCleanAll(t *testing.T) {
	if err := CheckPrivileges(); err != nil {
		t.Fatalf("%v: run the node tests as root (CI does), or leave this package out", err)
	}
	const id = "beef"
	n, err := NewNet(id, 251)
	if err != nil {
		t.Fatal(err)
	}
	h, err := n.AddHost("x")
	if err != nil {
		n.Close()
		t.Fatal(err)
	}
	sleeper := h.Command("sleep", "600")
	if err := sleeper.Start(); err != nil {
		n.Close()
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- sleeper.Wait() }()
	done, err := CleanAll(id)
	if err != nil {
		t.Fatal(err)
	}
	if left := Leftovers(id); len(left) > 0 {
		t.Fatalf("left after CleanAll: %s (removed %s)", strings.Join(left, ", "), strings.Join(done, ", "))
	}
	select {
	case <-exited:
	case <-time.After(time.Minute):
		sleeper.Process.Kill()
		t.Fatal("the namespace's process still runs")
	}
	// The veth goes with its namespace, or is removed after it.
	if got := strings.Join(done, ","); !strings.Contains(got, "namespace nmbeef-0") || !strings.Contains(got, "link nmbbeef") {
		t.Fatalf("removed %q, want the namespace and the bridge", done)
	}
}

// testSeed is the schedule `make test` runs: its 110 s hold one fault of each kind.
const testSeed = 7

// TestNemesis runs the short schedule: 4 trustee processes and 3 light nodes in
// network namespaces, clocks skewed (a trustee 10 % fast, one 2 min behind, light
// nodes 10 % slow, 10 % fast and jumping 5 min), then one partition into halves, an
// isolated trustee, a light node cut off from the trustees, a one-way drop, random
// loss, delay with jitter, reordering, a pause, a kill and a full disk, healed and
// checked (package doc). It needs root, as CI has: without it the test fails and
// says so. DAOLI_NEMESIS_DIR keeps the run's history, summary and logs there.
func TestNemesis(t *testing.T) {
	if err := CheckPrivileges(); err != nil {
		t.Fatalf("%v: run the node tests as root (CI does), or leave this package out", err)
	}
	tmp := t.TempDir()
	dir := os.Getenv("DAOLI_NEMESIS_DIR")
	if dir == "" {
		dir = filepath.Join(tmp, "run")
	}
	bins := testBinaries(t)
	// 110 s: seed 7's schedule has one fault of each of the ten kinds.
	cfg := Config{Trustees: 4, Lights: 3, Seed: testSeed, Duration: 110 * time.Second, Dir: dir, Bins: bins,
		Skew: true, DiskTrustee: 1, Logf: t.Logf}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("summary:\n%s", res.Summary)
	if left := Leftovers(res.NetID); len(left) > 0 {
		t.Errorf("left after the teardown: %s", strings.Join(left, ", "))
	}
	if mounts, err := os.ReadFile("/proc/self/mounts"); err == nil && strings.Contains(string(mounts), dir) {
		t.Errorf("the tmpfs under %s is still mounted", dir)
	}
	kinds := map[Kind]bool{}
	for _, f := range res.Faults {
		kinds[f.Kind] = true
	}
	for _, k := range []Kind{Halves, Isolate, CutLight, OneWay, Loss, Delay, Reorder, Pause, Kill, DiskFull} {
		if !kinds[k] {
			t.Errorf("the schedule of seed %d has no %s", testSeed, k)
		}
	}
	if len(res.Findings) > 0 {
		t.Fatalf("%d properties broke (history and logs in %s)", len(res.Findings), dir)
	}
	if res.JobsPaid == 0 {
		t.Fatalf("the buyer paid for no job (history in %s)", dir)
	}
	recs, err := ReadHistory(filepath.Join(dir, "history.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	faults := 0
	for _, r := range recs {
		if r.Event == "fault" {
			faults++
		}
	}
	if faults != len(res.Faults) {
		t.Fatalf("history holds %d faults, the schedule %d", faults, len(res.Faults))
	}
}
