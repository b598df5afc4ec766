package p2p

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/daolicloud/daoli/node/keys"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/metrics"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	ma "github.com/multiformats/go-multiaddr"
)

func testKey(t *testing.T, name string) *keys.Key {
	t.Helper()
	seed := sha256.Sum256([]byte(name))
	k, err := keys.FromSeed(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestIdentityMapping(t *testing.T) {
	k := testKey(t, "trustee 0")
	id, err := PeerID(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	priv, err := PrivKey(k)
	if err != nil {
		t.Fatal(err)
	}
	fromPriv, err := peer.IDFromPrivateKey(priv)
	if err != nil || fromPriv != id {
		t.Fatalf("peer ID from the private key %v, from the public key %v (%v)", fromPriv, id, err)
	}
	// A libp2p signature verifies with the Daoli key: same identity.
	sig, err := priv.Sign([]byte("hello"))
	if err != nil || !k.Public().Verify([]byte("hello"), sig) {
		t.Fatalf("libp2p signature does not verify under the Daoli key (%v)", err)
	}
	back, err := PublicKeyOf(id)
	if err != nil || back != k.Public() {
		t.Fatalf("PublicKeyOf gave %v, %v", back, err)
	}
	// mocknet makes ECDSA identities, which are not Daoli keys.
	m := newMockNet(t, 1, [][2]int{}, nil)
	if _, err := PublicKeyOf(m.id(0)); !errors.Is(err, ErrBadPeerID) {
		t.Fatalf("PublicKeyOf(ECDSA peer): %v", err)
	}
}

func TestParseAddrInfos(t *testing.T) {
	a, _ := PeerID(testKey(t, "a").Public())
	b, _ := PeerID(testKey(t, "b").Public())
	infos, err := ParseAddrInfos([]string{
		"/ip4/10.0.0.1/tcp/4001/p2p/" + a.String(),
		"/ip4/10.0.0.1/udp/4001/quic-v1/p2p/" + a.String(),
		"/dns4/trustee.example/tcp/4001/p2p/" + b.String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 2 || infos[0].ID != a || len(infos[0].Addrs) != 2 || infos[1].ID != b {
		t.Fatalf("got %v", infos)
	}
	if _, err := ParseAddrInfos([]string{"/ip4/10.0.0.1/tcp/4001"}); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("address without a peer ID: %v", err)
	}
}

func newRealHost(t *testing.T, name, listen string, box *PenaltyBox) host.Host {
	t.Helper()
	h, err := NewHost(HostConfig{
		Key:         testKey(t, name),
		ListenAddrs: []string{listen},
		Gater:       box,
		ConnLow:     4,
		ConnHigh:    8,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// TestRealTransports runs two real hosts over loopback TCP and over loopback QUIC.
func TestRealTransports(t *testing.T) {
	for _, tc := range []struct{ name, listen, proto string }{
		{"tcp", "/ip4/127.0.0.1/tcp/0", "tcp"},
		{"quic", "/ip4/127.0.0.1/udp/0/quic-v1", "quic-v1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			boxA := NewPenaltyBox(PenaltyConfig{})
			boxB := NewPenaltyBox(PenaltyConfig{})
			ha := newRealHost(t, tc.name+" a", tc.listen, boxA)
			hb := newRealHost(t, tc.name+" b", tc.listen, boxB)
			if want, _ := PeerID(testKey(t, tc.name+" a").Public()); ha.ID() != want {
				t.Fatalf("host ID %v, want the key's %v", ha.ID(), want)
			}
			cfg := testConfig()
			cfg.Penalties = boxA
			na, err := New(ha, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { na.Close() })
			cfg = testConfig()
			cfg.Penalties = boxB
			nb, err := New(hb, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { nb.Close() })

			if err := na.Handle(na.Protocols().Sync, echo); err != nil {
				t.Fatal(err)
			}
			ctx := testContext(t)
			if err := nb.Connect(ctx, peer.AddrInfo{ID: ha.ID(), Addrs: ha.Addrs()}); err != nil {
				t.Fatal(err)
			}
			conns := hb.Network().ConnsToPeer(ha.ID())
			if len(conns) == 0 {
				t.Fatal("no connection")
			}
			c := conns[0]
			if _, err := c.RemoteMultiaddr().ValueForProtocol(ma.ProtocolWithName(tc.proto).Code); err != nil {
				t.Fatalf("connection over %v, want %s", c.RemoteMultiaddr(), tc.proto)
			}
			if tc.name == "tcp" {
				if st := c.ConnState(); st.Security != noise.ID || st.StreamMultiplexer != yamux.ID {
					t.Fatalf("TCP connection uses %q and %q, want Noise and Yamux", st.Security, st.StreamMultiplexer)
				}
			}
			resp, err := nb.Request(ctx, ha.ID(), nb.Protocols().Sync, []byte("over "+tc.name))
			if err != nil || string(resp) != "echo over "+tc.name {
				t.Fatalf("request: %q, %v", resp, err)
			}

			// Latency for the Network screen.
			nb.pingPeers()
			peers := nb.Peers()
			if len(peers) != 1 || peers[0].ID != ha.ID() || peers[0].Latency <= 0 || peers[0].Direction != network.DirOutbound {
				t.Fatalf("peers: %+v", peers)
			}

			// The gater keeps a banned peer out in both directions.
			boxA.Ban(hb.ID(), 0)
			na.disconnect(hb.ID())
			eventually(t, "the banned peer to be disconnected", func() bool {
				return ha.Network().Connectedness(hb.ID()) != network.Connected
			})
			hb.Peerstore().AddAddrs(ha.ID(), ha.Addrs(), 1<<62)
			if err := nb.Connect(ctx, peer.AddrInfo{ID: ha.ID(), Addrs: ha.Addrs()}); err == nil {
				// The dial may complete on B's side before A's gater closes it; it
				// must not stay up.
				eventually(t, "the banned peer's new connection to close", func() bool {
					return ha.Network().Connectedness(hb.ID()) != network.Connected
				})
			}
			ha.Peerstore().AddAddrs(hb.ID(), hb.Addrs(), 1<<62)
			if err := ha.Connect(ctx, peer.AddrInfo{ID: hb.ID(), Addrs: hb.Addrs()}); err == nil {
				t.Fatal("dialed a banned peer")
			}
		})
	}
}

func TestNewHostConfigErrors(t *testing.T) {
	if _, err := NewHost(HostConfig{}); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("no key: %v", err)
	}
	if _, err := NewHost(HostConfig{Key: testKey(t, "x"), ConnLow: 10, ConnHigh: 5}); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("high below low: %v", err)
	}
	_, err := NewHost(HostConfig{Key: testKey(t, "x"), ListenAddrs: []string{"not a multiaddr"}})
	if err == nil || !strings.Contains(fmt.Sprint(err), "libp2p host") {
		t.Fatalf("bad listen address: %v", err)
	}
	if _, err := NewHost(HostConfig{Key: testKey(t, "x"), AnnounceAddrs: []string{"nowhere"}}); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("bad announce address: %v", err)
	}
}

func TestNewHostAnnounceAddrs(t *testing.T) {
	h, err := NewHost(HostConfig{
		Key:           testKey(t, "announcer"),
		ListenAddrs:   []string{"/ip4/127.0.0.1/tcp/0"},
		AnnounceAddrs: []string{"/ip4/203.0.113.7/tcp/4001"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if addrs := h.Addrs(); len(addrs) != 1 || addrs[0].String() != "/ip4/203.0.113.7/tcp/4001" {
		t.Fatalf("announced %v", addrs)
	}
}

// TestNewHostRoles builds a trustee host that relays and a light node host that uses it
// as its static relay.
func TestNewHostRoles(t *testing.T) {
	trustee, err := NewHost(HostConfig{
		Key:                testKey(t, "relay trustee"),
		ListenAddrs:        []string{"/ip4/127.0.0.1/tcp/0"},
		RelayService:       true,
		PublicReachability: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer trustee.Close()
	const hop = "/libp2p/circuit/relay/0.2.0/hop"
	eventually(t, "the trustee to serve circuit relay", func() bool {
		return slices.Contains(trustee.Mux().Protocols(), hop)
	})
	light, err := NewHost(HostConfig{
		Key:          testKey(t, "light node"),
		ListenAddrs:  []string{"/ip4/127.0.0.1/tcp/0"},
		RelayClient:  true,
		StaticRelays: []peer.AddrInfo{{ID: trustee.ID(), Addrs: trustee.Addrs()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer light.Close()
	if err := light.Connect(testContext(t), peer.AddrInfo{ID: trustee.ID(), Addrs: trustee.Addrs()}); err != nil {
		t.Fatal(err)
	}
}

// TestPeerIDRemembered: a remembered ID is the derived one, and the memory is bounded.
func TestPeerIDRemembered(t *testing.T) {
	for i := range peerIDsKept + 10 {
		seed := make([]byte, keys.SeedSize)
		seed[0], seed[1] = byte(i), byte(i>>8)
		k, err := keys.FromSeed(seed)
		if err != nil {
			t.Fatal(err)
		}
		want, err := derivePeerID(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if got, err := PeerID(k.Public()); err != nil || got != want {
				t.Fatalf("key %d: %v %v, want %v", i, got, err, want)
			}
		}
	}
	peerIDs.mu.Lock()
	n := len(peerIDs.m)
	peerIDs.mu.Unlock()
	if n > peerIDsKept {
		t.Fatalf("%d IDs remembered, at most %d", n, peerIDsKept)
	}
}

// TestNewHostBandwidth: a host given a bandwidth reporter counts the bytes of a
// request and its answer against the peer it exchanged them with.
func TestNewHostBandwidth(t *testing.T) {
	bw := metrics.NewBandwidthCounter()
	ha, err := NewHost(HostConfig{Key: testKey(t, "bw a"), ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Bandwidth: bw})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ha.Close() })
	hb := newRealHost(t, "bw b", "/ip4/127.0.0.1/tcp/0", NewPenaltyBox(PenaltyConfig{}))
	na, err := New(ha, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { na.Close() })
	nb, err := New(hb, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nb.Close() })
	if err := nb.Handle(nb.Protocols().Sync, echo); err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	if err := na.Connect(ctx, peer.AddrInfo{ID: hb.ID(), Addrs: hb.Addrs()}); err != nil {
		t.Fatal(err)
	}
	req := []byte(strings.Repeat("x", 1000))
	if _, err := na.Request(ctx, hb.ID(), na.Protocols().Sync, req); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the request and its answer counted", func() bool {
		s := bw.GetBandwidthForPeer(hb.ID())
		return s.TotalOut >= int64(len(req)) && s.TotalIn >= int64(len(req))
	})
}

// TestTrusteeLimits: the limits derived from a trustee's light-node limit leave room
// for every light node it admits and the other trustees, above the connection
// manager's watermarks, so that the admit protocol, not the resource manager, refuses
// the one over the limit; the default limiter admitted about 252 on a 23 GiB machine.
func TestTrusteeLimits(t *testing.T) {
	for _, maxLights := range []int{1, DefaultMaxLights, 4096} {
		low, high, inbound := TrusteeConns(maxLights)
		if low <= maxLights || high < low || inbound < high {
			t.Fatalf("max %d light nodes: connection manager %d-%d, inbound %d", maxLights, low, high, inbound)
		}
		sys := TrusteeLimiter(inbound).GetSystemLimits()
		if got := sys.GetConnLimit(network.DirInbound); got < inbound {
			t.Fatalf("max %d light nodes: the resource manager admits %d inbound connections, want %d", maxLights, got, inbound)
		}
		if got := sys.GetFDLimit(); got < inbound {
			t.Fatalf("max %d light nodes: %d file descriptors for %d connections", maxLights, got, inbound)
		}
	}
}
