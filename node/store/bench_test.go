package store

import (
	"fmt"
	"sync"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
)

// BenchmarkCommitBlock commits blocks of 1,000 transfers, each fsynced by its bbolt
// commit, which is what bounds a node's commit rate. Building and certifying the
// blocks is not timed.
func BenchmarkCommitBlock(b *testing.B) {
	const txs = 1000
	s, n := newChain(b, chaintest.Config{Users: 2 * txs})
	step := chaintest.Step{Transfers: txs}
	var bytes int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c, err := n.Next(step)
		if err != nil {
			b.Fatal(err)
		}
		if bytes == 0 {
			bytes = int64(len(chain.EncodeBlock(c.Block)))
			b.SetBytes(bytes)
		}
		b.StartTimer()
		if err := s.CommitBlock(c.Block, c.Cert, c.State); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(txs*b.N)/b.Elapsed().Seconds(), "tx/s")
}

// BenchmarkLoadState rebuilds the tip state of chains with many accounts.
func BenchmarkLoadState(b *testing.B) {
	for _, users := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("accounts=%d", users), func(b *testing.B) {
			s, n := newChain(b, chaintest.Config{Users: users})
			commitSteps(b, s, n, chaintest.Step{Transfers: 100}, chaintest.Step{Tickets: 3})
			want := n.State().Root()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				st, err := s.LoadState()
				if err != nil {
					b.Fatal(err)
				}
				if st.Root() != want {
					b.Fatal("loaded another state")
				}
			}
		})
	}
}

// BenchmarkCheckConsistency checks a chain of 1,000 blocks of 10 transfers.
func BenchmarkCheckConsistency(b *testing.B) {
	s, n := newChain(b, chaintest.Config{Users: 20})
	for range 1000 {
		commitSteps(b, s, n, chaintest.Step{Transfers: 10})
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.CheckConsistency(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWALAppend appends one vote-sized record at a time, synced, as a trustee
// does before each vote it sends: to one log, and to four logs on the same disk at
// once, as in a devnet of four trustees on one machine. ns/op is the time of one
// append as its caller waits for it.
func BenchmarkWALAppend(b *testing.B) {
	rec := make([]byte, 300)
	for _, logs := range []int{1, 4} {
		b.Run(fmt.Sprintf("logs=%d", logs), func(b *testing.B) {
			ws := make([]*WAL, logs)
			for i := range ws {
				ws[i] = openStore(b, dbPath(b)).WAL()
			}
			b.ResetTimer()
			var wg sync.WaitGroup
			for _, w := range ws {
				wg.Go(func() {
					// Each log makes b.N appends, so ns/op is the time of one
					// append as its caller waits for it while the others append too.
					for range b.N {
						if _, err := w.Append(rec); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}
