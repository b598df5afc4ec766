package scale

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"
)

var maxLights = flag.Int("scale.maxlights", 0, "light nodes each trustee admits (0: its default)")

// BenchmarkScale runs the sizes of docs/scale.md: 4 and 16 trustees (daoli-trustee
// processes) and 100, 300 and 1,000 light nodes in this process, a fifth of them
// providers, every node mining each epoch and sending a transfer and proving its
// balance every 4 epochs, over a window of 10 epochs of the demo timing (Φ 1 s,
// Δ 0.5 s, a 2 s cycle). Run one size at a time (-benchtime 1x, -bench
// 'Scale/trustees=4/lights=100$'); each iteration is a whole run. The metrics are the
// window's: delivery p50 and p99 from certification, a trustee's CPU per epoch (mean
// over the set), its resident memory and peers, bytes per light node per epoch
// (total, and with one trustee), and the load average when the window ended.
//
// -scale.maxlights (after -args) sets how many light nodes each trustee admits
// (default p2p.DefaultMaxLights), to run a size near or past the set's admission.
func BenchmarkScale(b *testing.B) {
	bin, err := Build(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	for _, trustees := range []int{4, 16} {
		for _, lights := range []int{100, 300, 1000} {
			b.Run(fmt.Sprintf("trustees=%d/lights=%d", trustees, lights), func(b *testing.B) {
				for b.Loop() {
					ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
					r, err := Run(ctx, Options{Trustees: trustees, Lights: lights, Providers: 0.2, Epochs: 10,
						TxEvery: 4, ProofEvery: 4, MaxLights: *maxLights, Dir: b.TempDir(), TrusteeBin: bin, Logf: b.Logf})
					cancel()
					if err != nil {
						b.Fatal(err)
					}
					b.Log("\n" + r.Summary())
					// The benchmark measures: what a size loses is in its metrics
					// (missing, stranded) and its log; TestRun asserts none.
					if err := r.Lost(); err != nil {
						b.Log(err)
					}
					cpu, share, rss, peers, perLight := r.TrusteeMeans()
					b.ReportMetric(float64(r.P50)/1e6, "p50-ms")
					b.ReportMetric(float64(r.P99)/1e6, "p99-ms")
					b.ReportMetric(float64(cpu)/1e6, "trustee-cpu-ms/epoch")
					b.ReportMetric(100*share, "trustee-core-%")
					b.ReportMetric(float64(rss)/(1<<20), "trustee-MiB")
					b.ReportMetric(peers, "trustee-peers")
					b.ReportMetric(perLight, "trustee-B/light/epoch")
					b.ReportMetric(r.LightBytesPerEpoch, "light-B/epoch")
					b.ReportMetric(float64(len(r.Missing)), "missing")
					b.ReportMetric(float64(r.Stranded), "stranded")
					b.ReportMetric(r.LoadEnd, "load")
				}
			})
		}
	}
}
