//go:build linux

package compute

import (
	"context"
	"testing"
	"time"
)

// BenchmarkWorker runs the example jobs as a provider does, in a worker process whose
// modules run without closure checks; each run includes starting the process and
// loading the compiled module from the cache, and run-ms/op is the module's own
// running time (Result.Elapsed: from its start, the Go runtime's initialization
// included, to its exit). Compare with BenchmarkSandboxVsNative's native runs.
func BenchmarkWorker(b *testing.B) {
	for _, tc := range benchJobs {
		b.Run(tc.label, func(b *testing.B) {
			j := Job{Module: job(b, tc.name), Args: tc.args, Limits: benchLimits}
			var ran time.Duration
			runWorker := func() {
				p, err := testWorker().Start(j)
				if err != nil {
					b.Fatal(err)
				}
				res, err := p.Wait(context.Background())
				if err != nil || res.Status != StatusOK {
					b.Fatalf("%v %v %s", err, res.Status, res.Reason)
				}
				checkOutput(b, tc.name, tc.args, res.Stdout)
				ran += res.Elapsed
			}
			runWorker() // compile once into the cache
			b.ResetTimer()
			ran = 0
			for b.Loop() {
				runWorker()
			}
			// The module's own running time, from its start to its exit, without the
			// worker's start and the module's loading from the cache.
			b.ReportMetric(float64(ran.Microseconds())/1e3/float64(b.N), "run-ms/op")
		})
	}
}
