package light

import (
	"context"
	"crypto/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/node/devnet"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/network"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/trustee"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// startLimitedDevnet runs four trustees in this process, each admitting at most
// maxLights light nodes.
func startLimitedDevnet(t *testing.T, maxLights int) (*network.File, *devnet.Devnet) {
	t.Helper()
	dir := t.TempDir()
	nf, err := devnet.Genesis(dir, 4, devnet.Options{Phi: 150 * time.Millisecond, Delta: 100 * time.Millisecond, Cycle: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := devnet.Configs(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		c, err := trustee.LoadConfig(p)
		if err != nil {
			t.Fatal(err)
		}
		c.MaxLights = maxLights
		if err := trustee.SaveConfig(p, c); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	d, err := devnet.Start(ctx, dir, trustee.NodeOptions{Logger: nodetest.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		d.Stop()
	})
	return nf, d
}

// startLinked starts a light node that keeps k trustees and lightPeers light peers,
// on host h (nil: one of its own).
func startLinked(t *testing.T, nf *network.File, h host.Host, k, lightPeers int) *Node {
	t.Helper()
	c := testConfig(t, nf, nil)
	c.Trustees, c.LightPeers, c.Host = k, lightPeers, h
	n, err := Start(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	return n
}

func (n *Node) admittedBy() []peer.ID { return n.admittedTrustees() }

// TestTrusteeRefusesWhenFull: trustees that admit one light node each. A takes three
// of them; B, whose first choice is one of those three, is refused there with the
// reason — the trustee's limit and how many it serves — and is admitted by the fourth,
// the one A does not hold; it follows the chain, and no trustee serves more than one.
func TestTrusteeRefusesWhenFull(t *testing.T) {
	nf, d := startLimitedDevnet(t, 1)
	a := startLinked(t, nf, nil, 3, 0)
	poll(t, "A admitted by three trustees", func() bool { return len(a.admittedBy()) == 3 && a.Height() >= 2 })
	held := a.admittedBy()

	set := a.setPeers()
	var h host.Host
	for h == nil {
		k, err := keys.Generate(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		id, err := p2p.PeerID(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(held, rendezvous(id, set)[0]) {
			continue
		}
		if h, err = p2p.NewHost(p2p.HostConfig{Key: k, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}}); err != nil {
			t.Fatal(err)
		}
	}
	first := rendezvous(h.ID(), set)[0]
	b := startLinked(t, nf, h, 1, 0)
	poll(t, "B admitted by the trustee A does not hold, and following", func() bool {
		ids := b.admittedBy()
		return len(ids) == 1 && !slices.Contains(held, ids[0]) && b.Height() > a.Height()/2 && b.Status().Synced
	})
	var reason string
	for _, ti := range b.Trustees() {
		if id, _ := p2p.PeerID(ti.Key); id == first {
			reason = ti.Refused
		}
	}
	if !strings.Contains(reason, "trustee full") || !strings.Contains(reason, "(1 of 1)") {
		t.Fatalf("B's first choice refused it with %q, want the trustee's limit", reason)
	}
	poll(t, "the refusing trustee closed B's connection", func() bool { return !b.net.Connected(first) })
	// Served by a trustee, B does not ask the full one again once its refusal
	// lapses: it would hold a connection on a trustee that does not serve it.
	b.links.mu.Lock()
	asked := b.links.refused[first].until
	b.links.mu.Unlock()
	lapsed := b.Height() + uint64(2*b.refusedFor()/b.cfg.Poll)
	poll(t, "B's refusal lapsed, and B followed on", func() bool { return time.Now().After(asked) && b.Height() >= lapsed })
	b.links.mu.Lock()
	again := b.links.refused[first].until
	b.links.mu.Unlock()
	if !again.Equal(asked) || b.net.Connected(first) {
		t.Fatalf("B asked the full trustee again while served (refused until %v, then %v)", asked, again)
	}
	for i, tn := range d.Nodes {
		if serving, limit := tn.Trustee.Lights(); serving > limit || limit != 1 {
			t.Fatalf("trustee %d serves %d light nodes, limit %d", i, serving, limit)
		}
	}
}

// TestLightPeersFromTrustee: a light node dials the light nodes its trustee names, so
// that blocks relay among light nodes, and keeps only its own trustees: with k = 1 it
// holds one trustee connection, not four. A, on every trustee, is named to B and C
// whichever trustee they are on.
func TestLightPeersFromTrustee(t *testing.T) {
	nf, _ := startLimitedDevnet(t, 8)
	a := startLinked(t, nf, nil, 4, 2)
	poll(t, "A admitted by four trustees", func() bool { return len(a.admittedBy()) == 4 })
	b := startLinked(t, nf, nil, 1, 2)
	c := startLinked(t, nf, nil, 1, 2)
	nodes := []*Node{a, b, c}
	poll(t, "each light node connected to another light node", func() bool {
		for _, n := range nodes {
			set := n.setPeers()
			lights := 0
			for _, p := range n.net.Peers() {
				if !slices.Contains(set, p.ID) {
					lights++
				}
			}
			if lights == 0 || n.Height() < 3 {
				return false
			}
		}
		return true
	})
	for i, n := range nodes[1:] {
		if got := len(n.trusteePeers()); got != 1 {
			t.Fatalf("light node %d holds %d trustee connections, want 1", i+1, got)
		}
	}
}

// TestCandidatesDirectOnly: a light node named with only a relayed address is not
// dialed (the dial would hold a connection on the relaying trustee); one with a direct
// address is, by that address alone.
func TestCandidatesDirectOnly(t *testing.T) {
	c, _ := runChain(t, 1)
	m := newMesh(t, c, nil)
	id := func() peer.ID {
		k, err := keys.Generate(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		p, err := p2p.PeerID(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	relay, direct, both := id(), id(), id()
	circuit := ma.StringCast("/ip4/10.0.0.1/tcp/4001/p2p/" + id().String() + "/p2p-circuit")
	tcp := ma.StringCast("/ip4/10.0.0.2/tcp/4001")
	m.light.addCandidates([]peer.AddrInfo{
		{ID: relay, Addrs: []ma.Multiaddr{circuit}},
		{ID: direct, Addrs: []ma.Multiaddr{tcp}},
		{ID: both, Addrs: []ma.Multiaddr{circuit, tcp}},
	})
	m.light.links.mu.Lock()
	got := slices.Clone(m.light.links.candidates)
	m.light.links.mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("%d candidates, want 2: %v", len(got), got)
	}
	for _, c := range got {
		if c.ID == relay || len(c.Addrs) != 1 || !c.Addrs[0].Equal(tcp) {
			t.Fatalf("candidate %v", c)
		}
	}
}

// TestNoRequestsWhileAsking: a trustee the node is asking to serve it gets none of its
// other requests until it answers: one that refused, its connection closed, would
// otherwise be dialed again by a height poll or a proof and hold a connection on a
// trustee that does not serve the node.
func TestNoRequestsWhileAsking(t *testing.T) {
	c, cs := runChain(t, 4)
	m := newMesh(t, c, nil)
	tr := m.trustee(0, &fakeTrustee{claim: uint64(len(cs)), block: serve(cs)})
	id := tr.Self()
	poll(t, "the trustee serving the node", func() bool { return slices.Contains(m.light.trusteePeers(), id) })
	m.light.links.mu.Lock()
	m.light.links.asking[id] = true
	m.light.links.mu.Unlock()
	if slices.Contains(m.light.trusteePeers(), id) {
		t.Fatal("a trustee being asked to serve the node is among those it sends requests to")
	}
	m.light.links.mu.Lock()
	delete(m.light.links.asking, id)
	m.light.links.mu.Unlock()
	if !slices.Contains(m.light.trusteePeers(), id) {
		t.Fatal("the trustee that answered is not among those the node asks")
	}
}
