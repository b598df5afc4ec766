package p2p

import (
	"errors"
	"slices"
	"testing"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	mocknet "github.com/libp2p/go-libp2p/p2p/net/mock"
)

// TestDHTFindsPeersThroughBootstrap: A knows only B, B knows C; A finds C through the
// DHT under our private prefix.
func TestDHTFindsPeersThroughBootstrap(t *testing.T) {
	mn, err := mocknet.FullMeshLinked(3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mn.Close() })
	hs := mn.Hosts()
	b, c := hs[1], hs[2]
	info := func(i int) peer.AddrInfo { return peer.AddrInfo{ID: hs[i].ID(), Addrs: hs[i].Addrs()} }
	nets := make([]*Network, 3)
	for i, boot := range [][]peer.AddrInfo{{info(1)}, nil, {info(1)}} {
		cfg := testConfig()
		cfg.DHT = DHTServer
		cfg.Bootstrap = boot
		cfg.ReconnectInterval = -1
		nw, err := New(hs[i], cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nw.Close() })
		nets[i] = nw
	}
	if !slices.Contains(b.Mux().Protocols(), testProtos.DHT) {
		t.Fatalf("DHT server does not speak %s; it speaks %v", testProtos.DHT, b.Mux().Protocols())
	}
	ctx := testContext(t)
	for _, i := range []int{0, 2} {
		if err := nets[i].Bootstrap(ctx); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "B in A's routing table", func() bool { return nets[0].DHT().RoutingTable().Find(b.ID()) != "" })
	eventually(t, "C in B's routing table", func() bool { return nets[1].DHT().RoutingTable().Find(c.ID()) != "" })
	found, err := nets[0].DHT().FindPeer(ctx, c.ID())
	if err != nil {
		t.Fatalf("FindPeer: %v", err)
	}
	if found.ID != c.ID() {
		t.Fatalf("found %v", found)
	}
	// The lookup (or the routing table refresh before it) put A in touch with C.
	if len(found.Addrs) == 0 && hs[0].Network().Connectedness(c.ID()) != network.Connected {
		t.Fatalf("found %v with no address, and A is not connected to C", found)
	}
	// Peers lists the connected peers in a stable order.
	peers := nets[1].Peers()
	if len(peers) != 2 || peers[0].ID > peers[1].ID {
		t.Fatalf("B's peers: %+v", peers)
	}
}

func TestBootstrapFailsWhenNoPeerAnswers(t *testing.T) {
	mn, err := mocknet.WithNPeers(2) // not linked: no dial can succeed
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mn.Close() })
	hs := mn.Hosts()
	cfg := testConfig()
	cfg.Bootstrap = []peer.AddrInfo{{ID: hs[1].ID(), Addrs: hs[1].Addrs()}, {ID: hs[0].ID()}}
	cfg.ReconnectInterval = -1
	nw, err := New(hs[0], cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nw.Close() })
	if err := nw.Bootstrap(testContext(t)); !errors.Is(err, ErrNoBootstrap) {
		t.Fatalf("got %v, want ErrNoBootstrap", err)
	}
	// A node alone (the first trustee of a new network) bootstraps fine.
	cfg = testConfig()
	cfg.Bootstrap = []peer.AddrInfo{{ID: hs[1].ID()}}
	alone, err := New(hs[1], cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { alone.Close() })
	if err := alone.Bootstrap(testContext(t)); err != nil {
		t.Fatalf("bootstrap with only ourselves listed: %v", err)
	}
}

func TestNewRejectsUnknownDHTMode(t *testing.T) {
	mn, err := mocknet.WithNPeers(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mn.Close() })
	cfg := testConfig()
	cfg.DHT = DHTMode(42)
	if _, err := New(mn.Hosts()[0], cfg); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("got %v, want ErrBadConfig", err)
	}
}
