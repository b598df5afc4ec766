package devnet

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/trustee"
)

// benchSenders are funded accounts with keys derived from their index.
func benchSenders(b *testing.B, n int) []*keys.Key {
	b.Helper()
	out := make([]*keys.Key, n)
	for i := range out {
		seed := sha256.Sum256(fmt.Appendf(nil, "devnet bench sender %d", i))
		k, err := keys.FromSeed(seed[:])
		if err != nil {
			b.Fatal(err)
		}
		out[i] = k
	}
	return out
}

// committed follows the blocks trustee 0 commits: when each arrived and how many
// transactions it carried.
type committed struct {
	mu     sync.Mutex
	times  []time.Time
	counts []int
	total  int
}

func (c *committed) watch(ctx context.Context, n *trustee.Node, from uint64) {
	next := from + 1
	for ctx.Err() == nil {
		h := n.Trustee.Status().Height
		if h < next {
			time.Sleep(time.Millisecond)
			continue
		}
		now := time.Now()
		for ; next <= h; next++ {
			blk, err := n.Store.Block(next)
			if err != nil {
				continue
			}
			c.mu.Lock()
			c.times = append(c.times, now)
			c.counts = append(c.counts, len(blk.Payload))
			c.total += len(blk.Payload)
			c.mu.Unlock()
		}
	}
}

func (c *committed) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// rate is the committed transactions per second between the first block that carried
// any and the last: the blocks after the first, over the time they took.
func (c *committed) rate() (txs float64, blocks int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	first := -1
	for i, n := range c.counts {
		if n > 0 {
			first = i
			break
		}
	}
	last := len(c.counts) - 1
	if first < 0 || last <= first {
		return 0, 0
	}
	sum := 0
	for _, n := range c.counts[first+1 : last+1] {
		sum += n
	}
	return float64(sum) / c.times[last].Sub(c.times[first]).Seconds(), last - first
}

// BenchmarkTransfers measures committed transactions per second through a devnet of
// four trustees in this process, on loopback libp2p, with a 300 ms collect window.
// Each iteration submits one signed transfer from each of 24,000 funded accounts:
// submit=one hands each to one trustee, in turn, by SubmitTx (the submit service
// without its stream), which relays it to the others by gossip; submit=all hands each
// to every trustee's mempool, one at a time, and submit=all-batch64 64 at a time.
// tx/s counts the transactions in the blocks committed after the first that carried
// any, over the time between those commits; cpu-µs/tx is the CPU of the whole process
// (all four trustees) per transaction. Signing the transfers is not timed. The process
// runs with the processors a trustee process sets for itself (trustee.Procs).
func BenchmarkTransfers(b *testing.B) {
	b.Run("submit=one", func(b *testing.B) { benchTransfers(b, submitOne) })
	b.Run("submit=all", func(b *testing.B) { benchTransfers(b, submitAll) })
	b.Run("submit=all-batch64", func(b *testing.B) { benchTransfers(b, submitAllBatched) })
}

