package p2p

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	dht "github.com/libp2p/go-libp2p-kad-dht"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	ma "github.com/multiformats/go-multiaddr"
)

// Defaults of Config.
const (
	DefaultMaxStreamsPerPeer = 16
	DefaultMaxInboundBytes   = 256 << 20
	DefaultStreamTimeout     = 30 * time.Second
	DefaultValidatorTimeout  = 10 * time.Second
	DefaultPingInterval      = 30 * time.Second
	DefaultReconnect         = 30 * time.Second
	// DefaultGossipBuffer is how many validated messages of a topic may wait for a slow
	// handler before newer ones are dropped.
	DefaultGossipBuffer = 64
)

// DHTMode selects the Kademlia DHT's role.
type DHTMode int

const (
	// DHTOff runs no DHT.
	DHTOff DHTMode = iota
	// DHTClient queries the DHT but does not serve it (laptops).
	DHTClient
	// DHTServer serves the DHT (trustees).
	DHTServer
	// DHTAuto serves the DHT only while the node is publicly reachable.
	DHTAuto
)

// Config configures a Network. Zero fields take the defaults above.
type Config struct {
	// ChainID scopes every protocol and topic. Required.
	ChainID string
	// Logger receives the Network's logs (default: discarded).
	Logger *slog.Logger
	// Penalties is the penalty box; give the same one to NewHost as its gater (default:
	// a new box with default settings, which then only the Network consults).
	Penalties *PenaltyBox

	// DHT selects the DHT mode; Bootstrap lists the peers to dial first (the network
	// file's bootstrap addresses, see ParseAddrInfos); MDNS discovers peers on the LAN.
	DHT       DHTMode
	Bootstrap []peer.AddrInfo
	MDNS      bool

	// MaxStreamsPerPeer bounds the streams of our protocols open with one peer, in each
	// direction.
	MaxStreamsPerPeer int
	// MaxInboundBytes bounds the bytes held by inbound requests and messages across all
	// peers; a frame that does not fit is refused with ErrBusy.
	MaxInboundBytes int64
	// StreamTimeout bounds a whole request/response or one-way exchange, handler
	// included.
	StreamTimeout time.Duration
	// ValidatorTimeout bounds one run of a topic validator.
	ValidatorTimeout time.Duration
	// GossipBuffer is the per-topic queue of validated messages (DefaultGossipBuffer).
	GossipBuffer int
	// PingInterval is how often connected peers are pinged to measure latency; negative
	// disables.
	PingInterval time.Duration
	// ReconnectInterval is how often lost bootstrap peers are dialed again; negative
	// disables.
	ReconnectInterval time.Duration
	// GossipParams overrides gossipsub's parameters (tests shorten the heartbeat).
	GossipParams *pubsub.GossipSubParams
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Penalties == nil {
		c.Penalties = NewPenaltyBox(PenaltyConfig{})
	}
	if c.MaxStreamsPerPeer <= 0 {
		c.MaxStreamsPerPeer = DefaultMaxStreamsPerPeer
	}
	if c.MaxInboundBytes <= 0 {
		c.MaxInboundBytes = DefaultMaxInboundBytes
	}
	if c.StreamTimeout <= 0 {
		c.StreamTimeout = DefaultStreamTimeout
	}
	if c.ValidatorTimeout <= 0 {
		c.ValidatorTimeout = DefaultValidatorTimeout
	}
	if c.GossipBuffer <= 0 {
		c.GossipBuffer = DefaultGossipBuffer
	}
	if c.PingInterval == 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.ReconnectInterval == 0 {
		c.ReconnectInterval = DefaultReconnect
	}
}

// Network is a node's view of the Daoli network, built on an injected host: gossip
// with topic validators, request/response and one-way streams with size limits, the
// penalty box, and discovery. It is safe for concurrent use.
type Network struct {
	host   host.Host
	protos Protocols
	cfg    Config
	log    *slog.Logger
	box    *PenaltyBox
	ps     *pubsub.PubSub
	kad    *dht.IpfsDHT
	mdns   mdns.Service
	budget *budget
	in     *streamSlots
	out    *streamSlots
	notify *network.NotifyBundle

	ctx    context.Context
	cancel context.CancelFunc

	// mu guards what follows; wg counts goroutines and handlers that Close waits for.
	mu       sync.Mutex
	wg       sync.WaitGroup
	closed   bool
	topics   map[string]*topicState
	handlers map[protocol.ID]bool

	outStreams outStreams // long-lived outbound streams of Streamed protocols
}

