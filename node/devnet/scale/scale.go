package scale

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/devnet"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Options shape a run.
type Options struct {
	Trustees int
	Lights   int
	// Providers is the share of the light nodes, 0 to 1, that register as compute
	// providers.
	Providers float64
	// Epochs is how many certified epochs the measurement window spans.
	Epochs int
	// TxEvery and ProofEvery: each light node sends a one-coin transfer to the next
	// one every TxEvery epochs and proves its balance every ProofEvery epochs, the
	// nodes spread over the epochs; 0 never does.
	TxEvery, ProofEvery int
	// Phi, Delta and Cycle are the genesis timing (zero: the demo network's).
	Phi, Delta, Cycle time.Duration
	// Dir holds the devnet, the light nodes' data and the trustees' logs.
	Dir string
	// TrusteeBin is the daoli-trustee program (Build makes one).
	TrusteeBin string
	// Starting is how many light nodes start at once (default 16).
	Starting int
	// MaxLights is how many light nodes each trustee admits (0: p2p.DefaultMaxLights).
	MaxLights int
	// Logf, when set, is told each stage of the run.
	Logf func(format string, args ...any)
}

func (o *Options) check() error {
	switch {
	case o.Trustees < 1 || o.Trustees > chain.MaxTrusteesCap:
		return fmt.Errorf("%w: %d trustees", ErrBadOptions, o.Trustees)
	case o.Lights < 1:
		return fmt.Errorf("%w: %d light nodes", ErrBadOptions, o.Lights)
	case o.Providers < 0 || o.Providers > 1 || math.IsNaN(o.Providers):
		return fmt.Errorf("%w: provider share %v", ErrBadOptions, o.Providers)
	case o.Epochs < 1:
		return fmt.Errorf("%w: %d epochs", ErrBadOptions, o.Epochs)
	case o.TxEvery < 0 || o.ProofEvery < 0:
		return fmt.Errorf("%w: transfers every %d, proofs every %d epochs", ErrBadOptions, o.TxEvery, o.ProofEvery)
	case o.MaxLights < 0:
		return fmt.Errorf("%w: %d light nodes per trustee", ErrBadOptions, o.MaxLights)
	case o.Dir == "" || o.TrusteeBin == "":
		return fmt.Errorf("%w: no directory or no trustee program", ErrBadOptions)
	}
	if o.Phi == 0 {
		o.Phi, o.Delta, o.Cycle = devnet.DefaultPhi, devnet.DefaultDelta, devnet.DefaultCycle
	}
	if o.Starting <= 0 {
		o.Starting = 16
	}
	if o.MaxLights == 0 {
		o.MaxLights = p2p.DefaultMaxLights
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return nil
}

// TrusteeStats are one trustee's figures over the window.
type TrusteeStats struct {
	CPU      time.Duration // CPU time used in the window (its process, user + system)
	RSS      uint64        // resident memory at the window's end, bytes
	Peers    int           // connected libp2p peers at the window's end (daoli_peers)
	LightIO  int64         // bytes exchanged with the light nodes in the window, both ways
	Serving  int           // light nodes connected to it at the window's end
	CPUShare float64       // CPU over wall time: 1 is one core
}

// Report is what a run measured, and what it lost.
type Report struct {
	Options Options
	// Load is the machine's one-minute load average at the window's start and end.
	LoadStart, LoadEnd float64
	From, To           uint64        // the window: heights From+1 … To
	Wall               time.Duration // from From's certification to To's
	// Delivery: from a height's first certification to its verification by a light
	// node, over every light node and height of the window.
	Deliveries            int
	P50, P99, MaxDelivery time.Duration
	// Missing lists, as "light i height h", the blocks of the window some light node
	// never verified (nothing if every node verified every block).
	Missing []string
	// Stranded are the light nodes connected to no trustee when the window opened:
	// every trustee refused them (its connection limits).
	Stranded int
	// Tickets are the tickets the light nodes had a trustee take in the window.
	Tickets int
	// Transfers: taken by a trustee, refused by all, received by the payee (after the
	// drain), and carried by the window's blocks (every transaction, registrations
	// included).
	Sent, SendFailed, Received, BlockTxs int
	Proofs, ProofFailed                  int
	// Providers registered on chain, of those meant to.
	Providers, ProvidersWanted int
	Trustees                   []TrusteeStats
	// Per light node, averaged: bytes in and out per epoch, connections at the end,
	// and the harness process's CPU and resident memory divided among them.
	LightBytesPerEpoch float64
	LightConns         float64
	// LightTrusteesMin and LightTrusteesMax bound the trustees a light node some
	// trustee let in was connected to at the window's end; LightPeers is the mean
	// number of other light nodes a light node was connected to.
	LightTrusteesMin, LightTrusteesMax int
	LightPeers                         float64
	LightCPUPerEpoch                   time.Duration
	LightRSS                           uint64
}

// Epochs is the number of epochs in the window.
func (r *Report) Epochs() int { return int(r.To - r.From) }

// Lost says what the run lost, or nil.
func (r *Report) Lost() error {
	var lost []string
	if len(r.Missing) > 0 {
		lost = append(lost, fmt.Sprintf("%d blocks never verified (first: %s)", len(r.Missing), r.Missing[0]))
	}
	if r.Stranded > 0 {
		lost = append(lost, fmt.Sprintf("%d light nodes connected to no trustee", r.Stranded))
	}
	if r.Received < r.Sent {
		lost = append(lost, fmt.Sprintf("%d transfers taken, %d received", r.Sent, r.Received))
	}
	if r.Providers < r.ProvidersWanted {
		lost = append(lost, fmt.Sprintf("%d of %d providers registered", r.Providers, r.ProvidersWanted))
	}
	if len(lost) == 0 {
		return nil
	}
	return fmt.Errorf("lost: %v", lost)
}

// Run starts the trustees and the light nodes of opts, measures the window and stops
// everything. It returns an error only when the run could not be made; what the run
// lost is in the Report (Report.Lost).
func Run(ctx context.Context, opts Options) (*Report, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	opts.Logf("open-file limit %d", raiseFiles())
	cycle := opts.Cycle
	netDir := filepath.Join(opts.Dir, "devnet")
	var accounts []chain.GenesisAccount
	addrs := make([]keys.Address, opts.Lights)
	for i := range opts.Lights {
		k, err := lightKey(i)
		if err != nil {
			return nil, err
		}
		addrs[i] = k.Address()
		accounts = append(accounts, chain.GenesisAccount{Address: addrs[i], Balance: devnet.DefaultBalance})
	}
	nf, err := devnet.Genesis(netDir, opts.Trustees, devnet.Options{Phi: opts.Phi, Delta: opts.Delta, Cycle: opts.Cycle,
		Users: 1, Metrics: true, Accounts: accounts})
	if err != nil {
		return nil, err
	}
	paths, err := devnet.Configs(netDir)
	if err != nil {
		return nil, err
	}
	trusteeIDs := make([]peer.ID, len(nf.Genesis.Trustees))
	for i, t := range nf.Genesis.Trustees {
		if trusteeIDs[i], err = p2p.PeerID(t.Key); err != nil {
			return nil, err
		}
	}

	certs := newCertLog()
	exited := make(chan error, len(paths))
	var procs []*trusteeProc
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	for i, p := range paths {
		tp, err := startTrustee(opts.TrusteeBin, p, filepath.Join(opts.Dir, fmt.Sprintf("trustee-%d.log", i)), i, opts.MaxLights, certs, exited)
		if err != nil {
			return nil, err
		}
		procs = append(procs, tp)
	}
	opts.Logf("%d trustees started", len(procs))
	wait := func(what string, epochs int, cond func() bool) error {
		deadline := time.Now().Add(time.Duration(epochs) * cycle)
		for !cond() {
			if time.Now().After(deadline) {
				return fmt.Errorf("%w: %s", ErrTimeout, what)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case err := <-exited:
				return err
			case <-time.After(20 * time.Millisecond):
			}
		}
		return nil
	}
	if err := wait("the trustees' first block", 60, func() bool { h, _ := certs.height(); return h >= 1 }); err != nil {
		return nil, err
	}

	// The light nodes, started a few at a time.
	lctx, stopLights := context.WithCancel(ctx)
	defer stopLights()
	lights := make([]*lightRun, opts.Lights)
	providers := int(math.Round(opts.Providers * float64(opts.Lights)))
	var loadOn atomic.Bool
	var followers sync.WaitGroup
	stopAll := func() {
		stopLights()
		for _, l := range lights {
			if l != nil {
				l.inflight.Wait()
				l.node.Stop()
			}
		}
		followers.Wait()
	}
	defer stopAll()
	sem := make(chan struct{}, opts.Starting)
	var startErr error
	var errMu sync.Mutex
	var starting sync.WaitGroup
	began := time.Now()
	for i := range opts.Lights {
		sem <- struct{}{}
		starting.Go(func() {
			defer func() { <-sem }()
			l, err := startLight(lctx, nf, opts.Dir, i, i < providers)
			if err != nil {
				errMu.Lock()
				startErr = err
				errMu.Unlock()
				return
			}
			l.next = addrs[(i+1)%opts.Lights]
			events, _ := l.node.Subscribe()
			lights[i] = l
			followers.Go(func() {
				l.follow(events, func(h uint64) {
					if !loadOn.Load() {
						return
					}
					if opts.TxEvery > 0 && (h+uint64(i))%uint64(opts.TxEvery) == 0 {
						l.send(lctx, 4*cycle)
					}
					if opts.ProofEvery > 0 && (h+uint64(i))%uint64(opts.ProofEvery) == 0 {
						l.prove(lctx, 4*cycle)
					}
				})
			})
		})
	}
	starting.Wait()
	if startErr != nil {
		return nil, startErr
	}
	opts.Logf("%d light nodes started in %v", opts.Lights, time.Since(began).Round(time.Millisecond))

	// The window opens once every light node has caught up with the chain.
	from, _ := certs.height()
	// A light node no trustee let in never catches up: the window opens without it,
	// and the report counts it stranded and every block of the window missing for it.
	if err := wait("the light nodes to catch up", 30+opts.Lights/20, func() bool { return minHeight(lights) >= from }); err != nil {
		opts.Logf("%v: %s", err, behind(lights, from, trusteeIDs))
	}
	from, _ = certs.height()
	if err := certs.waitHeight(ctx, from+1, exited); err != nil {
		return nil, err
	}
	r := &Report{Options: opts, From: from + 1, To: from + 1 + uint64(opts.Epochs)}
	opts.Logf("window: heights %d to %d", r.From+1, r.To)
	start, err := snapshot(procs, lights, trusteeIDs)
	if err != nil {
		return nil, err
	}
	var live []*lightRun // the light nodes some trustee let in
	for _, l := range lights {
		if l.trustees(trusteeIDs) == 0 {
			r.Stranded++
			continue
		}
		live = append(live, l)
	}
	loadOn.Store(true)
	wctx, cancel := context.WithTimeout(ctx, time.Duration(10*opts.Epochs+60)*cycle)
	err = certs.waitHeight(wctx, r.To, exited)
	cancel()
	if err != nil {
		return nil, err
	}
	end, err := snapshot(procs, lights, trusteeIDs)
	if err != nil {
		return nil, err
	}
	loadOn.Store(false)
	r.LoadStart, r.LoadEnd = start.load, end.load
	t0, _ := certs.when(r.From)
	t1, _ := certs.when(r.To)
	r.Wall = t1.Sub(t0)
	wallSnap := end.at.Sub(start.at)
	epochs := float64(r.Epochs())

	for i, p := range procs {
		peers, err := p.peers(ctx)
		if err != nil {
			return nil, err
		}
		ts := TrusteeStats{CPU: end.trusteeCPU[i] - start.trusteeCPU[i], RSS: end.trusteeRSS[i], Peers: peers,
			CPUShare: float64(end.trusteeCPU[i]-start.trusteeCPU[i]) / float64(wallSnap)}
		for j, l := range lights {
			ts.LightIO += end.perTrustee[j][i] - start.perTrustee[j][i]
			if len(l.host.Network().ConnsToPeer(trusteeIDs[i])) > 0 {
				ts.Serving++
			}
		}
		r.Trustees = append(r.Trustees, ts)
	}
	var bytes int64
	var conns, lightPeers int
	r.LightTrusteesMin = len(trusteeIDs)
	for j, l := range lights {
		bytes += end.lightBytes[j] - start.lightBytes[j]
		conns += len(l.host.Network().Conns())
		r.Tickets += end.tickets[j] - start.tickets[j]
		k := l.trustees(trusteeIDs)
		lightPeers += len(l.host.Network().Peers()) - k
		if k > 0 {
			r.LightTrusteesMin, r.LightTrusteesMax = min(r.LightTrusteesMin, k), max(r.LightTrusteesMax, k)
		}
	}
	r.LightPeers = float64(lightPeers) / float64(len(lights))
	n := float64(len(lights))
	r.LightBytesPerEpoch = float64(bytes) / n / epochs
	r.LightConns = float64(conns) / n
	r.LightCPUPerEpoch = time.Duration(float64(end.selfCPU-start.selfCPU) / n / epochs)
	r.LightRSS = end.selfRSS / uint64(len(lights))
	r.BlockTxs = certs.txsIn(r.From+1, r.To)

	// Drain: every light node verifies the window's last block, the transfers in
	// flight end, and those a trustee took arrive.
	if err := wait("the light nodes to verify the window", 30, func() bool { return minHeight(live) >= r.To }); err != nil {
		opts.Logf("%v", err)
	}
	for _, l := range lights {
		l.inflight.Wait()
	}
	sent := func() (s, got int) {
		for _, l := range lights {
			s += int(l.sent.Load())
			got += int(l.payments.Load())
		}
		return s, got
	}
	if err := wait("the transfers to arrive", 30, func() bool { s, got := sent(); return got >= s }); err != nil {
		opts.Logf("%v", err)
	}
	r.Sent, r.Received = sent()
	for _, l := range lights {
		r.SendFailed += int(l.sendFailed.Load())
		r.Proofs += int(l.proofs.Load())
		r.ProofFailed += int(l.proofErr.Load())
		if l.provider {
			r.ProvidersWanted++
			if p, ok := l.node.Provider(); ok && p.Slots > 0 {
				r.Providers++
			}
		}
	}
	var delays []time.Duration
	for _, l := range lights {
		for h := r.From + 1; h <= r.To; h++ {
			got, ok := l.received(h)
			cert, certOK := certs.when(h)
			if !ok || !certOK {
				r.Missing = append(r.Missing, fmt.Sprintf("light %d height %d", l.index, h))
				continue
			}
			delays = append(delays, max(got.Sub(cert), 0))
		}
	}
	r.Deliveries = len(delays)
	if len(delays) > 0 {
		slices.Sort(delays)
		r.P50, r.P99, r.MaxDelivery = quantile(delays, 0.5), quantile(delays, 0.99), delays[len(delays)-1]
	}
	opts.Logf("measured; stopping")
	return r, nil
}

// quantile of sorted d, nearest rank.
func quantile(d []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(d)))) - 1
	return d[min(max(i, 0), len(d)-1)]
}

