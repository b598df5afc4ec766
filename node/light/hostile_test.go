package light

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/network"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/wire"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	mocknet "github.com/libp2p/go-libp2p/p2p/net/mock"
	ma "github.com/multiformats/go-multiaddr"
)

// mesh is an in-process libp2p network (mocknet) with a light node on it, started
// with an injected host, and the peers the tests make play against it.
type mesh struct {
	t       testing.TB
	mn      mocknet.Mocknet
	chain   *chaintest.Net
	light   *Node
	closers []func() error
	once    sync.Once
}

// close stops everything on the mesh, last started first.
func (m *mesh) close() {
	m.once.Do(func() {
		for i := len(m.closers) - 1; i >= 0; i-- {
			_ = m.closers[i]()
		}
	})
}

func newMesh(t testing.TB, c *chaintest.Net, wallet *keys.Key) *mesh {
	t.Helper()
	mn := mocknet.New()
	m := &mesh{t: t, mn: mn, chain: c, closers: []func() error{mn.Close}}
	t.Cleanup(m.close)
	h, err := mn.GenPeer()
	if err != nil {
		t.Fatal(err)
	}
	nf := &network.File{Name: "test", ChainID: c.Config.ChainID, Genesis: c.Genesis}
	lc := DefaultConfig(nf, t.TempDir())
	lc.Wallet, lc.Host, lc.DHT, lc.Ping, lc.Poll, lc.Logger = wallet, h, false, false, 20*time.Millisecond, nodetest.Logger()
	n, err := Start(context.Background(), lc)
	if err != nil {
		t.Fatal(err)
	}
	m.light = n
	m.closers = append(m.closers, n.Stop)
	return m
}

// peer adds a Network to the mesh on a host with key k (nil: a fresh key), linked and
// connected to the light node.
func (m *mesh) peer(k *keys.Key) *p2p.Network {
	m.t.Helper()
	var h host.Host
	var err error
	if k == nil {
		h, err = m.mn.GenPeer()
	} else {
		priv, kerr := p2p.PrivKey(k)
		if kerr != nil {
			m.t.Fatal(kerr)
		}
		h, err = m.mn.AddPeer(priv, ma.StringCast(fmt.Sprintf("/ip4/10.0.0.%d/tcp/4001", len(m.mn.Hosts())+1)))
	}
	if err != nil {
		m.t.Fatal(err)
	}
	nw, err := p2p.New(h, p2p.Config{ChainID: m.chain.Config.ChainID, Logger: nodetest.Logger(), PingInterval: -1,
		Penalties: p2p.NewPenaltyBox(p2p.PenaltyConfig{})})
	if err != nil {
		m.t.Fatal(err)
	}
	m.closers = append(m.closers, nw.Close)
	m.connect(h.ID())
	return nw
}

func (m *mesh) connect(id peer.ID) {
	m.t.Helper()
	if _, err := m.mn.LinkPeers(m.light.net.Host().ID(), id); err != nil {
		m.t.Fatal(err)
	}
	if _, err := m.mn.ConnectPeers(m.light.net.Host().ID(), id); err != nil {
		m.t.Fatal(err)
	}
}

func (m *mesh) disconnect(id peer.ID) {
	m.t.Helper()
	self := m.light.net.Host().ID()
	if err := m.mn.UnlinkPeers(self, id); err != nil {
		m.t.Fatal(err)
	}
	if err := m.mn.DisconnectPeers(self, id); err != nil {
		m.t.Fatal(err)
	}
}

// fakeTrustee answers a light node's requests as a trustee would, with what its
// fields say.
type fakeTrustee struct {
	mu      sync.Mutex
	claim   uint64                                       // the height its clock reports
	block   func(h uint64) (*wire.CertifiedBlock, error) // what it serves by sync
	proof   func(a keys.Address) (*wire.ProofResponse, error)
	highest atomic.Uint64 // the highest height asked of it by sync
}