// New builds a Network on h. The Network does not own h: close the Network, then the
// host.
func New(h host.Host, cfg Config) (*Network, error) {
	protos, err := NewProtocols(cfg.ChainID)
	if err != nil {
		return nil, err
	}
	cfg.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	n := &Network{
		host:     h,
		protos:   protos,
		cfg:      cfg,
		log:      cfg.Logger.With("component", "p2p", "self", h.ID().ShortString()),
		box:      cfg.Penalties,
		budget:   newBudget(cfg.MaxInboundBytes),
		in:       newStreamSlots(cfg.MaxStreamsPerPeer),
		out:      newStreamSlots(cfg.MaxStreamsPerPeer),
		ctx:      ctx,
		cancel:   cancel,
		topics:   map[string]*topicState{},
		handlers: map[protocol.ID]bool{},
	}
	if err := n.startGossip(); err != nil {
		cancel()
		return nil, err
	}
	// The gater keeps banned peers out of a real host; this catches them on hosts
	// without one (mocknet) and on connections that were open before the ban.
	n.notify = &network.NotifyBundle{ConnectedF: func(_ network.Network, c network.Conn) {
		if n.box.Banned(c.RemotePeer()) {
			go c.Close()
		}
	}}
	h.Network().Notify(n.notify)
	if err := n.startDiscovery(); err != nil {
		n.Close()
		return nil, err
	}
	if cfg.PingInterval > 0 {
		n.goLoop(cfg.PingInterval, n.pingPeers)
	}
	return n, nil
}

// Protocols returns the protocol IDs and topics of the Network's chain.
func (n *Network) Protocols() Protocols { return n.protos }

// Host returns the host the Network runs on.
func (n *Network) Host() host.Host { return n.host }

// Self returns the node's peer ID.
func (n *Network) Self() peer.ID { return n.host.ID() }

// PenaltyBox returns the Network's penalty box.
func (n *Network) PenaltyBox() *PenaltyBox { return n.box }

// InboundHeld is the bytes of inbound frames being read now, charged to the inbound
// budget; a frame that would take it past its limit is refused.
func (n *Network) InboundHeld() int64 { return n.budget.inUse() }

// DHT returns the Kademlia DHT, or nil when it is off.
func (n *Network) DHT() *dht.IpfsDHT { return n.kad }

// Close stops gossip, stream handlers and discovery, and waits for handlers in flight.
// The host stays open.
func (n *Network) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	topics := n.topics
	n.topics = map[string]*topicState{}
	handlers := n.handlers
	n.mu.Unlock()

	for proto := range handlers {
		n.host.RemoveStreamHandler(proto)
	}
	if n.notify != nil {
		n.host.Network().StopNotify(n.notify)
	}
	n.mu.Lock()
	var stops []func()
	for _, ts := range topics {
		stops = append(stops, ts.unsubscribeLocked())
	}
	n.mu.Unlock()
	for _, stop := range stops {
		stop()
	}
	for name, ts := range topics {
		_ = n.ps.UnregisterTopicValidator(name)
		_ = ts.topic.Close()
	}
	if n.mdns != nil {
		n.mdns.Close()
	}
	var err error
	if n.kad != nil {
		err = n.kad.Close()
	}
	n.host.RemoveStreamHandler(n.protos.Gossip)
	n.cancel()
	n.wg.Wait()
	n.outStreams.closeAll()
	return err
}

// enter registers a unit of work that Close must wait for; it fails once closing.
func (n *Network) enter() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return false
	}
	n.wg.Add(1)
	return true
}

// goLoop runs f every interval until Close.
func (n *Network) goLoop(interval time.Duration, f func()) {
	if !n.enter() {
		return
	}
	go func() {
		defer n.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-n.ctx.Done():
				return
			case <-t.C:
				f()
			}
		}
	}()
}

