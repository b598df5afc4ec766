package p2p

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// streamLog records what a stream handler received, in order, per sender.
type streamLog struct {
	mu  sync.Mutex
	got map[peer.ID][]string
}

func (l *streamLog) handle(_ context.Context, from peer.ID, msg []byte) error {
	if bytes.HasPrefix(msg, []byte("forged")) {
		return fmt.Errorf("signature: %w", ErrBadInput)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.got == nil {
		l.got = map[peer.ID][]string{}
	}
	l.got[from] = append(l.got[from], string(msg))
	return nil
}

func (l *streamLog) from(p peer.ID) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.got[p])
}

// TestSendStream sends many messages on one long-lived stream: they arrive in order,
// large ones too, bad input is penalized without closing the stream, and the sender
// opens a new stream when its connection is gone.
func TestSendStream(t *testing.T) {
	m := newMockNet(t, 2, nil, nil)
	trustee, peerA := m.nets[0], m.nets[1]
	var log streamLog
	if err := trustee.HandleStream(testProtos.ConsensusStream, log.handle); err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	var want []string
	for i := range 100 {
		msg := fmt.Sprintf("vote %d", i)
		if err := peerA.SendStream(ctx, trustee.Self(), testProtos.ConsensusStream, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		want = append(want, msg)
	}
	eventually(t, "100 votes in order", func() bool { return slices.Equal(log.from(peerA.Self()), want) })
	if n := trustee.in.count(peerA.Self()); n != 1 {
		t.Fatalf("%d inbound streams for 100 messages, want 1", n)
	}

	proposal := bytes.Repeat([]byte{'p'}, 2<<20)
	if err := peerA.SendStream(ctx, trustee.Self(), testProtos.ConsensusStream, proposal); err != nil {
		t.Fatal(err)
	}
	if err := peerA.SendStream(ctx, trustee.Self(), testProtos.ConsensusStream, []byte("forged vote")); err != nil {
		t.Fatal(err)
	}
	if err := peerA.SendStream(ctx, trustee.Self(), testProtos.ConsensusStream, []byte("after")); err != nil {
		t.Fatal(err)
	}
	want = append(want, string(proposal), "after")
	eventually(t, "the proposal and the vote after the forged one", func() bool {
		return slices.Equal(log.from(peerA.Self()), want)
	})
	if s := trustee.PenaltyBox().Score(peerA.Self()); s != PenaltyBadInput {
		t.Fatalf("score %v after a forged message, want %v", s, PenaltyBadInput)
	}

	// The connection goes; the next message opens a stream on a new one. (The sender
	// may dial again at once, so what it must see closed is the old connection.)
	old := peerA.Host().Network().ConnsToPeer(trustee.Self())
	if err := m.mn.DisconnectPeers(trustee.Self(), peerA.Self()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the old stream to close", func() bool { return trustee.in.count(peerA.Self()) == 0 })
	eventually(t, "the sender to see the old connection closed", func() bool {
		return !slices.ContainsFunc(old, func(c network.Conn) bool { return !c.IsClosed() })
	})
	if _, err := m.mn.ConnectPeers(trustee.Self(), peerA.Self()); err != nil {
		t.Fatal(err)
	}
	if err := peerA.SendStream(ctx, trustee.Self(), testProtos.ConsensusStream, []byte("reconnected")); err != nil {
		t.Fatal(err)
	}
	want = append(want, "reconnected")
	eventually(t, "the message after reconnecting", func() bool { return slices.Equal(log.from(peerA.Self()), want) })
	eventually(t, "budget released", func() bool { return trustee.budget.inUse() == 0 })

	// A frame that breaks the rules costs the sender and ends its stream.
	bare := m.bareHost(t, 0)
	s, err := bare.NewStream(ctx, trustee.Self(), testProtos.ConsensusStream)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write([]byte{0x80, 0x00}); err != nil { // a length prefix that is not minimal
		t.Fatal(err)
	}
	eventually(t, "the malformed frame to be penalized", func() bool {
		return trustee.PenaltyBox().Score(bare.ID()) == PenaltyMalformed
	})
}

func TestSendStreamRefusals(t *testing.T) {
	m := newMockNet(t, 3, nil, nil)
	trustee, member, outsider := m.nets[0], m.nets[1], m.nets[2]
	var log streamLog
	allow := AllowPeers(func(p peer.ID) bool { return p == member.Self() })
	if err := trustee.HandleStream(testProtos.ConsensusStream, log.handle, allow); err != nil {
		t.Fatal(err)
	}
	if err := trustee.HandleStream(testProtos.Consensus, log.handle); !errors.Is(err, ErrUnknownProtocol) {
		t.Fatalf("HandleStream on a one-way protocol: %v", err)
	}
	ctx := testContext(t)
	if err := member.SendStream(ctx, trustee.Self(), testProtos.Consensus, []byte("x")); !errors.Is(err, ErrUnknownProtocol) {
		t.Fatalf("SendStream on a one-way protocol: %v", err)
	}
	if err := member.SendStream(ctx, trustee.Self(), testProtos.ConsensusStream, make([]byte, ConsensusMessageLimit+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized message: %v", err)
	}
	// An outsider's stream is refused; a member's messages still arrive.
	_ = outsider.SendStream(ctx, trustee.Self(), testProtos.ConsensusStream, []byte("from outside"))
	if err := member.SendStream(ctx, trustee.Self(), testProtos.ConsensusStream, []byte("from a member")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the member's message", func() bool { return slices.Equal(log.from(member.Self()), []string{"from a member"}) })
	if got := log.from(outsider.Self()); len(got) != 0 {
		t.Fatalf("outsider's messages handled: %q", got)
	}

}

// TestSendStreamClose closes a Network with long-lived streams open in both
// directions; it returns and sending afterwards fails.
func TestSendStreamClose(t *testing.T) {
	m := newMockNet(t, 2, nil, nil)
	a, b := m.nets[0], m.nets[1]
	var log streamLog
	for _, n := range []*Network{a, b} {
		if err := n.HandleStream(testProtos.ConsensusStream, log.handle); err != nil {
			t.Fatal(err)
		}
	}
	ctx := testContext(t)
	if err := a.SendStream(ctx, b.Self(), testProtos.ConsensusStream, []byte("to b")); err != nil {
		t.Fatal(err)
	}
	if err := b.SendStream(ctx, a.Self(), testProtos.ConsensusStream, []byte("to a")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "both messages", func() bool {
		return len(log.from(a.Self())) == 1 && len(log.from(b.Self())) == 1
	})
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.SendStream(ctx, b.Self(), testProtos.ConsensusStream, []byte("late")); !errors.Is(err, ErrClosed) {
		t.Fatalf("send after Close: %v", err)
	}
	if n := a.out.count(b.Self()); n != 0 {
		t.Fatalf("%d outbound stream slots held after Close", n)
	}
}