func minHeight(lights []*lightRun) uint64 {
	m := ^uint64(0)
	for _, l := range lights {
		m = min(m, l.height())
	}
	return m
}

// snap is the counters at one moment.
type snap struct {
	at         time.Time
	load       float64
	trusteeCPU []time.Duration
	trusteeRSS []uint64
	selfCPU    time.Duration
	selfRSS    uint64
	lightBytes []int64
	perTrustee [][]int64 // [light][trustee] bytes both ways
	tickets    []int
}

func snapshot(procs []*trusteeProc, lights []*lightRun, ids []peer.ID) (*snap, error) {
	s := &snap{at: time.Now()}
	var err error
	if s.load, err = loadAverage(); err != nil {
		return nil, err
	}
	for _, p := range procs {
		cpu, err := procCPU(p.cmd.Process.Pid)
		if err != nil {
			return nil, err
		}
		rss, err := procRSS(p.cmd.Process.Pid)
		if err != nil {
			return nil, err
		}
		s.trusteeCPU = append(s.trusteeCPU, cpu)
		s.trusteeRSS = append(s.trusteeRSS, rss)
	}
	if s.selfCPU, err = procCPU(os.Getpid()); err != nil {
		return nil, err
	}
	if s.selfRSS, err = procRSS(os.Getpid()); err != nil {
		return nil, err
	}
	for _, l := range lights {
		s.lightBytes = append(s.lightBytes, l.bytes())
		s.tickets = append(s.tickets, l.node.Status().Tickets)
		row := make([]int64, len(ids))
		for i, id := range ids {
			row[i] = l.with(id)
		}
		s.perTrustee = append(s.perTrustee, row)
	}
	return s, nil
}

// behind says, for a timeout, how the light nodes below height h stand.
func behind(lights []*lightRun, h uint64, ids []peer.ID) string {
	var n, alone int
	low := ^uint64(0)
	conns := map[int]int{}
	for _, l := range lights {
		lh := l.height()
		if lh >= h {
			continue
		}
		n++
		low = min(low, lh)
		k := l.trustees(ids)
		conns[k]++
		if k == 0 {
			alone++
		}
	}
	return fmt.Sprintf("%d of %d light nodes below height %d (lowest %d), %d connected to no trustee; by trustees connected: %v",
		n, len(lights), h, low, alone, conns)
}