func (m *mesh) trustee(i int, ft *fakeTrustee) *p2p.Network {
	m.t.Helper()
	nw := m.peer(m.chain.Trustees[i])
	protos := nw.Protocols()
	must := func(err error) {
		if err != nil {
			m.t.Fatal(err)
		}
	}
	must(nw.Handle(protos.Clock, func(context.Context, peer.ID, []byte) ([]byte, error) {
		ft.mu.Lock()
		defer ft.mu.Unlock()
		return wire.Encode(&wire.ClockSample{Time: time.Now().UnixNano(), Height: ft.claim}), nil
	}))
	must(nw.Handle(protos.Sync, func(_ context.Context, _ peer.ID, req []byte) ([]byte, error) {
		var r wire.SyncRequest
		if err := wire.Decode(req, &r, 64); err != nil {
			return nil, err
		}
		for {
			old := ft.highest.Load()
			if r.Height <= old || ft.highest.CompareAndSwap(old, r.Height) {
				break
			}
		}
		cb, err := ft.block(r.Height)
		if err != nil {
			return nil, err
		}
		return wire.Encode(cb), nil
	}))
	must(nw.Handle(protos.Proof, func(_ context.Context, _ peer.ID, req []byte) ([]byte, error) {
		var r wire.ProofRequest
		if err := wire.Decode(req, &r, p2p.ProofRequestLimit); err != nil {
			return nil, err
		}
		ft.mu.Lock()
		prove := ft.proof
		ft.mu.Unlock()
		resp, err := prove(r.Address)
		if err != nil {
			return nil, err
		}
		return wire.Encode(resp), nil
	}))
	return nw
}

var errNoBlock = errors.New("no such block")

// serve is a fakeTrustee's sync answer from the committed chain cs.
func serve(cs []*chaintest.Committed) func(uint64) (*wire.CertifiedBlock, error) {
	return func(h uint64) (*wire.CertifiedBlock, error) {
		if h == 0 || h > uint64(len(cs)) {
			return nil, errNoBlock
		}
		c := cs[h-1]
		return &wire.CertifiedBlock{Block: *c.Block, Cert: *c.Cert}, nil
	}
}

// proveAt is a fakeTrustee's proof answer from the state after block height of cs,
// labelled as of claimed.
func proveAt(cs []*chaintest.Committed, height, claimed uint64) func(keys.Address) (*wire.ProofResponse, error) {
	return func(a keys.Address) (*wire.ProofResponse, error) {
		acct, proof := cs[height-1].State.ProveAccount(a)
		return &wire.ProofResponse{Height: claimed, Account: acct, Proof: proof}, nil
	}
}

func waitStatus(t *testing.T, n *Node, what string, cond func(Status) bool) {
	t.Helper()
	poll(t, what, func() bool { return cond(n.Status()) })
}

func runChain(t *testing.T, count int) (*chaintest.Net, []*chaintest.Committed) {
	t.Helper()
	c, err := chaintest.New(chaintest.Config{Trustees: 4})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := c.Run(count, chaintest.Step{Transfers: 2, Tickets: 2})
	if err != nil {
		t.Fatal(err)
	}
	return c, cs
}

// TestHostileGossipPeer: a peer that gossips forged blocks gets them rejected and is
// penalized; the light node relays none of them, and a header claiming height 2⁴⁰
// is not taken as a sync target. The genuine block that follows is accepted and
// relayed, so the relay path the forgeries did not take is open.
func TestHostileGossipPeer(t *testing.T) {
	c, cs := runChain(t, 2)
	m := newMesh(t, c, nil)
	n := m.light
	hostile := m.peer(nil)
	witness := m.peer(nil)
	topic := hostile.Protocols().Blocks
	// The witness joins the topic once it knows the light node subscribed, so its
	// join grafts the light node at once and the light node forwards to it from its
	// next message on (it would otherwise wait for a heartbeat to graft the witness).
	poll(t, "the light node's subscription reaching both peers", func() bool {
		return len(hostile.TopicPeers(topic)) == 1 && len(witness.TopicPeers(topic)) == 1
	})
	var heard atomic.Int32
	var heardData sync.Map
	if err := witness.Subscribe(topic, func(_ context.Context, _ peer.ID, data []byte) (any, p2p.ValidationResult) {
		return nil, p2p.Accept
	}, func(_ context.Context, msg p2p.Message) {
		heard.Add(1)
		heardData.Store(string(msg.Data), true)
	}); err != nil {
		t.Fatal(err)
	}
	poll(t, "the witness's subscription reaching the light node", func() bool { return len(n.net.TopicPeers(topic)) == 1 })

	genuine := cs[0]
	badSig := cloneCert(t, genuine.Cert)
	badSig.Sigs[0].Sig[0] ^= 1
	outsiders := []*keys.Key{chaintest.Key("x", 0), chaintest.Key("x", 1), chaintest.Key("x", 2)}
	far := clone(t, cs[1].Block)
	far.Header.Epoch = 1 << 40
	farCert, err := chaintest.Certify(c.Config.ChainID, far, outsiders)
	if err != nil {
		t.Fatal(err)
	}
	outsiderCert, err := chaintest.Certify(c.Config.ChainID, genuine.Block, outsiders)
	if err != nil {
		t.Fatal(err)
	}
	forged := []struct {
		name    string
		cb      wire.CertifiedBlock
		penalty bool
	}{
		{"a flipped signature", wire.CertifiedBlock{Block: *genuine.Block, Cert: *badSig}, true},
		{"a certificate by non-trustees", wire.CertifiedBlock{Block: *genuine.Block, Cert: *outsiderCert}, true},
		{"height 2⁴⁰", wire.CertifiedBlock{Block: *far, Cert: *farCert}, false},
	}
	box := n.net.PenaltyBox()
	for _, f := range forged {
		before := box.Score(hostile.Host().ID())
		if err := hostile.Publish(t.Context(), topic, wire.Encode(&f.cb)); err != nil {
			t.Fatalf("%s: publish: %v", f.name, err)
		}
		if f.penalty {
			poll(t, f.name+" penalized", func() bool { return box.Score(hostile.Host().ID()) > before })
		}
	}
	// The genuine block, published last, reaches the witness only through the light
	// node; everything the witness heard before it would have come the same way.
	data := wire.Encode(&wire.CertifiedBlock{Block: *genuine.Block, Cert: *genuine.Cert})
	if err := hostile.Publish(t.Context(), topic, data); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, n, "the genuine block accepted", func(s Status) bool { return s.Height == 1 })
	poll(t, "the genuine block relayed to the witness", func() bool { _, ok := heardData.Load(string(data)); return ok })
	if got := heard.Load(); got != 1 {
		t.Fatalf("the witness heard %d blocks through the light node, want only the genuine one", got)
	}
	if s := n.Status(); s.Target != 1 || !s.Synced {
		t.Fatalf("status after the forgeries: block %d of %d, synced %v", s.Height, s.Target, s.Synced)
	}
}

