package peers

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/compute"
)

// BenchmarkPeers is make bench-peers: CometBFT's four validators under the load
// generator, Daoli's own benchmarks of its four trustees (go test, in this run), and
// the example WebAssembly modules natively, with Node.js and in Daoli's worker; then
// the summary with the ratios and the targets (docs/benchmarks.md, "Peers beside
// us"). Run it once (-benchtime 1x); -bench 'Peers/wasm' runs one part. PEERS_COUNT
// sets -count of Daoli's benchmarks (3),
// PEERS_JOBS the WebAssembly jobs (labels, comma-separated; all).
func BenchmarkPeers(b *testing.B) {
	root := moduleRoot(b)
	rep := Report{Load: map[string]string{}}
	b.Run("cometbft", func(b *testing.B) {
		for b.Loop() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
			defer cancel()
			bin, err := BuildComet(ctx, filepath.Join(root, "bin", "peers"))
			if err != nil {
				b.Fatal(err)
			}
			c, err := StartComet(ctx, bin, b.TempDir(), 4)
			if err != nil {
				b.Fatal(err)
			}
			r, err := MeasureComet(ctx, c, CometOptions{Idle: 15 * time.Second, Rates: rates(),
				Step: 10 * time.Second, Drain: 20 * time.Second, Logf: b.Logf})
			c.Stop()
			if err != nil {
				b.Fatal(err)
			}
			rep.CometIdleP50, rep.CometIdleP90, rep.CometSteps = r.CometIdleP50, r.CometIdleP90, r.CometSteps
			rep.CometIdleCPUPerBlock = r.CometIdleCPUPerBlock
			b.ReportMetric(float64(r.CometIdleP50)/1e6, "block-ms-p50")
			b.ReportMetric(r.CometPeak(), "peak-tx/s")
		}
		rep.Load["cometbft"] = LoadAvg()
	})
	b.Run("daoli", func(b *testing.B) {
		count := "-count=" + envOr("PEERS_COUNT", "3")
		for b.Loop() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			out, lines, err := GoBench(ctx, root, "./node/trustee/", "CloseToCommit/n=4$", "-benchtime=150x", count)
			if err != nil {
				b.Fatal(err)
			}
			b.Log(out)
			rep.CloseToCommitP50 = Medians(lines, "ms/epoch-p50")["BenchmarkCloseToCommit/n=4"]
			rep.CloseToCommitP90 = Medians(lines, "ms/epoch-p90")["BenchmarkCloseToCommit/n=4"]
			rep.CloseToCommitCPU = Medians(lines, "cpu-ms/epoch")["BenchmarkCloseToCommit/n=4"]
			out, lines, err = GoBench(ctx, root, "./node/devnet/", "Transfers", count)
			if err != nil {
				b.Fatal(err)
			}
			b.Log(out)
			tx := Medians(lines, "tx/s")
			rep.Batched = tx["BenchmarkTransfers/submit=all-batch64"]
			rep.OneAtATime = tx["BenchmarkTransfers/submit=one"]
			rep.All = tx["BenchmarkTransfers/submit=all"]
			cpu := Medians(lines, "cpu-µs/tx")
			rep.BatchedCPU = cpu["BenchmarkTransfers/submit=all-batch64"]
			rep.OneAtATimeCPU = cpu["BenchmarkTransfers/submit=one"]
			rep.AllCPU = cpu["BenchmarkTransfers/submit=all"]
			if rep.CloseToCommitP50 == 0 || rep.Batched == 0 || rep.OneAtATime == 0 {
				b.Fatalf("a Daoli benchmark reported nothing: %+v", rep)
			}
			b.ReportMetric(rep.CloseToCommitP50, "close-commit-ms-p50")
			b.ReportMetric(rep.Batched, "batched-tx/s")
			b.ReportMetric(rep.OneAtATime, "one-tx/s")
		}
		rep.Load["daoli"] = LoadAvg()
	})
	b.Run("wasm", func(b *testing.B) {
		for b.Loop() {
			rep.Wasm = benchWasm(b, root)
		}
		rep.Load["wasm"] = LoadAvg()
	})
	fmt.Println("\n" + rep.Summary())
}

func benchWasm(b *testing.B, root string) []WasmTimes {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	node, err := exec.LookPath("node")
	if err != nil {
		b.Fatal(err)
	}
	v, err := exec.Command(node, "--version").Output()
	if err != nil {
		b.Fatal(err)
	}
	nodeVersionText = strings.TrimSpace(string(v))
	d := WasmDir{Root: root, Dir: b.TempDir(), Nice: 19, Reps: 5, Node: node, Clang: "/usr/bin/clang", Rustc: "/usr/bin/rustc"}
	cache := b.TempDir()
	w := &compute.Worker{Exe: os.Args[0], Args: []string{"-test.run=^$"}, Env: []string{workerEnv + "=" + cache}}
	defer w.Close()
	var out []WasmTimes
	for _, j := range WasmJobs() {
		if only := os.Getenv("PEERS_JOBS"); only != "" && !slices.Contains(strings.Split(only, ","), j.Label) {
			continue
		}
		t, err := d.Measure(ctx, w, j)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: native %v, node %v (compile %v), sandbox run %v, kept worker %v", j.Label, t.Native, t.Node, t.NodeCompile, t.SandboxRun, t.Sandbox)
		out = append(out, t)
	}
	return out
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func moduleRoot(b *testing.B) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		b.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// rates are the load generator's offered rates (PEERS_RATES, comma-separated).
func rates() []float64 {
	var out []float64
	for _, f := range strings.Split(envOr("PEERS_RATES", "1000,2000,4000,8000"), ",") {
		var r float64
		if _, err := fmt.Sscan(f, &r); err == nil && r > 0 {
			out = append(out, r)
		}
	}
	return out
}
