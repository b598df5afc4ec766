package ibft

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
)

// BenchmarkCloseEpochToCommit measures the CPU cost of one epoch of I-BFT among n
// trustees in one process: from every trustee's CloseEpoch to every trustee's commit,
// over a lossless in-memory network that hands messages over at once. It includes
// signing and checking every report, proposal and vote, the tickets' VRF checks,
// chain.Apply of the block by every trustee and the certificate checks; four miners
// hold tickets and the payload is four transfers. Mining the tickets is left out.
// ms/commit-median is the median over the iterations; cpu-ms/epoch is this process's
// CPU time per epoch (every trustee's work, done one after another: the network is
// lockstep), and cpu-ms/trustee that divided by n, which a trustee spends per epoch
// when the trustees run on machines of their own. On a loaded machine the CPU
// figures hold where the wall time does not (docs/scale.md).
func BenchmarkCloseEpochToCommit(b *testing.B) {
	for _, n := range []int{4, 16, 32, 64} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			bed := newTestbed(b, n, 4)
			pool := &transferPool{users: bed.users}
			net := newLockstep(b, bed, func(_ int, c *Config) { c.Mempool = pool })
			var took []time.Duration
			var cpu time.Duration
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				st := net.ms[0].State()
				bed.ticketsFor(st, 4) // mined outside the measurement
				before := len(net.logs[n-1])
				b.StartTimer()
				start := time.Now()
				cpu0, _ := nodetest.ProcessCPU()
				net.closeAll(b, 4)
				net.settle()
				took = append(took, time.Since(start))
				cpu1, _ := nodetest.ProcessCPU()
				cpu += cpu1 - cpu0
				b.StopTimer()
				for i := range net.ms {
					if len(net.logs[i]) != before+1 {
						b.Fatalf("trustee %d committed %d blocks, want %d", i, len(net.logs[i]), before+1)
					}
				}
				b.StartTimer()
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms/commit-median")
			if cpu > 0 {
				perEpoch := float64(cpu.Microseconds()) / 1000 / float64(len(took))
				b.ReportMetric(perEpoch, "cpu-ms/epoch")
				b.ReportMetric(perEpoch/float64(n), "cpu-ms/trustee")
			}
		})
	}
}
