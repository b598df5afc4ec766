package trustee

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/ibft"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/store"
	"github.com/daolicloud/daoli/node/wire"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	mocknet "github.com/libp2p/go-libp2p/p2p/net/mock"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

const waitFor = 60 * time.Second

func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	nodetest.Poll(t, time.Now().Add(waitFor), what, cond)
}

func fastGossip() *pubsub.GossipSubParams {
	p := pubsub.DefaultGossipSubParams()
	p.HeartbeatInitialDelay = 10 * time.Millisecond
	p.HeartbeatInterval = 50 * time.Millisecond
	return &p
}

// genesisStore opens a store in a temporary directory, closed at the end of the test,
// and initializes it with g.
func genesisStore(tb testing.TB, g *chain.Genesis) *store.Store {
	tb.Helper()
	st, err := store.Open(filepath.Join(tb.TempDir(), DBFile), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if err := st.Init(g); err != nil {
		tb.Fatal(err)
	}
	return st
}

// mockTrustees builds n trustees of a chaintest chain on injected mocknet hosts,
// all connected, with short DCC windows.
func mockTrustees(t *testing.T, n int) []*Trustee {
	t.Helper()
	g := chaintest.Config{Trustees: n}.Genesis()
	g.Time = time.Now().Add(-time.Second).UTC()
	g.Params.PhiMs, g.Params.DeltaMs, g.Params.CycleMs = 100, 50, 200
	mn := mocknet.New()
	t.Cleanup(func() { mn.Close() })
	var out []*Trustee
	for i := range n {
		k := chaintest.TrusteeKey(i)
		priv, err := p2p.PrivKey(k)
		if err != nil {
			t.Fatal(err)
		}
		h, err := mn.AddPeer(priv, ma.StringCast(fmt.Sprintf("/ip4/10.0.0.%d/tcp/4001", i+1)))
		if err != nil {
			t.Fatal(err)
		}
		nw, err := p2p.New(h, p2p.Config{ChainID: g.ChainID, PingInterval: -1, ReconnectInterval: -1, GossipParams: fastGossip()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nw.Close() })
		st := genesisStore(t, g)
		tr, err := New(Options{Key: k, Store: st, Net: nw})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tr)
	}
	if err := mn.LinkAll(); err != nil {
		t.Fatal(err)
	}
	if err := mn.ConnectAllButSelf(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMocknetCertifies runs four trustees on injected hosts: they certify identical
// blocks, and each stops cleanly when its context ends.
func TestMocknetCertifies(t *testing.T) {
	ts := mockTrustees(t, 4)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make([]error, len(ts))
	for i, tr := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = tr.Run(ctx)
		}()
	}
	poll(t, "height 10 everywhere", func() bool {
		for _, tr := range ts {
			if tr.Status().Height < 10 {
				return false
			}
		}
		return true
	})
	cancel()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("trustee %d: %v", i, err)
		}
	}
	for h := uint64(1); h <= 10; h++ {
		want, err := ts[0].store.Block(h)
		if err != nil {
			t.Fatal(err)
		}
		for i, tr := range ts[1:] {
			got, err := tr.store.Block(h)
			if err != nil {
				t.Fatal(err)
			}
			if got.Hash() != want.Hash() {
				t.Fatalf("block %d differs on trustee %d", h, i+1)
			}
		}
	}
	// One copy of each block goes on the topic, the round proposer's, not one per
	// trustee: the others find it there and leave it.
	var published, left float64
	for _, tr := range ts {
		published += counterValue(t, tr.metrics.blocks.WithLabelValues("published"))
		left += counterValue(t, tr.metrics.blocks.WithLabelValues("left"))
	}
	t.Logf("%v blocks published, %v left", published, left)
	if heights := float64(ts[0].Status().Height); published > heights+2 || left < 2*heights {
		t.Fatalf("%v blocks published and %v left by 4 trustees over %v heights; want about one published per height", published, left, heights)
	}
	if err := ts[0].Run(context.Background()); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("second Run: %v", err)
	}
}

// TestConsensusEdge checks that bytes that are not a valid consensus message are
// refused at the edge as bad input, which penalizes the sender.
func TestConsensusEdge(t *testing.T) {
	tr := mockTrustees(t, 4)[0]
	for _, data := range [][]byte{nil, {0xff}, wire.Encode(&wire.SyncRequest{Height: 1})} {
		if err := tr.onConsensus(context.Background(), "", data); !errors.Is(err, p2p.ErrBadInput) {
			t.Fatalf("%x: %v", data, err)
		}
	}
}

