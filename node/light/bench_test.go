package light

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/store"
)

// BenchmarkFollowSync verifies certified blocks with Follower.Verify in runs of 256,
// every certificate carrying all trustees' signatures. A catch-up verifies each block
// as it arrives instead (BenchmarkCatchUp measures it).
func BenchmarkFollowSync(b *testing.B) {
	for _, n := range []int{4, 16} {
		b.Run(fmt.Sprintf("trustees=%d", n), func(b *testing.B) {
			net, ls := benchChain(b, n, 512)
			b.ResetTimer()
			var headers int
			for b.Loop() {
				f := newFollower(b, net)
				for i := 0; i < len(ls); i += 256 {
					if _, err := f.Verify(ls[i:min(i+256, len(ls))]); err != nil {
						b.Fatal(err)
					}
				}
				headers += len(ls)
			}
			b.ReportMetric(float64(headers)/b.Elapsed().Seconds(), "headers/s")
		})
	}
}

// BenchmarkFollowOneByOne is the same work a block at a time, as a node at the tip
// receives them, for comparison.
func BenchmarkFollowOneByOne(b *testing.B) {
	net, ls := benchChain(b, 16, 256)
	b.ResetTimer()
	var headers int
	for b.Loop() {
		f := newFollower(b, net)
		for i := range ls {
			if _, err := f.Verify(ls[i : i+1]); err != nil {
				b.Fatal(err)
			}
		}
		headers += len(ls)
	}
	b.ReportMetric(float64(headers)/b.Elapsed().Seconds(), "headers/s")
}

// BenchmarkFollow100k follows 100,000 certified blocks into a light node's store in
// runs of 64, as a catch-up stores them (ledger entries for a wallet that mines), and
// reports the Go heap in use afterwards, the peak heap during the run, and the
// database's size.
// The follower keeps only the tip and the trustee set, so the heap stays flat however
// long the chain.
func BenchmarkFollow100k(b *testing.B) {
	const count = 100_000
	longChain.once.Do(func() { longChain.net, longChain.links, longChain.err = buildChain(count) })
	if longChain.err != nil {
		b.Fatal(longChain.err)
	}
	net, chainLinks := longChain.net, longChain.links
	me := net.Users[0].Address()
	gst, err := net.Genesis.State()
	if err != nil {
		b.Fatal(err)
	}
	params := gst.Params()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		st, err := store.Open(filepath.Join(dir, DBFile), nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := st.InitLight(net.Genesis); err != nil {
			b.Fatal(err)
		}
		f := newFollower(b, net)
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		var peak uint64
		b.StartTimer()
		for i := 0; i < count; i += 64 {
			run := chainLinks[i:min(i+64, count)]
			parent := f.Set()
			if _, err := f.Verify(run); err != nil {
				b.Fatal(err)
			}
			fs := make([]store.Followed, len(run))
			for j, l := range run {
				es, err := Entries(&params, l.Block, parent, me, NewDealBook(me))
				if err != nil {
					b.Fatal(err)
				}
				fs[j] = store.Followed{Header: l.Block.Header, Cert: l.Cert}
				for k := range es {
					fs[j].Earnings = append(fs[j].Earnings, EncodeEntry(&es[k]))
				}
			}
			if err := st.Follow(fs); err != nil {
				b.Fatal(err)
			}
			if i%8192 == 0 {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
		b.StopTimer()
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		fi, err := os.Stat(filepath.Join(dir, DBFile))
		if err != nil {
			b.Fatal(err)
		}
		st.Close()
		b.ReportMetric(float64(after.HeapInuse)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(int64(after.HeapInuse)-int64(base.HeapInuse))/(1<<20), "heap-growth-MiB")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(fi.Size())/(1<<20), "db-MiB")
		b.StartTimer()
	}
}

// longChain is built once per test binary: every count of BenchmarkFollow100k follows
// the same blocks.
var longChain struct {
	once  sync.Once
	net   *chaintest.Net
	links []Link
	err   error
}

func buildChain(count int) (*chaintest.Net, []Link, error) {
	net, err := chaintest.New(chaintest.Config{Trustees: 4})
	if err != nil {
		return nil, nil, err
	}
	links := make([]Link, 0, count)
	for range count {
		c, err := net.Next(chaintest.Step{Tickets: 1})
		if err != nil {
			return nil, nil, err
		}
		// Keep only what a sync response carries; the states are dropped.
		links = append(links, Link{Block: c.Block, Cert: c.Cert})
	}
	return net, links, nil
}

// benchChain is a test chain of the given trustees and its first count blocks, each
// with two transfers and two tickets, as links to verify.
func benchChain(b *testing.B, trustees, count int) (*chaintest.Net, []Link) {
	b.Helper()
	net, err := chaintest.New(chaintest.Config{Trustees: trustees})
	if err != nil {
		b.Fatal(err)
	}
	cs, err := net.Run(count, chaintest.Step{Transfers: 2, Tickets: 2})
	if err != nil {
		b.Fatal(err)
	}
	return net, links(cs)
}
