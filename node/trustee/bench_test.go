package trustee

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/libp2p/go-libp2p/core/peer"
)

// loopback is n trustees in this process, each with its own store on disk and its own
// libp2p host on TCP 127.0.0.1, all connected: a real network but for the distance.
type loopback struct {
	ts     []*Trustee
	nets   []*p2p.Network
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// newLoopback builds the trustees of a genesis with the given timing and four funded
// users. Nothing runs until start.
func newLoopback(tb testing.TB, n int, phi, delta, cycle time.Duration) *loopback {
	tb.Helper()
	g := chaintest.Config{Trustees: n, Users: 4}.Genesis()
	g.Time = time.Now().Add(-time.Second).UTC().Truncate(time.Millisecond)
	g.Params.PhiMs, g.Params.DeltaMs, g.Params.CycleMs = ms(phi), ms(delta), ms(cycle)
	lb := &loopback{}
	var infos []peer.AddrInfo
	for i := range n {
		k := chaintest.TrusteeKey(i)
		h, err := p2p.NewHost(p2p.HostConfig{Key: k, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}})
		if err != nil {
			tb.Fatal(err)
		}
		// Gossip runs with the defaults a deployed trustee has.
		nw, err := p2p.New(h, p2p.Config{ChainID: g.ChainID, PingInterval: -1, ReconnectInterval: -1})
		if err != nil {
			h.Close()
			tb.Fatal(err)
		}
		tb.Cleanup(func() { nw.Close(); h.Close() })
		lb.nets = append(lb.nets, nw)
		infos = append(infos, peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()})
		var addrs []string
		for _, a := range h.Addrs() {
			addrs = append(addrs, fmt.Sprintf("%s/p2p/%s", a, h.ID()))
		}
		g.Trustees[i].Addrs = addrs
	}
	for i := range n {
		st := genesisStore(tb, g)
		tr, err := New(Options{Key: chaintest.TrusteeKey(i), Store: st, Net: lb.nets[i]})
		if err != nil {
			tb.Fatal(err)
		}
		lb.ts = append(lb.ts, tr)
	}
	// Registered last, so it runs first: the trustees stop before their stores close.
	tb.Cleanup(lb.stop)
	connectAll(tb, lb.nets, infos, 30*time.Second)
	return lb
}

// connectAll connects each network of nets to every later one, infos[i] being the
// addresses of nets[i], within limit.
func connectAll(tb testing.TB, nets []*p2p.Network, infos []peer.AddrInfo, limit time.Duration) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for i, nw := range nets {
		for _, ai := range infos[i+1:] {
			if err := nw.Connect(ctx, ai); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

func ms(d time.Duration) uint64 { return uint64(d / time.Millisecond) }

func (lb *loopback) start() {
	ctx, cancel := context.WithCancel(context.Background())
	lb.cancel = cancel
	for _, tr := range lb.ts {
		lb.wg.Add(1)
		go func() {
			defer lb.wg.Done()
			_ = tr.Run(ctx)
		}()
	}
}

func (lb *loopback) stop() {
	if lb.cancel != nil {
		lb.cancel()
		lb.wg.Wait()
		lb.cancel = nil
	}
}

// minHeight is the height every trustee has committed.
func (lb *loopback) minHeight() uint64 {
	h := ^uint64(0)
	for _, tr := range lb.ts {
		h = min(h, tr.tipv.Load().header.Epoch)
	}
	return h
}

// waitHeight waits until every trustee has committed height h.
func (lb *loopback) waitHeight(tb testing.TB, h uint64, within time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for lb.minHeight() < h {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for height %d (at %d)", h, lb.minHeight())
		}
		time.Sleep(time.Millisecond)
	}
}

// mine runs miners that mine a ticket each for every epoch as soon as its parent is
// committed, and submit them to one trustee, which relays them by gossip.
func (lb *loopback) mine(ctx context.Context, tickets int) {
	lb.wg.Add(1)
	go func() {
		defer lb.wg.Done()
		tr := lb.ts[0]
		var done uint64
		for ctx.Err() == nil {
			st := tr.tipv.Load().state
			if st.Epoch() <= done {
				time.Sleep(time.Millisecond)
				continue
			}
			done = st.Epoch()
			for i := range tickets {
				kb, _ := chaintest.MineTicket(chaintest.UserKey(i), st)
				_, _ = tr.SubmitKeyBlock(ctx, kb)
			}
		}
	}()
}

// latencies collects close-to-commit times of epochs after a starting height.
type latencies struct {
	mu   sync.Mutex
	from uint64
	took []time.Duration
}

func (l *latencies) hook(h uint64, closed, committed time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h > l.from {
		l.took = append(l.took, committed.Sub(closed))
	}
}

func (l *latencies) startAfter(h uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.from, l.took = h, nil
}

func (l *latencies) report(b *testing.B) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.took) == 0 {
		b.Fatal("no epoch measured")
	}
	s := slices.Clone(l.took)
	slices.Sort(s)
	q := func(p float64) float64 {
		return float64(s[min(len(s)-1, int(p*float64(len(s))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.5), "ms/epoch-p50")
	b.ReportMetric(q(0.9), "ms/epoch-p90")
}

// BenchmarkCloseToCommit measures, for n trustees on loopback libp2p (TCP on
// 127.0.0.1) in one process, the time from a trustee closing an epoch's collect window
// (CloseEpoch) to its committing the epoch's certified block (its commit record on disk
// in the write-ahead log), over every trustee and epoch: ms/epoch-p50 and
// ms/epoch-p90. It covers the I-BFT rounds with every signature and ticket checked,
// chain.Apply and the write-ahead log's fsyncs; the database's transaction that
// follows the commit record is not on the measured path. Four miners submit a ticket
// each per epoch. The waiting window before the close is not measured, but is in
// ns/op, the epoch period; cpu-ms/epoch is
// the CPU all trustees used per epoch. All n trustees share this machine's cores, so
// each latency includes the others' work. The process runs with the processors a
// trustee process sets for itself (Procs: twice the cores; the name's -2 is the
// default the test started with).
func BenchmarkCloseToCommit(b *testing.B) {
	for _, n := range []int{4, 16} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(Procs(runtime.GOMAXPROCS(0))))
			lb := newLoopback(b, n, 20*time.Millisecond, 10*time.Millisecond, 40*time.Millisecond)
			lat := &latencies{}
			for _, tr := range lb.ts {
				tr.onCommit = lat.hook
			}
			lb.start()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			lb.mine(ctx, 4)
			// The first epochs connect the streams and warm up; they are not measured.
			const warm = 3
			lb.waitHeight(b, warm, time.Minute)
			h := lb.minHeight()
			lat.startAfter(h)
			cpu0, cpuOK := nodetest.ProcessCPU()
			epochs := 0
			for b.Loop() {
				h++
				lb.waitHeight(b, h, time.Minute)
				epochs++
			}
			b.StopTimer()
			lat.report(b)
			if cpu1, ok := nodetest.ProcessCPU(); ok && cpuOK {
				b.ReportMetric(float64((cpu1-cpu0).Microseconds())/1000/float64(epochs), "cpu-ms/epoch")
			}
			cancel()
			lb.stop()
		})
	}
}
