package p2p

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/daolicloud/daoli/node/keys"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/metrics"
	"github.com/libp2p/go-libp2p/core/peer"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	lpconnmgr "github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
)

// DefaultListenAddrs are used when HostConfig.ListenAddrs is empty: TCP and QUIC on every
// interface, on ports the system picks.
var DefaultListenAddrs = []string{
	"/ip4/0.0.0.0/tcp/0",
	"/ip4/0.0.0.0/udp/0/quic-v1",
	"/ip6/::/tcp/0",
	"/ip6/::/udp/0/quic-v1",
}

// Connection manager defaults: trim down to ConnLow once ConnHigh connections are open,
// sparing connections younger than ConnGrace.
const (
	DefaultConnLow   = 64
	DefaultConnHigh  = 256
	DefaultConnGrace = time.Minute
)

// HostConfig configures NewHost.
type HostConfig struct {
	// Key is the node's identity; its peer ID is PeerID(Key.Public()). Required.
	Key *keys.Key
	// ListenAddrs are multiaddrs to listen on (default DefaultListenAddrs).
	ListenAddrs []string
	// AnnounceAddrs, when set, replace the addresses the host tells peers about: a
	// trustee in a container or behind a load balancer announces its public address.
	AnnounceAddrs []string
	// Gater refuses connections; pass the PenaltyBox shared with the Network so banned
	// peers are kept out at the transport.
	Gater connmgr.ConnectionGater
	// Limiter sets the resource manager's limits (default DefaultLimiter()).
	Limiter rcmgr.Limiter
	// ConnLow, ConnHigh and ConnGrace tune the connection manager (defaults above).
	ConnLow, ConnHigh int
	ConnGrace         time.Duration
	// RelayService offers circuit relay to peers behind NAT. Trustees set it.
	RelayService bool
	// PublicReachability declares the host publicly reachable instead of waiting for
	// AutoNAT to find out, so a trustee on a server relays from the start.
	PublicReachability bool
	// RelayClient lets a node behind NAT be reached through relays (StaticRelays, usually
	// the trustees) and upgrade to a direct connection by hole punching. Light nodes set
	// it.
	RelayClient  bool
	StaticRelays []peer.AddrInfo
	// RelaySource, when set instead of StaticRelays, names the relays as the node
	// learns them: a light node's are the trustees that admitted it.
	RelaySource func(ctx context.Context, num int) <-chan peer.AddrInfo
	// NATPortMap asks the router for a port mapping (UPnP / NAT-PMP).
	NATPortMap bool
	// UserAgent is announced by identify (default "daoli").
	UserAgent string
	// Metrics registers libp2p's Prometheus metrics. Off by default, so several hosts
	// can live in one process (the embedded demo network) without clashing.
	Metrics bool
	// Bandwidth, when set, counts the bytes the host sends and receives, by peer and
	// protocol (the load harness, docs/scale.md, reads each light node's traffic).
	Bandwidth metrics.Reporter
}

