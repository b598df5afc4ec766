package p2p

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// waitTopicPeers waits until every node of m sees want peers on topic.
func waitTopicPeers(t *testing.T, m *mockNet, topic string, want []int) {
	t.Helper()
	for i, nw := range m.nets {
		eventually(t, fmt.Sprintf("node %d to see %d peers on %s", i, want[i], topic), func() bool {
			return len(nw.TopicPeers(topic)) >= want[i]
		})
	}
}

func TestGossipAcceptedMessagesReachEveryone(t *testing.T) {
	m := newMockNet(t, 4, nil, nil)
	topic := testProtos.KeyBlocks
	recs := make([]*recorder, len(m.nets))
	for i, nw := range m.nets {
		recs[i] = &recorder{}
		if err := nw.Subscribe(topic, acceptAll, recs[i].handle); err != nil {
			t.Fatal(err)
		}
	}
	waitTopicPeers(t, m, topic, []int{3, 3, 3, 3})
	if err := m.nets[0].Publish(testContext(t), topic, []byte("ticket")); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 4; i++ {
		eventually(t, fmt.Sprintf("node %d to receive", i), func() bool { return len(recs[i].data()) == 1 })
		msg := recs[i].msgs[0]
		if string(msg.Data) != "ticket" || msg.Value != "ticket" || msg.Topic != topic || msg.From == "" || msg.From == m.id(i) {
			t.Fatalf("node %d got %+v", i, msg)
		}
	}
	// The publisher does not get its own message back; publishing the same bytes again
	// is one message, not two (content-addressed IDs).
	if err := m.nets[0].Publish(testContext(t), topic, []byte("ticket")); err != nil {
		t.Fatal(err)
	}
	if err := m.nets[0].Publish(testContext(t), topic, []byte("second")); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 4; i++ {
		eventually(t, "second message", func() bool { return recs[i].has("second") })
		if got := recs[i].data(); !slices.Equal(got, []string{"ticket", "second"}) {
			t.Fatalf("node %d got %q", i, got)
		}
	}
	if len(recs[0].data()) != 0 {
		t.Fatalf("publisher received its own messages: %q", recs[0].data())
	}
}

