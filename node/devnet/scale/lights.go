package scale

import (
	"context"
	cryptorand "crypto/rand"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/light"
	"github.com/daolicloud/daoli/node/network"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/metrics"
	"github.com/libp2p/go-libp2p/core/peer"
)

// lightKey is the wallet of light node i, derived from its index so that genesis can
// fund it.
func lightKey(i int) (*keys.Key, error) {
	seed := sha256.Sum256(fmt.Appendf(nil, "scale light node %d", i))
	return keys.FromSeed(seed[:])
}

// lightRun is one light node of a run and what the harness saw of it.
type lightRun struct {
	index    int
	node     *light.Node
	bw       *metrics.BandwidthCounter
	host     host.Host
	provider bool
	next     keys.Address // whom its transfers pay

	mu   sync.Mutex
	recv map[uint64]time.Time // when each height was verified
	last uint64

	payments   atomic.Int64 // transfers received
	sent       atomic.Int64 // transfers a trustee took
	sendFailed atomic.Int64
	proofs     atomic.Int64
	proofErr   atomic.Int64
	sending    atomic.Bool
	proving    atomic.Bool
	inflight   sync.WaitGroup
}

// startLight starts light node i of nf in dir on a host of its own.
func startLight(ctx context.Context, nf *network.File, dir string, i int, provider bool) (*lightRun, error) {
	wallet, err := lightKey(i)
	if err != nil {
		return nil, err
	}
	hostKey, err := keys.Generate(cryptorand.Reader)
	if err != nil {
		return nil, err
	}
	bw := metrics.NewBandwidthCounter()
	// The host the app's light node builds for itself (light.Start without a Host),
	// but on loopback TCP only, and counting its bytes.
	relays := new(light.Relays)
	h, err := p2p.NewHost(p2p.HostConfig{Key: hostKey, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"},
		RelayClient: true, RelaySource: relays.Source, UserAgent: "daoli", Bandwidth: bw})
	if err != nil {
		return nil, fmt.Errorf("light %d host: %w", i, err)
	}
	data := filepath.Join(dir, fmt.Sprintf("light-%d", i))
	cfg := light.DefaultConfig(nf, data)
	cfg.Wallet = wallet
	cfg.Mine = true
	cfg.MinerWorkers = 1
	cfg.DHT = false // every light node knows the trustees from the network file
	cfg.Ping = false
	cfg.Host, cfg.Relays = h, relays
	cfg.Logger = slog.New(slog.DiscardHandler)
	if provider {
		mc := light.DefaultMarketConfig(data, chain.ProviderSpec{CPUModel: "scale harness", Cores: 1, MemoryMiB: 512})
		cfg.Market = &mc
	}
	n, err := light.Start(ctx, cfg)
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("light %d: %w", i, err)
	}
	if provider {
		if err := n.SetProviding(true); err != nil {
			n.Stop()
			return nil, fmt.Errorf("light %d: %w", i, err)
		}
	}
	return &lightRun{index: i, node: n, bw: bw, host: h, provider: provider, recv: map[uint64]time.Time{}}, nil
}

// follow records when each block arrives and counts the payments, until the event
// stream ends; on each block it calls onBlock.
func (l *lightRun) follow(events <-chan light.Event, onBlock func(h uint64)) {
	for e := range events {
		switch e.Kind {
		case light.EventBlock:
			now := time.Now()
			l.mu.Lock()
			// One event may stand for a run of blocks verified together.
			for h := l.last + 1; h <= e.Height; h++ {
				l.recv[h] = now
			}
			l.last = max(l.last, e.Height)
			l.mu.Unlock()
			onBlock(e.Height)
		case light.EventPayment:
			l.payments.Add(1)
		}
	}
}

func (l *lightRun) received(h uint64) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.recv[h]
	return t, ok
}

func (l *lightRun) height() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// send transfers one coin to the next light node, unless a transfer is in flight.
func (l *lightRun) send(ctx context.Context, timeout time.Duration) {
	if !l.sending.CompareAndSwap(false, true) {
		return
	}
	l.inflight.Go(func() {
		defer l.sending.Store(false)
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if _, err := l.node.Send(ctx, l.next, 1, 1, ""); err != nil {
			l.sendFailed.Add(1)
			return
		}
		l.sent.Add(1)
	})
}

// prove asks the trustees for a proof of the wallet's balance, unless one is in flight.
func (l *lightRun) prove(ctx context.Context, timeout time.Duration) {
	if !l.proving.CompareAndSwap(false, true) {
		return
	}
	l.inflight.Go(func() {
		defer l.proving.Store(false)
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if _, err := l.node.Balance(ctx); err != nil {
			l.proofErr.Add(1)
			return
		}
		l.proofs.Add(1)
	})
}

// bytes is the light node's traffic so far, in and out, with every peer.
func (l *lightRun) bytes() int64 {
	s := l.bw.GetBandwidthTotals()
	return s.TotalIn + s.TotalOut
}

// with is the light node's traffic so far with peer id, in and out.
func (l *lightRun) with(id peer.ID) int64 {
	s := l.bw.GetBandwidthForPeer(id)
	return s.TotalIn + s.TotalOut
}

// trustees is how many of the trustees ids the light node is connected to.
func (l *lightRun) trustees(ids []peer.ID) int {
	k := 0
	for _, id := range ids {
		if len(l.host.Network().ConnsToPeer(id)) > 0 {
			k++
		}
	}
	return k
}