// NewHost builds the libp2p host every Daoli node uses: TCP and QUIC, Noise, Yamux, the
// resource manager, a connection manager and the given gater, with the identity of
// cfg.Key. Nothing else in this package builds a host: the Network takes one, so tests
// can hand it a mocknet host instead.
func NewHost(cfg HostConfig) (host.Host, error) {
	if cfg.Key == nil {
		return nil, fmt.Errorf("%w: no host key", ErrBadConfig)
	}
	priv, err := PrivKey(cfg.Key)
	if err != nil {
		return nil, err
	}
	listen := cfg.ListenAddrs
	if len(listen) == 0 {
		listen = DefaultListenAddrs
	}
	low, high, grace := cfg.ConnLow, cfg.ConnHigh, cfg.ConnGrace
	if low <= 0 {
		low = DefaultConnLow
	}
	if high <= 0 {
		high = DefaultConnHigh
	}
	if high < low {
		return nil, fmt.Errorf("%w: ConnHigh %d below ConnLow %d", ErrBadConfig, high, low)
	}
	if grace <= 0 {
		grace = DefaultConnGrace
	}
	announce, err := parseAddrs(cfg.AnnounceAddrs)
	if err != nil {
		return nil, err
	}
	cm, err := lpconnmgr.NewConnManager(low, high, lpconnmgr.WithGracePeriod(grace))
	if err != nil {
		return nil, fmt.Errorf("connection manager: %w", err)
	}
	limiter := cfg.Limiter
	if limiter == nil {
		limiter = DefaultLimiter()
	}
	rm, err := rcmgr.NewResourceManager(limiter)
	if err != nil {
		cm.Close()
		return nil, fmt.Errorf("resource manager: %w", err)
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = "daoli"
	}
	opts := []libp2p.Option{
		libp2p.Identity(priv),
		libp2p.ListenAddrStrings(listen...),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Transport(quic.NewTransport),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.ResourceManager(rm),
		libp2p.ConnectionManager(cm),
		libp2p.UserAgent(ua),
	}
	if cfg.Gater != nil {
		opts = append(opts, libp2p.ConnectionGater(cfg.Gater))
	}
	if len(announce) > 0 {
		opts = append(opts, libp2p.AddrsFactory(func([]ma.Multiaddr) []ma.Multiaddr { return announce }))
	}
	if !cfg.Metrics {
		opts = append(opts, libp2p.DisableMetrics())
	}
	if cfg.RelayService {
		opts = append(opts, libp2p.EnableRelayService(), libp2p.EnableNATService())
	}
	if cfg.PublicReachability {
		opts = append(opts, libp2p.ForceReachabilityPublic())
	}
	if cfg.RelayClient {
		opts = append(opts, libp2p.EnableRelay(), libp2p.EnableHolePunching())
		switch {
		case cfg.RelaySource != nil:
			opts = append(opts, libp2p.EnableAutoRelayWithPeerSource(cfg.RelaySource))
		case len(cfg.StaticRelays) > 0:
			opts = append(opts, libp2p.EnableAutoRelayWithStaticRelays(cfg.StaticRelays))
		}
	} else {
		// A node that is not a relay client has no use for the relay transport, and
		// without it cannot be tricked into routing through a stranger's relay.
		opts = append(opts, libp2p.DisableRelay())
	}
	if cfg.NATPortMap {
		opts = append(opts, libp2p.NATPortMap())
	}
	if cfg.Bandwidth != nil {
		opts = append(opts, libp2p.BandwidthReporter(cfg.Bandwidth))
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("libp2p host: %w", err)
	}
	return h, nil
}

func parseAddrs(addrs []string) ([]ma.Multiaddr, error) {
	out := make([]ma.Multiaddr, 0, len(addrs))
	for _, a := range addrs {
		m, err := ma.NewMultiaddr(a)
		if err != nil {
			return nil, fmt.Errorf("%w: address %q: %v", ErrBadConfig, a, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// DefaultLimiter returns resource manager limits scaled to this machine (an eighth of
// its memory, half its file descriptors), with libp2p's own services included.
func DefaultLimiter() rcmgr.Limiter {
	limits := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&limits)
	return rcmgr.NewFixedLimiter(limits.AutoScale())
}

// TrusteeLimiter returns DefaultLimiter's limits with room for at least inbound
// inbound connections (TrusteeConns), and the file descriptors they take.
func TrusteeLimiter(inbound int) rcmgr.Limiter {
	limits := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&limits)
	scaled := limits.AutoScale()
	partial := scaled.ToPartialLimitConfig()
	raise := func(l *rcmgr.LimitVal, to int) {
		if int(*l) < to && *l != rcmgr.Unlimited {
			*l = rcmgr.LimitVal(to)
		}
	}
	for _, rl := range []*rcmgr.ResourceLimits{&partial.System, &partial.Transient} {
		raise(&rl.ConnsInbound, inbound)
		raise(&rl.Conns, 2*inbound)
		raise(&rl.FD, 2*inbound)
	}
	return rcmgr.NewFixedLimiter(partial.Build(scaled))
}

// ScaledLimiter returns resource manager limits scaled to memory bytes and fds file
// descriptors, for an operator who gives the node a fixed share of a server.
func ScaledLimiter(memory int64, fds int) rcmgr.Limiter {
	limits := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&limits)
	return rcmgr.NewFixedLimiter(limits.Scale(memory, fds))
}

// PrivKey converts a Daoli key into the libp2p private key of the same ed25519 identity.
func PrivKey(k *keys.Key) (crypto.PrivKey, error) {
	seed := k.Seed()
	pub := k.Public()
	// libp2p's ed25519 private key is the 32-byte seed followed by the public key.
	b := make([]byte, 0, keys.SeedSize+keys.PublicKeySize)
	b = append(append(b, seed...), pub[:]...)
	clear(seed)
	priv, err := crypto.UnmarshalEd25519PrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("libp2p key: %w", err)
	}
	return priv, nil
}