func benchTransfers(b *testing.B, submit func(*testing.B, context.Context, []*trustee.Node, []*chain.Tx)) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(trustee.Procs(runtime.GOMAXPROCS(0))))
	const senders = 24_000
	users := benchSenders(b, senders)
	opts := Options{Phi: 200 * time.Millisecond, Delta: 100 * time.Millisecond, Cycle: 400 * time.Millisecond}
	for _, u := range users {
		opts.Accounts = append(opts.Accounts, chain.GenesisAccount{Address: u.Address(), Balance: DefaultBalance})
	}
	dir := b.TempDir()
	nf, err := Genesis(dir, 4, opts)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := Start(ctx, dir, trustee.NodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Stop()
	waitHeight(b, d.Nodes, 2)

	var nonce uint64
	var rates []float64
	var blocks, txs int
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		signed := make([]*chain.Tx, senders)
		for i, u := range users {
			signed[i] = chain.NewTx(u, nf.ChainID, nonce, 1, &chain.Transfer{To: users[(i+1)%senders].Address(), Amount: 1})
		}
		nonce++
		c := &committed{}
		wctx, stop := context.WithCancel(ctx)
		go c.watch(wctx, d.Nodes[0], d.Nodes[0].Trustee.Status().Height)
		cpu0, _ := nodetest.ProcessCPU()
		b.StartTimer()

		submit(b, ctx, d.Nodes, signed)
		deadline := time.Now().Add(2 * time.Minute)
		for c.count() < senders {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d transfers committed", c.count(), senders)
			}
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		cpu1, _ := nodetest.ProcessCPU()
		cpu += cpu1 - cpu0
		stop()
		r, n := c.rate()
		if n == 0 {
			b.Fatal("the transfers went into one block: no interval to time")
		}
		rates = append(rates, r)
		blocks += n + 1
		txs += senders
		b.StartTimer()
	}
	var sum float64
	for _, r := range rates {
		sum += r
	}
	b.ReportMetric(sum/float64(len(rates)), "tx/s")
	b.ReportMetric(float64(txs)/float64(blocks), "tx/block")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(txs), "cpu-µs/tx")
	}
}

// submitOne hands each transfer to one trustee, in turn, by SubmitTx: the trustee
// checks it, admits it to its mempool and relays it to the others by gossip.
func submitOne(b *testing.B, ctx context.Context, nodes []*trustee.Node, txs []*chain.Tx) {
	clients(b, len(txs), func(i int) error {
		_, err := nodes[i%len(nodes)].Trustee.SubmitTx(ctx, txs[i])
		return err
	})
}

// submitAll hands each transfer to every trustee's mempool, as a client that submits
// to all trustees does: each trustee checks it, and nothing is relayed.
func submitAll(b *testing.B, ctx context.Context, nodes []*trustee.Node, txs []*chain.Tx) {
	clients(b, len(txs)*len(nodes), func(i int) error {
		return nodes[i%len(nodes)].Trustee.Mempool().Add(txs[i/len(nodes)])
	})
}

// submitAllBatched hands the transfers to every trustee's mempool 64 at a time
// (Mempool.AddBatch), so that each trustee checks their signatures in one batch.
func submitAllBatched(b *testing.B, ctx context.Context, nodes []*trustee.Node, txs []*chain.Tx) {
	const size = 64
	chunks := (len(txs) + size - 1) / size
	clients(b, chunks*len(nodes), func(i int) error {
		mp := nodes[i%len(nodes)].Trustee.Mempool()
		c := i / len(nodes)
		part := txs[c*size : min((c+1)*size, len(txs))]
		for {
			var full []*chain.Tx
			for j, err := range mp.AddBatch(part) {
				switch {
				case done(err):
				case errors.Is(err, trustee.ErrMempoolFull):
					full = append(full, part[j])
				default:
					return err
				}
			}
			if len(full) == 0 {
				return nil
			}
			part = full
			time.Sleep(time.Millisecond)
		}
	})
}

// done tells that a transfer needs no more submitting: it was admitted, or the mempool
// holds it already, or its nonce is used because a block carried it in already, from
// another trustee's mempool.
func done(err error) bool {
	return err == nil || errors.Is(err, trustee.ErrKnownTx) || errors.Is(err, trustee.ErrNonce)
}

// clients runs submit for 0 ≤ i < n from a few goroutines at once, waiting a little
// whenever a mempool is full.
func clients(b *testing.B, n int, submit func(i int) error) {
	const clients = 8
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				for {
					err := submit(i)
					if errors.Is(err, trustee.ErrMempoolFull) {
						time.Sleep(time.Millisecond)
						continue
					}
					if !done(err) {
						errs <- fmt.Errorf("submission %d: %w", i, err)
						return
					}
					break
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}

func waitHeight(b *testing.B, nodes []*trustee.Node, h uint64) {
	b.Helper()
	deadline := time.Now().Add(waitFor)
	for minHeight(nodes) < h {
		if time.Now().After(deadline) {
			b.Fatalf("timed out waiting for height %d", h)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
