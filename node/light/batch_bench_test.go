package light

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/batch"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
)

// BenchmarkBatch runs a batch of 100 tasks of the test module on a four-trustee devnet
// (600 ms epochs) on loopback, every node in this process: over three providers of 3
// slots each ("spread"), and over one provider of one slot, so the same tasks run one
// after another ("one-by-one"). It reports the batch's wall time and the wall time
// per task; the module runs in well under a millisecond (BenchmarkBatchLocal), so one
// by one the time per task is the market's overhead: the deal's blocks, the transfers
// and the buyer's check. Run with -benchtime=1x: each run is a batch.
func BenchmarkBatch(b *testing.B) {
	const tasks = 100
	for _, c := range []struct {
		name             string
		providers, slots int
	}{{"spread", 3, 3}, {"one-by-one", 1, 1}} {
		b.Run(c.name, func(b *testing.B) {
			dir, nf, _ := startDevnetWith(b, marketTiming)
			ctx := context.Background()
			start := func(i int, set func(*MarketConfig)) *Node {
				c := DefaultConfig(nf, b.TempDir())
				c.Wallet, c.Listen, c.DHT = userKey(b, dir, i), []string{"/ip4/127.0.0.1/tcp/0"}, false
				mc := DefaultMarketConfig(c.DataDir, chain.ProviderSpec{CPUModel: "bench", Cores: 2, MemoryMiB: 1024})
				set(&mc)
				c.Market = &mc
				n, err := Start(ctx, c)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { n.Stop() })
				return n
			}
			buyer := start(0, func(*MarketConfig) {})
			var providers []*Node
			for i := range c.providers {
				p := start(1+i, func(mc *MarketConfig) { mc.Slots = uint32(c.slots) })
				if err := p.SetProviding(true); err != nil {
					b.Fatal(err)
				}
				providers = append(providers, p)
			}
			waitBench(b, func() bool {
				for _, p := range providers {
					if r, ok := p.Provider(); !ok || r.Slots == 0 {
						return false
					}
				}
				return len(buyer.trusteePeers()) > 0
			})
			module, err := os.ReadFile("testdata/echo.wasm")
			if err != nil {
				b.Fatal(err)
			}
			spec := BatchSpec{Name: "echo", Job: JobSpec{Module: module, MaxPrice: 20, Deadline: 40,
				Limits: chain.DealLimits{MemoryMiB: 64, WallTimeMs: 10_000, OutputMax: 1 << 10}}}
			for i := range tasks {
				spec.Tasks = append(spec.Tasks, TaskSpec{Name: batch.TaskName(i, tasks), Args: []string{fmt.Sprint(i)}})
			}
			var wall time.Duration
			b.ResetTimer()
			for b.Loop() {
				begin := time.Now()
				id, err := buyer.OpenBatch(ctx, spec)
				if err != nil {
					b.Fatal(err)
				}
				var s BatchStatus
				waitBench(b, func() bool { s, _ = buyer.BatchByID(id); return s.Batch.Finished() })
				wall += time.Since(begin)
				if p := s.Batch.Summarize(); p.Done != tasks {
					b.Fatalf("batch ended %s", p)
				}
			}
			b.StopTimer()
			per := wall / time.Duration(b.N)
			b.ReportMetric(per.Seconds(), "s/batch")
			b.ReportMetric(float64(per.Milliseconds())/tasks, "ms/task")
		})
	}
}

// BenchmarkBatchLocal runs the same 100 tasks one after another in this process's
// sandbox, with no market: the work itself.
func BenchmarkBatchLocal(b *testing.B) {
	module, err := os.ReadFile("testdata/echo.wasm")
	if err != nil {
		b.Fatal(err)
	}
	sb, err := compute.NewSandbox("")
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	ctx := context.Background()
	limits := compute.Limits{MemoryBytes: 64 << 20, WallTime: 10 * time.Second, OutputBytes: 1 << 10}
	if _, err := sb.Run(ctx, compute.Job{Module: module, Limits: limits}); err != nil { // compiled once, as a provider's cache does
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		for i := range 100 {
			if _, err := sb.Run(ctx, compute.Job{Module: module, Args: []string{fmt.Sprint(i)}, Seed: chain.Hash{byte(i)}, Limits: limits}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/100/1000, "ms/task")
}

func waitBench(b *testing.B, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(15 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatal("timed out")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
