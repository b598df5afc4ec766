//go:build linux && !race

package compute

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkInterpreterStart starts the 30 MB Ruby interpreter (bin/interp/ruby.wasm)
// on a one-line script in a worker process, as a provider does. "cold" compiles it
// into an empty on-disk cache, a provider's first job with it; "cached" starts a new
// worker process that loads it from the cache (the one make interp filled), a
// provider's next job after its worker ended; "kept" runs on the worker the last job
// left, which holds it compiled. run-ms/op is the module's own running time, Ruby's
// start included.
func BenchmarkInterpreterStart(b *testing.B) {
	ruby := interpreter(b)
	j := Job{Module: ruby, Args: []string{"-e", "puts 6*7"}, Limits: interpLimits}
	worker := func(cache string) *Worker {
		return &Worker{Exe: os.Args[0], Args: []string{"-test.run=^$"}, Env: []string{workerEnv + "=1", workerEnv + "_CACHE=" + cache}}
	}
	once := func(b *testing.B, w *Worker) Result {
		p, err := w.Start(j)
		if err != nil {
			b.Fatal(err)
		}
		res, err := p.Wait(context.Background())
		if err != nil || res.Status != StatusOK || string(res.Stdout) != "42\n" {
			b.Fatalf("%v %v %s %q", err, res.Status, res.Reason, res.Stdout)
		}
		return res
	}
	for _, mode := range []string{"cold", "cached", "kept"} {
		b.Run(mode, func(b *testing.B) {
			cache := b.TempDir()
			if mode != "cold" {
				// The cache make interp filled, as the first run would fill it.
				if err := SeedCache(filepath.Join("..", "..", "bin", "interp", "wasm-cache"), cache); err != nil {
					b.Fatal(err)
				}
			}
			w := worker(cache)
			if mode != "cold" {
				once(b, w) // the kept worker holds it compiled
			}
			var ranMs float64
			b.ResetTimer()
			for b.Loop() {
				switch mode {
				case "cold":
					b.StopTimer()
					w.Close()
					os.RemoveAll(cache)
					w = worker(cache)
					b.StartTimer()
				case "cached":
					w.Close()
					w = worker(cache)
				}
				ranMs += float64(once(b, w).Elapsed.Microseconds()) / 1e3
			}
			w.Close()
			b.ReportMetric(ranMs/float64(b.N), "run-ms/op")
		})
	}
}