// TestGossipValidatorVerdicts runs a line A - B - C: B's verdict decides what C sees.
func TestGossipValidatorVerdicts(t *testing.T) {
	m := newMockNet(t, 3, [][2]int{{0, 1}, {1, 2}}, nil)
	a, b, c := m.nets[0], m.nets[1], m.nets[2]
	topic := testProtos.Txs

	var bSaw atomic.Int64
	bValidator := func(_ context.Context, _ peer.ID, data []byte) (any, ValidationResult) {
		bSaw.Add(1)
		switch {
		case bytes.HasPrefix(data, []byte("bad")):
			return nil, Reject
		case bytes.HasPrefix(data, []byte("meh")):
			return nil, Ignore
		}
		return nil, Accept
	}
	recB, recC := &recorder{}, &recorder{}
	if err := a.Subscribe(topic, acceptAll, (&recorder{}).handle); err != nil {
		t.Fatal(err)
	}
	if err := b.Subscribe(topic, bValidator, recB.handle); err != nil {
		t.Fatal(err)
	}
	if err := c.Subscribe(topic, acceptAll, recC.handle); err != nil {
		t.Fatal(err)
	}
	waitTopicPeers(t, m, topic, []int{1, 2, 1})

	ctx := testContext(t)
	for _, msg := range []string{"bad one", "meh one"} {
		if err := a.Publish(ctx, topic, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	// B relays to C only over its mesh, which the heartbeat builds; publish good
	// messages until one gets through, then everything B would have relayed has been.
	eventually(t, "B to validate both", func() bool { return bSaw.Load() >= 2 })
	for i := 0; !recC.has(fmt.Sprintf("good %d", i-1)) || i == 0; i++ {
		if i > 400 {
			t.Fatal("no good message reached C")
		}
		if err := a.Publish(ctx, topic, []byte(fmt.Sprintf("good %d", i))); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(50 * time.Millisecond)
		for time.Now().Before(deadline) && !recC.has(fmt.Sprintf("good %d", i)) {
			time.Sleep(2 * time.Millisecond)
		}
	}
	for _, rec := range []*recorder{recB, recC} {
		if rec.has("bad one") || rec.has("meh one") {
			t.Fatalf("rejected or ignored message delivered: %q", rec.data())
		}
	}
	// Reject cost A PenaltyRejected at B; Ignore cost nothing.
	if got := b.PenaltyBox().Score(a.Self()); got != PenaltyRejected {
		t.Fatalf("A's score at B is %v, want %v", got, PenaltyRejected)
	}
	if got := c.PenaltyBox().Score(b.Self()); got != 0 {
		t.Fatalf("B's score at C is %v, want 0", got)
	}
}

func TestGossipOversizedRejectedBeforeValidation(t *testing.T) {
	m := newMockNet(t, 1, [][2]int{}, nil)
	b := m.nets[0]
	topic := testProtos.KeyBlocks
	var validated atomic.Int64
	if err := b.Subscribe(topic, func(context.Context, peer.ID, []byte) (any, ValidationResult) {
		validated.Add(1)
		return nil, Accept
	}, (&recorder{}).handle); err != nil {
		t.Fatal(err)
	}
	// The attacker runs plain gossipsub on our protocol, with a larger limit.
	h := m.bareHost(t, 0)
	ctx := testContext(t)
	ps, err := pubsub.NewGossipSub(ctx, h,
		pubsub.WithGossipSubProtocols([]protocol.ID{testProtos.Gossip}, func(pubsub.GossipSubFeature, protocol.ID) bool { return true }),
		pubsub.WithMaxMessageSize(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	tp, err := ps.Join(topic)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "attacker to see B on the topic", func() bool { return len(tp.ListPeers()) == 1 })
	if err := tp.Publish(ctx, bytes.Repeat([]byte{1}, KeyBlockTopicLimit+1)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B to penalize the attacker", func() bool { return b.PenaltyBox().Score(h.ID()) > 0 })
	if got := b.PenaltyBox().Score(h.ID()); got != PenaltyOversized {
		t.Fatalf("score %v, want %v", got, PenaltyOversized)
	}
	if validated.Load() != 0 {
		t.Fatal("the caller's validator saw an oversized message")
	}
}

func TestPublishErrors(t *testing.T) {
	m := newMockNet(t, 1, [][2]int{}, nil)
	nw := m.nets[0]
	ctx := testContext(t)
	if err := nw.Publish(ctx, "/daoli/other-chain/txs", []byte("x")); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("foreign topic: %v", err)
	}
	if err := nw.Publish(ctx, testProtos.KeyBlocks, make([]byte, KeyBlockTopicLimit+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized: %v", err)
	}
	// Publishing without subscribing works, within the limit.
	if err := nw.Publish(ctx, testProtos.KeyBlocks, make([]byte, KeyBlockTopicLimit)); err != nil {
		t.Fatalf("publish only: %v", err)
	}
	// Our own validator refuses what we must not send.
	refuse := func(context.Context, peer.ID, []byte) (any, ValidationResult) { return nil, Reject }
	if err := nw.Subscribe(testProtos.Offers, refuse, (&recorder{}).handle); err != nil {
		t.Fatal(err)
	}
	if err := nw.Publish(ctx, testProtos.Offers, []byte("offer")); !errors.Is(err, ErrRejected) {
		t.Fatalf("locally rejected: %v", err)
	}
	if nw.PenaltyBox().Score(nw.Self()) != 0 {
		t.Fatal("we penalized ourselves")
	}
	if err := nw.Subscribe(testProtos.Offers, acceptAll, (&recorder{}).handle); !errors.Is(err, ErrAlreadyRegistered) {
		t.Fatalf("second subscription: %v", err)
	}
	if err := nw.Unsubscribe(testProtos.Offers); err != nil {
		t.Fatal(err)
	}
	if err := nw.Unsubscribe(testProtos.Offers); !errors.Is(err, ErrNotSubscribed) {
		t.Fatalf("second unsubscribe: %v", err)
	}
	if err := nw.Subscribe(testProtos.Offers, acceptAll, (&recorder{}).handle); err != nil {
		t.Fatalf("subscribe again: %v", err)
	}
	if err := nw.Publish(ctx, testProtos.Offers, []byte("offer")); err != nil {
		t.Fatalf("publish after resubscribe: %v", err)
	}
	nw.Close()
	if err := nw.Publish(ctx, testProtos.Offers, []byte("offer 2")); !errors.Is(err, ErrClosed) {
		t.Fatalf("publish after close: %v", err)
	}
}

func TestGossipHandlerPanicKeepsProcessUp(t *testing.T) {
	m := newMockNet(t, 2, nil, nil)
	topic := testProtos.Blocks
	rec := &recorder{}
	var panicked atomic.Bool
	if err := m.nets[1].Subscribe(topic, acceptAll, func(ctx context.Context, msg Message) {
		if string(msg.Data) == "boom" {
			panicked.Store(true)
			panic("decoder bug")
		}
		rec.handle(ctx, msg)
	}); err != nil {
		t.Fatal(err)
	}
	var validatorPanics atomic.Int64
	if err := m.nets[0].Subscribe(topic, func(context.Context, peer.ID, []byte) (any, ValidationResult) {
		validatorPanics.Add(1)
		panic("validator bug")
	}, (&recorder{}).handle); err != nil {
		t.Fatal(err)
	}
	waitTopicPeers(t, m, topic, []int{1, 1})
	ctx := testContext(t)
	// Node 0's own validator panics: the publication is dropped, not the process.
	if err := m.nets[0].Publish(ctx, topic, []byte("one")); !errors.Is(err, ErrRejected) {
		t.Fatalf("publish through a panicking validator: %v", err)
	}
	// So does a remote message on node 0, which ignores it without penalty.
	if err := m.nets[1].Publish(ctx, topic, []byte("x")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "node 0 to validate the remote message", func() bool { return validatorPanics.Load() == 2 })
	if s := m.nets[0].PenaltyBox().Score(m.id(1)); s != 0 {
		t.Fatalf("our validator's panic penalized the sender: %v", s)
	}
	if err := m.nets[0].Unsubscribe(topic); err != nil {
		t.Fatal(err)
	}
	// Node 1's handler panics on one message and goes on with the next.
	if err := m.nets[0].Publish(ctx, topic, []byte("boom")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the handler to panic", panicked.Load)
	if err := m.nets[0].Publish(ctx, topic, []byte("after")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a message after the handler panicked", func() bool { return rec.has("after") })
}

// TestGossipRejectsAddUpToABan: a publisher of invalid messages is banned and cut off.
func TestGossipRejectsAddUpToABan(t *testing.T) {
	m := newMockNet(t, 2, nil, nil)
	spammer, victim := m.nets[0], m.nets[1]
	topic := testProtos.Txs
	var rejected atomic.Int64
	if err := victim.Subscribe(topic, func(context.Context, peer.ID, []byte) (any, ValidationResult) {
		rejected.Add(1)
		return nil, Reject
	}, (&recorder{}).handle); err != nil {
		t.Fatal(err)
	}
	if err := spammer.Subscribe(topic, acceptAll, (&recorder{}).handle); err != nil {
		t.Fatal(err)
	}
	waitTopicPeers(t, m, topic, []int{1, 1})
	ctx := testContext(t)
	for i := 0; i < 4; i++ {
		if err := spammer.Publish(ctx, topic, []byte(fmt.Sprintf("invalid tx %d", i))); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the victim to reject it", func() bool { return rejected.Load() == int64(i+1) })
	}
	eventually(t, "the spammer to be banned and cut off", func() bool {
		return victim.Banned(spammer.Self()) &&
			victim.Host().Network().Connectedness(spammer.Self()) != network.Connected
	})
}

// TestGossipRPCCharged checks that a gossip RPC's length is charged to the inbound
// budget before gossipsub makes its buffer: a peer that sends only the length prefix
// of the largest RPC holds its share of the budget until its stream ends, one that the
// budget cannot take is refused at once, and a length over the limit costs
// PenaltyOversized.
func TestGossipRPCCharged(t *testing.T) {
	m := newMockNet(t, 2, nil, func(_ int, cfg *Config) { cfg.MaxInboundBytes = maxGossipRPC + 1<<20 })
	n := m.nets[0]
	claim := func(h host.Host, length uint64) network.Stream {
		t.Helper()
		s, err := h.NewStream(testContext(t), n.Self(), testProtos.Gossip)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Write(binary.AppendUvarint(nil, length)); err != nil {
			t.Fatal(err)
		}
		return s
	}
	first, second, third := m.bareHost(t, 0), m.bareHost(t, 0), m.bareHost(t, 0)
	held := claim(first, maxGossipRPC)
	eventually(t, "the claimed RPC charged", func() bool { return n.budget.inUse() == maxGossipRPC })
	if _, err := io.ReadAll(claim(second, maxGossipRPC)); err == nil {
		t.Fatal("an RPC the budget cannot take was read")
	}
	if got := n.budget.inUse(); got != maxGossipRPC {
		t.Fatalf("%d bytes charged after a refused RPC, want %d", got, maxGossipRPC)
	}
	_ = held.Reset()
	eventually(t, "the budget given back", func() bool { return n.budget.inUse() == 0 })
	if _, err := io.ReadAll(claim(third, maxGossipRPC+1)); err == nil {
		t.Fatal("an RPC over the limit was read")
	}
	if got := n.box.Score(third.ID()); got != PenaltyOversized {
		t.Fatalf("an RPC over the limit scored %v, want %v", got, PenaltyOversized)
	}
	if s := n.box.Score(second.ID()); s != 0 {
		t.Fatalf("an RPC refused for want of budget scored %v", s)
	}

	// Gossip between honest nodes goes on, and leaves nothing charged.
	var got atomic.Int32
	if err := n.Subscribe(testProtos.Txs, acceptAll, func(context.Context, Message) { got.Add(1) }); err != nil {
		t.Fatal(err)
	}
	if err := m.nets[1].Subscribe(testProtos.Txs, acceptAll, func(context.Context, Message) {}); err != nil {
		t.Fatal(err)
	}
	waitTopicPeers(t, m, testProtos.Txs, []int{1, 1})
	for i := range 3 {
		if err := m.nets[1].Publish(testContext(t), testProtos.Txs, []byte(fmt.Sprintf("tx %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the gossip delivered", func() bool { return got.Load() == 3 })
	eventually(t, "nothing charged once gossip is read", func() bool { return n.budget.inUse() == 0 })
}

// TestGossipUnsignedBlamesTheSender: gossip messages carry no author and no
// signature. A message that does is malformed on our protocol and costs the peer that
// sent it PenaltyMalformed before any validator runs; an unsigned message a validator
// rejects costs the peer that relayed it, the only peer known.
func TestGossipUnsignedBlamesTheSender(t *testing.T) {
	m := newMockNet(t, 2, nil, nil)
	n := m.nets[0]
	topic := testProtos.Txs
	var validated atomic.Int64
	if err := n.Subscribe(topic, func(_ context.Context, _ peer.ID, data []byte) (any, ValidationResult) {
		validated.Add(1)
		if bytes.HasPrefix(data, []byte("bad")) {
			return nil, Reject
		}
		return nil, Accept
	}, (&recorder{}).handle); err != nil {
		t.Fatal(err)
	}

	// Honest publications are unsigned, and reach the validator.
	rec := &recorder{}
	if err := m.nets[1].Subscribe(topic, acceptAll, rec.handle); err != nil {
		t.Fatal(err)
	}
	waitTopicPeers(t, m, topic, []int{1, 1})
	if err := n.Publish(testContext(t), topic, []byte("good")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the unsigned message delivered", func() bool { return rec.has("good") })
	validated.Store(0) // our own publication was validated too

	send := func(h host.Host, msgs ...*pb.Message) {
		t.Helper()
		s, err := h.NewStream(testContext(t), n.Self(), testProtos.Gossip)
		if err != nil {
			t.Fatal(err)
		}
		rpc, err := (&pb.RPC{Publish: msgs}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Write(append(binary.AppendUvarint(nil, uint64(len(rpc))), rpc...)); err != nil {
			t.Fatal(err)
		}
	}
	// One message with an author and a sequence number, one with a signature too:
	// malformed, whatever their content. Then an unsigned one the validator rejects,
	// which RPCs being handled in order, is judged after them.
	signer := m.bareHost(t, 0)
	author := []byte(signer.ID())
	send(signer,
		&pb.Message{From: author, Seqno: []byte{0, 0, 0, 0, 0, 0, 0, 1}, Data: []byte("good 1"), Topic: &topic},
		&pb.Message{From: author, Seqno: []byte{0, 0, 0, 0, 0, 0, 0, 2}, Data: []byte("good 2"), Topic: &topic, Signature: make([]byte, 64)},
	)
	eventually(t, "both messages refused as malformed", func() bool { return n.box.Score(signer.ID()) >= 2*PenaltyMalformed || n.Banned(signer.ID()) })
	if v := validated.Load(); v != 0 {
		t.Fatalf("%d messages with an author or a signature reached the validator", v)
	}

	relay := m.bareHost(t, 0)
	send(relay, &pb.Message{Data: []byte("bad tx"), Topic: &topic})
	eventually(t, "the relayer of a rejected message penalized", func() bool { return n.box.Score(relay.ID()) == PenaltyRejected })
}
