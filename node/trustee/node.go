package trustee

import (
	"context"
	"fmt"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/content"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/daolicloud/daoli/node/ibft"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/network"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/store"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
)

// DBFile is the name of the chain database in a trustee's data directory.
const DBFile = "chain.db"

// NodeOptions tune Start beyond the configuration file.
type NodeOptions struct {
	Logger       *slog.Logger
	Clock        Clock
	TickInterval time.Duration
	Timeouts     ibft.Timeouts
	// NoDHT turns the DHT off; trustees otherwise serve it. A demo network on one
	// machine has no use for it.
	NoDHT bool
	// NoPing stops measuring the round trip to peers, which only people read (a
	// status page, a Network screen): a demo network's trustees have no such reader.
	NoPing bool
	// GossipParams overrides gossipsub's parameters (tests shorten the heartbeat).
	GossipParams *pubsub.GossipSubParams
}

// Node is a running trustee process: host, network, store and trustee, wired from a
// configuration file.
type Node struct {
	Trustee *Trustee
	Net     *p2p.Network
	Host    host.Host
	Store   *store.Store
	// MetricsAddr is where the metrics server listens; nil when there is none.
	MetricsAddr net.Addr

	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// Start opens the trustee described by cfg and runs it until ctx ends or Stop.
func Start(ctx context.Context, cfg *Config, opts NodeOptions) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	key, err := keys.LoadKeyFile(cfg.KeyFile)
	if err != nil {
		return nil, err
	}
	nf, err := network.Load(cfg.NetworkFile)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	st, err := store.Open(filepath.Join(cfg.DataDir, DBFile), nil)
	if err != nil {
		return nil, err
	}
	n := &Node{Store: st, done: make(chan struct{})}
	fail := func(err error) (*Node, error) {
		if n.Net != nil {
			n.Net.Close()
		}
		if n.Host != nil {
			n.Host.Close()
		}
		st.Close()
		return nil, err
	}
	if err := st.Init(nf.Genesis); err != nil {
		return fail(err)
	}
	box := p2p.NewPenaltyBox(p2p.PenaltyConfig{})
	maxLights := cfg.MaxLights
	if maxLights == 0 {
		maxLights = p2p.DefaultMaxLights
	}
	low, high, inbound := p2p.TrusteeConns(maxLights)
	n.Host, err = p2p.NewHost(p2p.HostConfig{
		Key: key, ListenAddrs: cfg.Listen, AnnounceAddrs: cfg.Announce, Gater: box, RelayService: true,
		UserAgent: "daoli-trustee", ConnLow: low, ConnHigh: high, Limiter: p2p.TrusteeLimiter(inbound),
	})
	if err != nil {
		return fail(err)
	}
	boot, err := p2p.ParseAddrInfos(nf.BootstrapAddrs())
	if err != nil {
		return fail(err)
	}
	dht := p2p.DHTServer
	if opts.NoDHT {
		dht = p2p.DHTOff
	}
	ping := time.Duration(0) // the default
	if opts.NoPing {
		ping = -1
	}
	n.Net, err = p2p.New(n.Host, p2p.Config{
		ChainID: nf.ChainID, Logger: log, Penalties: box, DHT: dht, Bootstrap: boot, GossipParams: opts.GossipParams,
		PingInterval: ping,
	})
	if err != nil {
		return fail(err)
	}
	cs, err := content.OpenStore(filepath.Join(cfg.DataDir, "content"))
	if err != nil {
		return fail(err)
	}
	sb, err := compute.NewSandbox(filepath.Join(cfg.DataDir, "wasm-cache"))
	if err != nil {
		return fail(err)
	}
	n.Trustee, err = New(Options{
		Key: key, Store: st, Net: n.Net, Clock: opts.Clock, Logger: log.With("trustee", key.Public().String()[:8]),
		TickInterval: opts.TickInterval, Timeouts: opts.Timeouts,
		Market: &Market{Content: cs, Sandbox: sb, Quota: DefaultContentQuota}, MaxLights: maxLights,
	})
	if err != nil {
		return fail(err)
	}
	ctx, n.cancel = context.WithCancel(ctx)
	if cfg.Metrics != "" {
		if n.MetricsAddr, err = n.Trustee.ServeHTTP(ctx, cfg.Metrics); err != nil {
			n.cancel()
			return fail(err)
		}
		log.Info("metrics", "addr", n.MetricsAddr.String())
	}
	go func() {
		defer close(n.done)
		// The network dials the bootstrap trustees in the background; Run's own
		// loop keeps the trustee set connected.
		go func() { _ = n.Net.Bootstrap(ctx) }()
		n.err = n.Trustee.Run(ctx)
		sb.Close()
		n.Net.Close()
		n.Host.Close()
		if err := st.Close(); err != nil && n.err == nil {
			n.err = err
		}
	}()
	return n, nil
}

// Done is closed once the node has stopped and closed its store.
func (n *Node) Done() <-chan struct{} { return n.done }

// Wait waits for the node to stop and returns why it stopped (nil on a clean stop).
func (n *Node) Wait() error {
	<-n.done
	return n.err
}

// Stop shuts the node down and waits for it.
func (n *Node) Stop() error {
	n.cancel()
	return n.Wait()
}
