//go:build linux

package compute

import (
	"context"
	"testing"
	"time"
)

// BenchmarkWorker runs the example jobs as a provider does, in a worker process whose
// modules run without closure checks. "kept" runs each job on the worker process the
// last one left, as a provider selling steadily does: the module is compiled in it
// already. "new" starts a process for each job, which loads the module from the
// on-disk cache, as a provider's first job after a pause does. run-ms/op is the
// module's own running time (Result.Elapsed: from its start, the Go runtime's
// initialization included, to its exit). Compare with BenchmarkSandboxVsNative's
// native runs.
func BenchmarkWorker(b *testing.B) {
	for _, tc := range benchJobs {
		for _, kept := range []bool{true, false} {
			name := tc.label + "/new"
			if kept {
				name = tc.label + "/kept"
			}
			b.Run(name, func(b *testing.B) {
				j := Job{Module: job(b, tc.name), Args: tc.args, Limits: benchLimits}
				var ran time.Duration
				w := testWorker()
				defer w.Close()
				runWorker := func() {
					if !kept {
						w.Close()
						w = testWorker()
					}
					p, err := w.Start(j)
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
				runWorker() // compile once into the cache, and into the kept worker
				b.ResetTimer()
				ran = 0
				for b.Loop() {
					runWorker()
				}
				// The module's own running time, from its start to its exit, without the
				// worker's start and the module's loading.
				b.ReportMetric(float64(ran.Microseconds())/1e3/float64(b.N), "run-ms/op")
			})
		}
	}
}