// Penalize adds points to p's penalty score; at the threshold p is banned and
// disconnected. Callers use it for invalid data they find after this package let it
// through (a Report with a bad signature, say).
func (n *Network) Penalize(p peer.ID, points float64, reason string) {
	if p == "" || p == n.host.ID() {
		return
	}
	banned := n.box.Add(p, points)
	n.log.Debug("peer penalized", "peer", p, "points", points, "reason", reason, "score", n.box.Score(p))
	if banned {
		n.log.Warn("peer banned", "peer", p, "reason", reason, "until", n.box.BannedUntil(p))
		n.disconnect(p)
	}
}

// Banned reports whether p is in the penalty box.
func (n *Network) Banned(p peer.ID) bool { return n.box.Banned(p) }

// disconnect closes every connection with p. It runs apart from the caller, which may
// be a handler on one of those connections.
func (n *Network) disconnect(p peer.ID) {
	if !n.enter() {
		return
	}
	go func() {
		defer n.wg.Done()
		if err := n.host.Network().ClosePeer(p); err != nil {
			n.log.Debug("close peer", "peer", p, "err", err)
		}
	}()
}

// Connect dials ai unless it is banned.
func (n *Network) Connect(ctx context.Context, ai peer.AddrInfo) error {
	if n.box.Banned(ai.ID) {
		return fmt.Errorf("connect %s: %w", ai.ID, ErrBanned)
	}
	if err := n.host.Connect(ctx, ai); err != nil {
		return fmt.Errorf("connect %s: %w", ai.ID, err)
	}
	return nil
}

// Connected reports whether a connection with p is open.
func (n *Network) Connected(p peer.ID) bool {
	return n.host.Network().Connectedness(p) == network.Connected
}

// Disconnect closes every connection with p, apart from the caller.
func (n *Network) Disconnect(p peer.ID) { n.disconnect(p) }

// Addrs lists the addresses the peerstore holds for p: those p announced (identify)
// or those it was dialed on.
func (n *Network) Addrs(p peer.ID) []ma.Multiaddr { return n.host.Peerstore().Addrs(p) }

// Protect keeps the connection manager from trimming connections with p while any tag
// protects it. Trustees protect each other.
func (n *Network) Protect(p peer.ID, tag string) { n.host.ConnManager().Protect(p, tag) }

// Unprotect removes one protection tag from p.
func (n *Network) Unprotect(p peer.ID, tag string) { n.host.ConnManager().Unprotect(p, tag) }

// Peers lists the connected peers, sorted by ID.
func (n *Network) Peers() []PeerInfo {
	net := n.host.Network()
	ids := net.Peers()
	out := make([]PeerInfo, 0, len(ids))
	for _, p := range ids {
		conns := net.ConnsToPeer(p)
		if len(conns) == 0 {
			continue
		}
		info := PeerInfo{
			ID:        p,
			Latency:   n.host.Peerstore().LatencyEWMA(p),
			Penalty:   n.box.Score(p),
			Protected: n.host.ConnManager().IsProtected(p, ""),
		}
		for i, c := range conns {
			info.Addrs = append(info.Addrs, c.RemoteMultiaddr())
			st := c.Stat()
			if i == 0 || st.Opened.Before(info.Opened) {
				info.Opened, info.Direction = st.Opened, st.Direction
			}
		}
		slices.SortFunc(info.Addrs, func(a, b ma.Multiaddr) int {
			if a.String() < b.String() {
				return -1
			}
			if a.String() > b.String() {
				return 1
			}
			return 0
		})
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b PeerInfo) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out
}

// recoverTo turns a panic in caller code (a handler or validator fed network bytes)
// into a logged error, so bad input cannot take the process down.
func (n *Network) recoverTo(what string, p peer.ID, err *error) {
	if r := recover(); r != nil {
		n.log.Error("panic in "+what, "peer", p, "panic", r, "stack", string(debug.Stack()))
		if err != nil {
			*err = fmt.Errorf("internal error in %s", what)
		}
	}
}
