package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/node/control"
)

// BenchmarkBatchEndToEnd runs a batch of 100 tasks with real processes: four
// daoli-trustee processes, three `daoli node` providers of three slots and a `daoli
// node` buyer, the C example linestat once per file of a folder of 100, bought through
// the control API as `daoli job run --each` does. Every task must end done and paid,
// its results written one folder per task, and every ledger must add up to the balance
// the trustees prove. ms/task is the batch's wall time, from the request to the last
// task done, over its tasks. `make bench-batch` runs it.
func BenchmarkBatchEndToEnd(b *testing.B) {
	const files = 100
	tn := startMarketTrustees(b)
	cache := b.TempDir()
	common := []string{"--wasm-cache", cache, "--price", "1", "--slots", "3"}
	m := startMarketOn(b, tn, common, common, common, common)
	nodes, dump := m.nodes, m.dump
	buyer := nodes[0]
	// A task's escrow is its maximum price and as much again as a deposit: 4 here
	// (a 1 s cap at price 1 charges 1), 400 for the batch.
	m.fund(500, 0)

	in := b.TempDir()
	for i := range files {
		if err := os.WriteFile(filepath.Join(in, fmt.Sprintf("part%03d.txt", i)), []byte(strings.Repeat("word\n", i%7+1)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	f := batchFlags{each: filepath.Join(in, "*.txt")}
	if err := f.check(""); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	bc := buyer.client(b)
	var v control.BatchView
	var wall time.Duration
	for b.Loop() {
		start := time.Now()
		r, err := bc.RunBatch(ctx, control.BatchRequest{Inputs: f.inputs, Job: control.JobRequest{Template: "linestat", MaxPrice: 2,
			Deadline: "1m", MemoryMiB: 128, WallTimeMs: 1_000, OutputMax: 1 << 16}})
		if err != nil {
			dump()
			b.Fatal(err)
		}
		nodetest.Poll(b, time.Now().Add(25*time.Minute), "the batch finished", func() bool {
			v, err = bc.Batch(ctx, r.ID)
			return err == nil && v.Finished
		})
		wall += time.Since(start)
		b.Logf("batch: %s", v.Line)
		if v.Progress.Done != files {
			dump()
			b.Fatalf("batch ended %s", v.Line)
		}
		out := filepath.Join(b.TempDir(), "results")
		res, err := bc.BatchResults(ctx, r.ID, out)
		if err != nil || len(res.Written) != files {
			b.Fatalf("results %d written, %v", len(res.Written), err)
		}
		for i := range files {
			got, err := os.ReadFile(filepath.Join(out, fmt.Sprintf("part%03d.txt", i), "stdout"))
			if n := i%7 + 1; err != nil || !strings.Contains(string(got), fmt.Sprintf("\n%d %d %d ", n, n, 5*n)) {
				b.Fatalf("part%03d.txt/stdout: %q, %v", i, got, err)
			}
		}
	}
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N*files), "ms/task")
	b.ReportMetric(wall.Seconds()/float64(b.N), "s/batch")
	for _, n := range nodes {
		n.reconcile(b)
	}
}