// TestInvalidConsensusPenalized checks that a consensus message the machine refuses
// for what it is (a bad signature, another chain, a signer outside the set of an epoch
// this trustee has reached) costs the peer that sent it, and that one refused for when
// it came, or signed by a stranger for a later epoch whose set may differ, does not.
func TestInvalidConsensusPenalized(t *testing.T) {
	tr := mockTrustees(t, 4)[0]
	box := tr.net.(*p2p.Network).PenaltyBox()
	from, err := p2p.PeerID(chaintest.TrusteeKey(1).Public())
	if err != nil {
		t.Fatal(err)
	}
	epoch := tr.m.Status().Epoch
	vote := func(chainID string, epoch uint64, signer, claim *keys.Key) *ibft.Message {
		v := &chain.Vote{Kind: chain.Prevote, ChainID: chainID, Epoch: epoch, Block: chain.Hash{1}}
		v.Sign(signer)
		v.Trustee = claim.Public()
		return &ibft.Message{Vote: v}
	}
	trustee1, trustee2, stranger := chaintest.TrusteeKey(1), chaintest.TrusteeKey(2), chaintest.Key("stranger", 0)
	for _, c := range []struct {
		name    string
		msg     *ibft.Message
		penalty float64
	}{
		{"signed with another key", vote(tr.chainID, epoch, trustee1, trustee2), p2p.PenaltyBadInput},
		{"signed with another key, next epoch", vote(tr.chainID, epoch+1, trustee1, trustee2), p2p.PenaltyBadInput},
		{"of another chain", vote("daoli-other", epoch, trustee1, trustee1), p2p.PenaltyBadInput},
		{"signed by a stranger", vote(tr.chainID, epoch, stranger, stranger), p2p.PenaltyBadInput},
		{"signed by a stranger, next epoch", vote(tr.chainID, epoch+1, stranger, stranger), 0},
		{"valid, next epoch", vote(tr.chainID, epoch+1, trustee1, trustee1), 0},
	} {
		box.Unban(from)
		tr.handle(context.Background(), input{msg: c.msg, from: from})
		if got := box.Score(from); got < 0.9*c.penalty || got > 1.1*c.penalty {
			t.Fatalf("vote %s: penalty %.1f, want %v", c.name, got, c.penalty)
		}
	}
}

// TestSubmitKeyBlockBadInput checks that a submitted KeyBlock that is invalid in
// itself is bad input, which costs the submitter, and that a late one is not.
func TestSubmitKeyBlockBadInput(t *testing.T) {
	tr := mockTrustees(t, 4)[0]
	st := tr.tipv.Load().state
	miner, other := chaintest.UserKey(0), chaintest.UserKey(1)
	otherChain, _ := chain.NewKeyBlock(miner, "daoli-other", st.Epoch()+1, st.Tip(), miner.Address())
	otherChain.Sign(miner)
	forged, _ := chaintest.MineTicket(miner, st)
	forged.Sign(other)
	late, _ := chain.NewKeyBlock(miner, tr.chainID, st.Epoch()+5, st.Tip(), miner.Address())
	late.Sign(miner)
	for _, c := range []struct {
		name string
		kb   *chain.KeyBlock
		bad  bool
	}{
		{"of another chain", otherChain, true},
		{"signed by another key", forged, true},
		{"for a later epoch", late, false},
	} {
		_, err := tr.SubmitKeyBlock(context.Background(), c.kb)
		if !errors.Is(err, wire.ErrBadRequest) || errors.Is(err, p2p.ErrBadInput) != c.bad {
			t.Fatalf("KeyBlock %s: %v", c.name, err)
		}
	}
}

// durableNet checks, as each consensus message leaves, that a vote the trustee signed
// is in its write-ahead log already (or its epoch committed, after which the log is
// pruned). Reports and proposals may leave first (ibft.Outbound.Early).
type durableNet struct {
	Net
	tr *Trustee

	mu     sync.Mutex
	votes  int
	failed error
}

func (d *durableNet) Send(ctx context.Context, id peer.ID, proto protocol.ID, msg []byte) error {
	d.check(msg)
	return d.Net.Send(ctx, id, proto, msg)
}

func (d *durableNet) SendStream(ctx context.Context, id peer.ID, proto protocol.ID, msg []byte) error {
	d.check(msg)
	return d.Net.(p2p.StreamSender).SendStream(ctx, id, proto, msg)
}

func (d *durableNet) check(raw []byte) {
	m, err := ibft.DecodeMessage(raw)
	if err != nil || m.Vote == nil || m.Vote.Trustee != d.tr.key.Public() {
		return
	}
	v := m.Vote
	found := false
	err = d.tr.store.WAL().Range(0, func(_ uint64, rec []byte) error {
		r, err := DecodeWALRecord(rec)
		if err == nil && r.Signed != nil && r.Signed.Vote != nil && bytes.Equal(r.Signed.Vote.Sig, v.Sig) {
			found = true
		}
		return err
	})
	d.mu.Lock()
	defer d.mu.Unlock()
	d.votes++
	switch {
	case err != nil:
		d.failed = err
	case !found && d.tr.tipv.Load().header.Epoch < v.Epoch && d.failed == nil:
		d.failed = fmt.Errorf("%s sent before it was in the WAL", m)
	}
}

// TestVotesDurableBeforeSent runs four trustees and checks every vote each sends
// against its write-ahead log at the moment it leaves.
func TestVotesDurableBeforeSent(t *testing.T) {
	ts := mockTrustees(t, 4)
	var nets []*durableNet
	for _, tr := range ts {
		d := &durableNet{Net: tr.net, tr: tr}
		tr.net = d
		nets = append(nets, d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, tr := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = tr.Run(ctx)
		}()
	}
	poll(t, "height 5 everywhere", func() bool {
		for _, tr := range ts {
			if tr.Status().Height < 5 {
				return false
			}
		}
		return true
	})
	cancel()
	wg.Wait()
	for i, d := range nets {
		if d.failed != nil {
			t.Fatalf("trustee %d: %v", i, d.failed)
		}
		if d.votes == 0 {
			t.Fatalf("trustee %d sent no vote", i)
		}
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
