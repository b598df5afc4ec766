package app

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/control"
)

// TestBatchEndToEnd runs a batch with real processes: four daoli-trustee processes,
// three `daoli node` providers and a `daoli node` buyer. The buyer runs the C example
// linestat once per file of a folder through the control API, as daoli job run --each
// does. One provider accepts tasks and never posts (a machine that hangs) and is then
// killed; its tasks time out and are retried on the other two. Every task ends done,
// its results are written one folder per task, `daoli job show` and `list` print the
// batch, and every ledger left adds up to the balance the trustees prove.
func TestBatchEndToEnd(t *testing.T) {
	const files = 6
	cache := t.TempDir()
	common := []string{"--wasm-cache", cache, "--price", "1", "--slots", "2"}
	m := startMarket(t, common, common, common, slices.Concat(common, []string{"--provider-fault", "silent"}))
	nodes, dump := m.nodes, m.dump
	buyer, victim := nodes[0], nodes[3]
	m.fund(300, 200)

	in := t.TempDir()
	for i := range files {
		if err := os.WriteFile(filepath.Join(in, fmt.Sprintf("part%d.txt", i)), []byte(strings.Repeat("word\n", i+1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f := batchFlags{each: filepath.Join(in, "*.txt")}
	if err := f.check(""); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bc := buyer.client(t)
	r, err := bc.RunBatch(ctx, control.BatchRequest{Inputs: f.inputs, Job: control.JobRequest{Template: "linestat", MaxPrice: 20,
		Deadline: "30s", MemoryMiB: 128, WallTimeMs: 10_000, OutputMax: 1 << 20}})
	if err != nil {
		dump()
		t.Fatal(err)
	}
	victimAddr, err := victim.client(t).Balance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var v control.BatchView
	took := func(addr string) int {
		n := 0
		for _, task := range v.Tasks {
			if task.Provider != nil && task.Provider.String() == addr {
				n++
			}
		}
		return n
	}
	waitUntil(t, "the hanging provider took a task", func() bool {
		v, err = bc.Batch(ctx, r.ID)
		return err == nil && took(victimAddr.Address.String()) > 0
	}, dump)
	victim.cmd.Process.Kill()
	victim.cmd.Wait()
	victim.cmd = nil
	waitUntil(t, "the batch finished", func() bool {
		v, err = bc.Batch(ctx, r.ID)
		return err == nil && v.Finished
	}, dump)
	t.Logf("batch: %s", v.Line)
	if v.Progress.Done != files || v.Progress.Retries == 0 || took(victimAddr.Address.String()) != 0 {
		dump()
		t.Fatalf("batch ended %s; the killed provider holds %d results", v.Line, took(victimAddr.Address.String()))
	}
	out := filepath.Join(t.TempDir(), "results")
	res, err := bc.BatchResults(ctx, r.ID, out)
	if err != nil || len(res.Written) != files {
		t.Fatalf("results %+v, %v", res, err)
	}
	for i := range files {
		got, err := os.ReadFile(filepath.Join(out, fmt.Sprintf("part%d.txt", i), "stdout"))
		if want := fmt.Sprintf("\n%d %d %d ", i+1, i+1, 5*(i+1)); err != nil || !strings.Contains(string(got), want) {
			t.Fatalf("part%d.txt/stdout: %q, %v; want its counts %q", i, got, err, want)
		}
		if _, err := os.Stat(filepath.Join(out, fmt.Sprintf("part%d.txt", i), "stderr")); err != nil {
			t.Fatalf("part%d.txt/stderr: %v", i, err)
		}
	}
	var show, list bytes.Buffer
	if code := Main([]string{"job", "show", r.ID.Short(), "--data", buyer.dir}, &show, &show); code != 0 || !strings.Contains(show.String(), v.Line) ||
		!strings.Contains(show.String(), "part5.txt") {
		t.Fatalf("daoli job show: exit %d\n%s", code, show.String())
	}
	if code := Main([]string{"job", "list", "--data", buyer.dir}, &list, &list); code != 0 || !strings.Contains(list.String(), r.ID.Short()+"  batch") {
		t.Fatalf("daoli job list: exit %d\n%s", code, list.String())
	}
	for _, n := range nodes[:3] {
		n.reconcile(t)
	}
}