// TestCatchUpVerifiesAsBlocksArrive: a trustee that claims a height far ahead and
// serves forged blocks is found out at the first block. The node verifies each block
// as it arrives, so it asked for at most three (one verified, one waiting, one being
// fetched), not a run of 64, before refusing the trustee; and one trustee's claim is
// not a sync target.
func TestCatchUpVerifiesAsBlocksArrive(t *testing.T) {
	c, cs := runChain(t, 10)
	m := newMesh(t, c, nil)
	n := m.light
	genuine := serve(cs)
	liar := &fakeTrustee{claim: 100, block: func(h uint64) (*wire.CertifiedBlock, error) {
		cb, err := genuine(h)
		if err != nil {
			return nil, err
		}
		// The genuine block with one signature of its certificate's quorum flipped.
		cb.Cert.Sigs = append([]chain.CertSig(nil), cb.Cert.Sigs...)
		cb.Cert.Sigs[0].Sig = append([]byte(nil), cb.Cert.Sigs[0].Sig...)
		cb.Cert.Sigs[0].Sig[0] ^= 1
		return cb, nil
	}}
	nw := m.trustee(0, liar)
	id := nw.Host().ID()
	box := n.net.PenaltyBox()
	poll(t, "the lying trustee penalized", func() bool { return box.Score(id) > 0 || box.Banned(id) })
	if got := liar.highest.Load(); got > 3 {
		t.Fatalf("the node asked for blocks up to %d before verifying the first", got)
	}
	if s := n.Status(); s.Height != 0 || s.Target != 0 || s.Synced {
		t.Fatalf("after the lying trustee: block %d of %d, synced %v", s.Height, s.Target, s.Synced)
	}
}

// hostileSetup runs a light node with a wallet against three trustees of four: one
// claims height 2⁴⁰, serves no blocks, and answers balance queries with a proof of
// the block before the honest trustees' tip.
func hostileSetup(t *testing.T) (m *mesh, cs []*chaintest.Committed, liar *fakeTrustee, honest []*p2p.Network) {
	c, cs := runChain(t, 8)
	m = newMesh(t, c, c.Users[0])
	tip := uint64(len(cs))
	liar = &fakeTrustee{claim: 1 << 40, block: func(uint64) (*wire.CertifiedBlock, error) { return nil, errNoBlock },
		proof: proveAt(cs, tip-1, tip-1)}
	m.trustee(0, liar)
	for i := 1; i <= 2; i++ {
		honest = append(honest, m.trustee(i, &fakeTrustee{claim: tip, block: serve(cs), proof: proveAt(cs, tip, tip)}))
	}
	waitStatus(t, m.light, "the honest trustees' blocks verified", func(s Status) bool { return s.Height == tip })
	return m, cs, liar, honest
}

