//go:build linux

package compute

import (
	"context"
	"testing"
	"time"
)

// BenchmarkWorker runs the example jobs as a provider does, in a worker process whose
// modules run without closure checks; each run includes starting the process and
// loading the compiled module from the cache. Compare with
// BenchmarkSandboxVsNative's native runs.
func BenchmarkWorker(b *testing.B) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"mandelbrot", []string{"512", "512"}},
		{"pi", []string{"20000000"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			j := Job{Module: job(b, tc.name), Args: tc.args, Limits: Limits{MemoryBytes: 512 << 20, WallTime: time.Minute, OutputBytes: 16 << 20}}
			runWorker := func() {
				p, err := testWorker().Start(j)
				if err != nil {
					b.Fatal(err)
				}
				res, err := p.Wait(context.Background())
				if err != nil || res.Status != StatusOK {
					b.Fatalf("%v %v %s", err, res.Status, res.Reason)
				}
			}
			runWorker() // compile once into the cache
			b.ResetTimer()
			for b.Loop() {
				runWorker()
			}
		})
	}
}
