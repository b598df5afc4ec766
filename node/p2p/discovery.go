package p2p

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	"github.com/libp2p/go-libp2p/p2p/protocol/ping"
)

// dialTimeout bounds one dial to a bootstrap or LAN peer.
const dialTimeout = 15 * time.Second

// bootstrapTag marks bootstrap peers in the connection manager, so trimming keeps them
// longer than strangers.
const (
	bootstrapTag   = "daoli-bootstrap"
	bootstrapValue = 50
)

// maxPings bounds the pings in flight at once.
const maxPings = 8

// startDiscovery starts the DHT and mDNS as configured, and the loop that redials lost
// bootstrap peers.
func (n *Network) startDiscovery() error {
	var mode dht.ModeOpt
	switch n.cfg.DHT {
	case DHTOff:
	case DHTClient:
		mode = dht.ModeClient
	case DHTServer:
		mode = dht.ModeServer
	case DHTAuto:
		mode = dht.ModeAuto
	default:
		return fmt.Errorf("%w: DHT mode %d", ErrBadConfig, n.cfg.DHT)
	}
	if n.cfg.DHT != DHTOff {
		kad, err := dht.New(n.ctx, n.host,
			dht.ProtocolPrefix(n.protos.DHTPrefix),
			dht.Mode(mode),
			dht.BootstrapPeers(n.otherBootstrapPeers()...),
			// Peer routing and provider records only: there are no values to store,
			// so the DHT accepts none.
			dht.DisableValues(),
		)
		if err != nil {
			return fmt.Errorf("dht: %w", err)
		}
		n.kad = kad
	}
	if n.cfg.MDNS {
		n.mdns = mdns.NewMdnsService(n.host, n.protos.MDNSService, mdnsNotifee{n})
		if err := n.mdns.Start(); err != nil {
			n.mdns = nil
			return fmt.Errorf("mdns: %w", err)
		}
	}
	for _, ai := range n.cfg.Bootstrap {
		n.host.ConnManager().TagPeer(ai.ID, bootstrapTag, bootstrapValue)
	}
	if len(n.cfg.Bootstrap) > 0 && n.cfg.ReconnectInterval > 0 {
		n.goLoop(n.cfg.ReconnectInterval, func() { n.dialBootstrap(n.ctx) })
	}
	return nil
}

// Bootstrap dials the bootstrap peers and, with a DHT, fills its routing table from
// them. It fails with ErrNoBootstrap when there are bootstrap peers and none answers.
func (n *Network) Bootstrap(ctx context.Context) error {
	if connected := n.dialBootstrap(ctx); connected == 0 && len(n.otherBootstrapPeers()) > 0 {
		return ErrNoBootstrap
	}
	if n.kad != nil {
		if err := n.kad.Bootstrap(ctx); err != nil {
			return fmt.Errorf("dht bootstrap: %w", err)
		}
	}
	return nil
}

// otherBootstrapPeers are the bootstrap peers but ourselves: a trustee finds its own
// address in the network file.
func (n *Network) otherBootstrapPeers() []peer.AddrInfo {
	var out []peer.AddrInfo
	for _, ai := range n.cfg.Bootstrap {
		if ai.ID != n.host.ID() {
			out = append(out, ai)
		}
	}
	return out
}

// dialBootstrap connects to every bootstrap peer not yet connected, in parallel, and
// returns how many are connected afterwards.
func (n *Network) dialBootstrap(ctx context.Context) int {
	var (
		wg        sync.WaitGroup
		connected atomic.Int64
	)
	for _, ai := range n.otherBootstrapPeers() {
		if n.host.Network().Connectedness(ai.ID) == network.Connected {
			connected.Add(1)
			continue
		}
		wg.Add(1)
		go func(ai peer.AddrInfo) {
			defer wg.Done()
			dctx, cancel := context.WithTimeout(ctx, dialTimeout)
			defer cancel()
			if err := n.Connect(dctx, ai); err != nil {
				n.log.Debug("bootstrap dial", "peer", ai.ID, "err", err)
				return
			}
			connected.Add(1)
		}(ai)
	}
	wg.Wait()
	return int(connected.Load())
}

// mdnsNotifee dials the peers mDNS finds on the LAN.
type mdnsNotifee struct{ n *Network }

func (m mdnsNotifee) HandlePeerFound(ai peer.AddrInfo) {
	n := m.n
	if ai.ID == n.host.ID() || n.box.Banned(ai.ID) || !n.enter() {
		return
	}
	go func() {
		defer n.wg.Done()
		ctx, cancel := context.WithTimeout(n.ctx, dialTimeout)
		defer cancel()
		if err := n.Connect(ctx, ai); err != nil {
			n.log.Debug("mdns dial", "peer", ai.ID, "err", err)
		}
	}()
}

// pingPeers measures the round trip to every connected peer; the ping service records
// it in the peerstore, where Peers reads it.
func (n *Network) pingPeers() {
	sem := make(chan struct{}, maxPings)
	var wg sync.WaitGroup
	for _, p := range n.host.Network().Peers() {
		select {
		case sem <- struct{}{}:
		case <-n.ctx.Done():
			wg.Wait()
			return
		}
		wg.Add(1)
		go func(p peer.ID) {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(n.ctx, 10*time.Second)
			defer cancel()
			if res := <-ping.Ping(ctx, n.host, p); res.Error != nil {
				n.log.Debug("ping", "peer", p, "err", res.Error)
			}
		}(p)
	}
	wg.Wait()
}