// PeerID returns the libp2p peer ID of a Daoli public key, so the trustee keys in the
// genesis name the peers to trust. IDs are remembered: nodes look up the trustee set's
// every second or so, and deriving one (a protobuf encoding and a multihash) showed in
// an idle app's CPU profile.
func PeerID(pub keys.PublicKey) (peer.ID, error) {
	peerIDs.mu.Lock()
	id, ok := peerIDs.m[pub]
	peerIDs.mu.Unlock()
	if ok {
		return id, nil
	}
	id, err := derivePeerID(pub)
	if err != nil {
		return "", err
	}
	peerIDs.mu.Lock()
	if peerIDs.m == nil || len(peerIDs.m) >= peerIDsKept {
		peerIDs.m = make(map[keys.PublicKey]peer.ID)
	}
	peerIDs.m[pub] = id
	peerIDs.mu.Unlock()
	return id, nil
}

// peerIDs remembers derived IDs, up to peerIDsKept (then starts over): trustee sets
// are tens of keys.
var peerIDs struct {
	mu sync.Mutex
	m  map[keys.PublicKey]peer.ID
}

const peerIDsKept = 1024

func derivePeerID(pub keys.PublicKey) (peer.ID, error) {
	pk, err := crypto.UnmarshalEd25519PublicKey(pub[:])
	if err != nil {
		return "", fmt.Errorf("%w: %v", keys.ErrBadPublicKey, err)
	}
	id, err := peer.IDFromPublicKey(pk)
	if err != nil {
		return "", fmt.Errorf("%w: %v", keys.ErrBadPublicKey, err)
	}
	return id, nil
}

// PublicKeyOf returns the Daoli public key inside an ed25519 peer ID (such IDs embed
// the key), so a stream's remote peer maps back to a trustee key.
func PublicKeyOf(id peer.ID) (keys.PublicKey, error) {
	pk, err := id.ExtractPublicKey()
	if err != nil {
		return keys.PublicKey{}, fmt.Errorf("%w: %v", ErrBadPeerID, err)
	}
	if pk.Type() != crypto.Ed25519 {
		return keys.PublicKey{}, fmt.Errorf("%w: key type %v", ErrBadPeerID, pk.Type())
	}
	raw, err := pk.Raw()
	if err != nil || len(raw) != keys.PublicKeySize {
		return keys.PublicKey{}, fmt.Errorf("%w: bad ed25519 key", ErrBadPeerID)
	}
	var out keys.PublicKey
	copy(out[:], raw)
	return out, nil
}

// ParseAddrInfos turns multiaddrs ending in /p2p/<peer ID> (a network file's bootstrap
// list) into peer address sets, merging addresses of the same peer.
func ParseAddrInfos(addrs []string) ([]peer.AddrInfo, error) {
	var out []peer.AddrInfo
	index := map[peer.ID]int{}
	for _, a := range addrs {
		ai, err := peer.AddrInfoFromString(a)
		if err != nil {
			return nil, fmt.Errorf("%w: peer address %q: %v", ErrBadConfig, a, err)
		}
		if i, ok := index[ai.ID]; ok {
			out[i].Addrs = append(out[i].Addrs, ai.Addrs...)
			continue
		}
		index[ai.ID] = len(out)
		out = append(out, *ai)
	}
	return out, nil
}