// TestHostileTrusteeClaim: one trustee's claim of height 2⁴⁰ is not the node's sync
// target; the honest trustees' height is, and the node is synced at it.
func TestHostileTrusteeClaim(t *testing.T) {
	m, cs, _, _ := hostileSetup(t)
	tip := uint64(len(cs))
	n := m.light
	n.Kick()
	waitStatus(t, n, "synced", func(s Status) bool { return s.Synced || s.Target > tip })
	if s := n.Status(); s.Target != tip || !s.Synced {
		t.Fatalf("block %d of %d, synced %v; the honest trustees are at %d", s.Height, s.Target, s.Synced, tip)
	}
}

// TestHostileTrusteeProofs: a trustee's proof of a block older than the node's tip,
// or one labelled with a height the chain has not reached, is refused whether that
// trustee is the only one connected or not, and the wallet gets its balance from
// another trustee.
func TestHostileTrusteeProofs(t *testing.T) {
	m, cs, liar, honest := hostileSetup(t)
	tip := uint64(len(cs))
	n := m.light
	user := m.chain.Users[0]

	// With only the liar connected, no answer of its is taken.
	m.disconnect(honest[0].Host().ID())
	m.disconnect(honest[1].Host().ID())
	poll(t, "only the liar connected", func() bool { return n.Status().Trustees == 1 })
	if acct, err := n.Balance(t.Context()); !errors.Is(err, ErrStaleProof) {
		t.Fatalf("a proof of block %d with the tip at %d: %+v, %v", tip-1, tip, acct, err)
	}
	liar.mu.Lock()
	liar.proof = proveAt(cs, tip, 1<<40)
	liar.mu.Unlock()
	if acct, err := n.Balance(t.Context()); !errors.Is(err, ErrAhead) {
		t.Fatalf("a proof claiming height 2⁴⁰: %+v, %v", acct, err)
	}
	if s := n.Status(); s.Target != tip {
		t.Fatalf("after the liar's proofs: target %d, want %d", s.Target, tip)
	}

	// With an honest trustee connected too, the wallet asks it.
	m.connect(honest[0].Host().ID())
	poll(t, "an honest trustee connected again", func() bool { return n.Status().Trustees == 2 })
	want, _ := cs[tip-1].State.ProveAccount(user.Address())
	for _, stale := range []bool{true, false} {
		liar.mu.Lock()
		liar.proof = proveAt(cs, tip, 1<<40)
		if stale {
			liar.proof = proveAt(cs, tip-1, tip-1)
		}
		liar.mu.Unlock()
		acct, err := n.Balance(t.Context())
		if err != nil || acct.Height != tip || acct.Account != want {
			t.Fatalf("stale liar %v: balance %+v, %v; want %+v proven at %d", stale, acct, err, want, tip)
		}
	}
}

// BenchmarkCatchUp is a light node catching up 512 blocks from trustees over an
// in-process libp2p network (mocknet): the production path, a request per block, each
// verified as it arrives and stored 64 at a time. headers/s is blocks verified and
// stored per second.
func BenchmarkCatchUp(b *testing.B) {
	for _, trustees := range []int{4, 16} {
		b.Run(fmt.Sprintf("trustees=%d", trustees), func(b *testing.B) {
			const count = 512
			c, err := chaintest.New(chaintest.Config{Trustees: trustees})
			if err != nil {
				b.Fatal(err)
			}
			cs, err := c.Run(count, chaintest.Step{Transfers: 2, Tickets: 2})
			if err != nil {
				b.Fatal(err)
			}
			var headers int
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				m := newMesh(b, c, nil)
				for i := range trustees {
					m.trustee(i, &fakeTrustee{claim: count, block: serve(cs)})
				}
				events, stop := m.light.Subscribe()
				b.StartTimer()
				m.light.Kick()
				deadline := time.After(waitFor)
				for m.light.Height() < count {
					select {
					case <-events:
					case <-deadline:
						b.Fatalf("caught up to %d of %d", m.light.Height(), count)
					}
				}
				b.StopTimer()
				stop()
				headers += count
				m.close()
				b.StartTimer()
			}
			b.ReportMetric(float64(headers)/b.Elapsed().Seconds(), "headers/s")
		})
	}
}

// TestSyncFromOneTrustee: one trustee's claim alone is no target, but the blocks the
// node verified are: connected to a single honest trustee, the node catches up and
// is synced at its height.
func TestSyncFromOneTrustee(t *testing.T) {
	c, cs := runChain(t, 8)
	m := newMesh(t, c, nil)
	m.trustee(3, &fakeTrustee{claim: uint64(len(cs)), block: serve(cs)})
	waitStatus(t, m.light, "synced", func(s Status) bool { return s.Height == uint64(len(cs)) && s.Synced })
	if s := m.light.Status(); s.Target != uint64(len(cs)) {
		t.Fatalf("block %d of %d", s.Height, s.Target)
	}
}
