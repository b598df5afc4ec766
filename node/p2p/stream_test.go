package p2p

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

func echo(_ context.Context, from peer.ID, req []byte) ([]byte, error) {
	return append([]byte("echo "), req...), nil
}

// rawExchange opens a stream from h to p on proto, writes raw bytes, closes its side and
// reads whatever comes back.
func rawExchange(t *testing.T, h host.Host, p peer.ID, proto protocol.ID, raw []byte) ([]byte, error) {
	t.Helper()
	s, err := h.NewStream(testContext(t), p, proto)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if _, err := s.Write(raw); err != nil {
		return nil, err
	}
	if err := s.CloseWrite(); err != nil {
		return nil, err
	}
	return io.ReadAll(s)
}

func TestRequestRoundTrip(t *testing.T) {
	m := newMockNet(t, 2, nil, nil)
	server, client := m.nets[0], m.nets[1]
	var sawFrom atomic.Value
	if err := server.Handle(testProtos.Sync, func(ctx context.Context, from peer.ID, req []byte) ([]byte, error) {
		sawFrom.Store(from)
		return echo(ctx, from, req)
	}); err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	for _, req := range [][]byte{[]byte("height 7"), {}, bytes.Repeat([]byte{1}, SyncRequestLimit)} {
		resp, err := client.Request(ctx, server.Self(), testProtos.Sync, req)
		if err != nil {
			t.Fatalf("request of %d bytes: %v", len(req), err)
		}
		if want := append([]byte("echo "), req...); !bytes.Equal(resp, want) {
			t.Fatalf("response %q, want %q", resp, want)
		}
	}
	if sawFrom.Load() != client.Self() {
		t.Fatalf("handler saw peer %v, want %v", sawFrom.Load(), client.Self())
	}
	// A big response, over many read chunks.
	big := bytes.Repeat([]byte("block"), 3*readChunk)
	if err := server.Handle(testProtos.Content, func(context.Context, peer.ID, []byte) ([]byte, error) { return big, nil }); err != nil {
		t.Fatal(err)
	}
	resp, err := client.Request(ctx, server.Self(), testProtos.Content, nil)
	if err != nil || !bytes.Equal(resp, big) {
		t.Fatalf("big response: %d bytes, %v", len(resp), err)
	}
	if out := client.out.count(server.Self()); out != 0 {
		t.Fatalf("%d outbound slots held after the exchanges", out)
	}
	// The server releases its side just after it answers.
	eventually(t, "the server to release its slots and budget", func() bool {
		return server.in.count(client.Self()) == 0 && server.budget.inUse() == 0
	})
}

func TestRequestLocalErrors(t *testing.T) {
	m := newMockNet(t, 2, nil, nil)
	server, client := m.nets[0], m.nets[1]
	ctx := testContext(t)
	if _, err := client.Request(ctx, server.Self(), testProtos.Sync, make([]byte, SyncRequestLimit+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized request: %v", err)
	}
	if _, err := client.Request(ctx, server.Self(), "/daoli/other-chain/sync/1.0.0", nil); !errors.Is(err, ErrUnknownProtocol) {
		t.Fatalf("foreign protocol: %v", err)
	}
	if _, err := client.Request(ctx, server.Self(), testProtos.Consensus, nil); !errors.Is(err, ErrUnknownProtocol) {
		t.Fatalf("one-way protocol used for a request: %v", err)
	}
	if err := client.Send(ctx, server.Self(), testProtos.Sync, nil); !errors.Is(err, ErrUnknownProtocol) {
		t.Fatalf("request protocol used for a one-way message: %v", err)
	}
	if err := server.Handle(testProtos.Consensus, echo); !errors.Is(err, ErrUnknownProtocol) {
		t.Fatalf("Handle on a one-way protocol: %v", err)
	}
	if err := server.Handle(testProtos.Sync, echo); err != nil {
		t.Fatal(err)
	}
	if err := server.Handle(testProtos.Sync, echo); !errors.Is(err, ErrAlreadyRegistered) {
		t.Fatalf("second handler: %v", err)
	}
	// No handler on the other side.
	if _, err := client.Request(ctx, server.Self(), testProtos.Proof, nil); err == nil {
		t.Fatal("request to a protocol the peer does not serve succeeded")
	}
	if s := client.PenaltyBox().Score(server.Self()); s != 0 {
		t.Fatalf("a peer without the protocol was penalized: %v", s)
	}
	server.RemoveHandler(testProtos.Sync)
	if _, err := client.Request(ctx, server.Self(), testProtos.Sync, nil); err == nil {
		t.Fatal("request after RemoveHandler succeeded")
	}
}

func TestRequestRemoteErrors(t *testing.T) {
	m := newMockNet(t, 2, nil, nil)
	server, client := m.nets[0], m.nets[1]
	if err := server.Handle(testProtos.Proof, func(_ context.Context, _ peer.ID, req []byte) ([]byte, error) {
		switch string(req) {
		case "missing":
			return nil, errors.New("no such account\x1b[31m")
		case "garbage":
			return nil, fmt.Errorf("decode proof request: %w", ErrBadInput)
		case "long":
			return nil, errors.New(strings.Repeat("é", MaxErrorText))
		case "huge":
			return make([]byte, ProofResponseLimit+1), nil
		case "panic":
			panic("handler bug")
		}
		return []byte("proof"), nil
	}); err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	_, err := client.Request(ctx, server.Self(), testProtos.Proof, []byte("missing"))
	if !errors.Is(err, ErrRemote) || !strings.Contains(err.Error(), "no such account?[31m") {
		t.Fatalf("handler error: %v", err)
	}
	if s := server.PenaltyBox().Score(client.Self()); s != 0 {
		t.Fatalf("plain handler error penalized the client: %v", s)
	}
	if _, err := client.Request(ctx, server.Self(), testProtos.Proof, []byte("garbage")); !errors.Is(err, ErrRemote) {
		t.Fatalf("bad input: %v", err)
	}
	if s := server.PenaltyBox().Score(client.Self()); s != PenaltyBadInput {
		t.Fatalf("bad input cost %v, want %v", s, PenaltyBadInput)
	}
	if _, err := client.Request(ctx, server.Self(), testProtos.Proof, []byte("long")); !errors.Is(err, ErrRemote) {
		t.Fatalf("long error text: %v", err)
	}
	if _, err := client.Request(ctx, server.Self(), testProtos.Proof, []byte("huge")); !errors.Is(err, ErrRemote) {
		t.Fatalf("response over the limit: %v", err)
	}
	if _, err := client.Request(ctx, server.Self(), testProtos.Proof, []byte("panic")); !errors.Is(err, ErrRemote) {
		t.Fatalf("panicking handler: %v", err)
	}
	if resp, err := client.Request(ctx, server.Self(), testProtos.Proof, []byte("ok")); err != nil || string(resp) != "proof" {
		t.Fatalf("after the panic: %q, %v", resp, err)
	}
	if s := client.PenaltyBox().Score(server.Self()); s != 0 {
		t.Fatalf("client penalized an honest server: %v", s)
	}
}

// TestOversizedFrameClaim sends a frame header claiming 4 GiB in each direction.
func TestOversizedFrameClaim(t *testing.T) {
	m := newMockNet(t, 2, nil, nil)
	server, client := m.nets[0], m.nets[1]
	var called atomic.Int64
	if err := server.Handle(testProtos.Sync, func(context.Context, peer.ID, []byte) ([]byte, error) {
		called.Add(1)
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	claim := binary.AppendUvarint(nil, 4<<30)
	if _, err := rawExchange(t, client.Host(), server.Self(), testProtos.Sync, claim); err == nil {
		t.Fatal("server answered a 4 GiB request claim")
	}
	eventually(t, "the server to penalize the claim", func() bool { return server.PenaltyBox().Score(client.Self()) > 0 })
	if s := server.PenaltyBox().Score(client.Self()); s != PenaltyOversized {
		t.Fatalf("score %v, want %v", s, PenaltyOversized)
	}
	if called.Load() != 0 {
		t.Fatal("the handler saw an oversized request")
	}

	// The other way: a server whose response claims 4 GiB.
	client.Host().SetStreamHandler(testProtos.Proof, func(s network.Stream) {
		_, _ = io.Copy(io.Discard, s)
		_, _ = s.Write(claim)
		_ = s.Close()
	})
	_, err := server.Request(testContext(t), client.Self(), testProtos.Proof, []byte("x"))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("4 GiB response claim: %v", err)
	}
	// Two oversized frames reach the threshold.
	if !server.Banned(client.Self()) {
		t.Fatalf("not banned after two oversized frames; score %v", server.PenaltyBox().Score(client.Self()))
	}
}

func TestMalformedFrames(t *testing.T) {
	m := newMockNet(t, 2, nil, func(i int, cfg *Config) {
		// High threshold: this test counts points; banning is tested below.
		cfg.Penalties = NewPenaltyBox(PenaltyConfig{Threshold: 1e9, Now: newFixedClock().Now})
	})
	server, client := m.nets[0], m.nets[1]
	if err := server.Handle(testProtos.Submit, echo); err != nil {
		t.Fatal(err)
	}
	frame := func(b []byte) []byte { return append(binary.AppendUvarint(nil, uint64(len(b))), b...) }
	cases := []struct {
		name   string
		raw    []byte
		points float64
	}{
		{"well formed", frame([]byte("tx")), 0},
		{"nothing sent", nil, 0},
		{"prefix cut short", []byte{0x80}, PenaltyMalformed},
		{"non-minimal prefix", []byte{0x82, 0x00, 'a', 'b'}, PenaltyMalformed},
		{"ten-byte prefix", bytes.Repeat([]byte{0x80}, 10), PenaltyMalformed},
		{"body cut short", append(binary.AppendUvarint(nil, 100), "short"...), PenaltyMalformed},
		{"data after the frame", append(frame([]byte("tx")), 'x'), PenaltyMalformed},
		{"over the limit", frame(make([]byte, SubmitRequestLimit+1)), PenaltyOversized},
	}
	score := 0.0
	for _, c := range cases {
		resp, err := rawExchange(t, client.Host(), server.Self(), testProtos.Submit, c.raw)
		score += c.points
		if c.points == 0 && c.raw != nil {
			if err != nil || !bytes.Equal(resp, frame(append([]byte{statusOK}, "echo tx"...))) {
				t.Fatalf("%s: %q, %v", c.name, resp, err)
			}
			continue
		}
		if err == nil && len(resp) > 0 {
			t.Fatalf("%s: server answered %q", c.name, resp)
		}
		eventually(t, c.name+" to be scored", func() bool { return server.PenaltyBox().Score(client.Self()) == score })
	}

	// Malformed responses, the other way round.
	respond := func(raw []byte) {
		client.Host().SetStreamHandler(testProtos.Proof, func(s network.Stream) {
			_, _ = io.Copy(io.Discard, s)
			_, _ = s.Write(raw)
			_ = s.Close()
		})
	}
	for _, c := range []struct {
		name string
		raw  []byte
		want error
	}{
		{"empty response frame", frame(nil), ErrMalformed},
		{"unknown status", frame([]byte{7, 'x'}), ErrMalformed},
		{"error text too long", frame(append([]byte{statusError}, make([]byte, MaxErrorText+1)...)), ErrMalformed},
		{"error text not UTF-8", frame([]byte{statusError, 0xff}), ErrMalformed},
		{"no frame at all", nil, io.EOF},
	} {
		respond(c.raw)
		before := server.PenaltyBox().Score(client.Self())
		_, err := server.Request(testContext(t), client.Self(), testProtos.Proof, nil)
		if !errors.Is(err, c.want) {
			t.Fatalf("%s: got %v, want %v", c.name, err, c.want)
		}
		gained := server.PenaltyBox().Score(client.Self()) - before
		if want := map[bool]float64{true: PenaltyMalformed, false: 0}[c.want == ErrMalformed]; gained != want {
			t.Fatalf("%s: cost %v, want %v", c.name, gained, want)
		}
	}
}

// TestBadPeerIsBanned: a peer that keeps sending bad frames is disconnected and kept
// out, while another peer goes on being served.
func TestBadPeerIsBanned(t *testing.T) {
	m := newMockNet(t, 3, nil, nil)
	server, bad, good := m.nets[0], m.nets[1], m.nets[2]
	if err := server.Handle(testProtos.Sync, echo); err != nil {
		t.Fatal(err)
	}
	if err := server.HandleDirect(testProtos.Consensus, func(context.Context, peer.ID, []byte) error { return nil }); err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	claim := binary.AppendUvarint(nil, 4<<30)
	for i := 0; !server.Banned(bad.Self()); i++ {
		if i >= 10 {
			t.Fatal("not banned after 10 oversized frames")
		}
		_, _ = rawExchange(t, bad.Host(), server.Self(), testProtos.Sync, claim)
		if _, err := good.Request(ctx, server.Self(), testProtos.Sync, []byte("still served")); err != nil {
			t.Fatalf("good peer refused while the bad one is at it: %v", err)
		}
		eventually(t, "the oversized frame to be scored", func() bool {
			return server.Banned(bad.Self()) || server.PenaltyBox().Score(bad.Self()) >= float64(i+1)*PenaltyOversized
		})
	}
	eventually(t, "the bad peer to be disconnected", func() bool {
		return server.Host().Network().Connectedness(bad.Self()) != network.Connected
	})
	// It comes back (mocknet has no gater): the connection is dropped again, and its
	// streams are refused.
	if _, err := m.mn.ConnectPeers(bad.Self(), server.Self()); err == nil {
		_, err := bad.Request(ctx, server.Self(), testProtos.Sync, []byte("let me in"))
		if err == nil {
			t.Fatal("banned peer served")
		}
		eventually(t, "the returning bad peer to be disconnected", func() bool {
			return server.Host().Network().Connectedness(bad.Self()) != network.Connected
		})
	}
	// We do not talk to it either.
	if _, err := server.Request(ctx, bad.Self(), testProtos.Sync, nil); !errors.Is(err, ErrBanned) {
		t.Fatalf("request to a banned peer: %v", err)
	}
	if err := server.Connect(ctx, peer.AddrInfo{ID: bad.Self()}); !errors.Is(err, ErrBanned) {
		t.Fatalf("connect to a banned peer: %v", err)
	}
	// The good peer is unaffected, and nothing is left held.
	if resp, err := good.Request(ctx, server.Self(), testProtos.Sync, []byte("hi")); err != nil || string(resp) != "echo hi" {
		t.Fatalf("good peer after the ban: %q, %v", resp, err)
	}
	if server.Banned(good.Self()) || server.PenaltyBox().Score(good.Self()) != 0 {
		t.Fatal("the good peer was penalized")
	}
	eventually(t, "the bad peer's slots to be released", func() bool { return server.in.count(bad.Self()) == 0 })
	if server.budget.inUse() != 0 {
		t.Fatalf("budget holds %d bytes", server.budget.inUse())
	}
}

func TestConcurrentStreamsBounded(t *testing.T) {
	const max = 3
	m := newMockNet(t, 2, nil, func(i int, cfg *Config) {
		if i == 0 {
			cfg.MaxStreamsPerPeer = max
		}
	})
	server, client := m.nets[0], m.nets[1]
	var entered atomic.Int64
	release := make(chan struct{})
	if err := server.Handle(testProtos.Sync, func(ctx context.Context, _ peer.ID, req []byte) ([]byte, error) {
		entered.Add(1)
		select {
		case <-release:
		case <-ctx.Done():
		}
		return req, nil
	}); err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	var wg sync.WaitGroup
	errs := make(chan error, max)
	for i := 0; i < max; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := client.Request(ctx, server.Self(), testProtos.Sync, []byte("wait"))
			errs <- err
		}()
	}
	eventually(t, "the handlers to fill the peer's slots", func() bool { return entered.Load() == max })
	// One more is refused at once; the handler never sees it.
	if _, err := client.Request(ctx, server.Self(), testProtos.Sync, []byte("one too many")); err == nil {
		t.Fatal("stream over the bound was served")
	}
	if entered.Load() != max {
		t.Fatalf("%d handlers entered, bound %d", entered.Load(), max)
	}
	if s := server.PenaltyBox().Score(client.Self()); s != 0 {
		t.Fatalf("refusing a stream penalized the peer: %v", s)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("bounded request failed: %v", err)
		}
	}
	if _, err := client.Request(ctx, server.Self(), testProtos.Sync, []byte("after")); err != nil {
		t.Fatalf("request after the slots freed: %v", err)
	}

	// Outbound streams are bounded too.
	blocked := make(chan struct{})
	defer close(blocked)
	client.Host().SetStreamHandler(testProtos.Proof, func(s network.Stream) { <-blocked; _ = s.Reset() })
	out := server.out
	for i := 0; i < max; i++ {
		go func() { _, _ = server.Request(ctx, client.Self(), testProtos.Proof, nil) }()
	}
	eventually(t, "outbound slots to fill", func() bool { return out.count(client.Self()) == max })
	if _, err := server.Request(ctx, client.Self(), testProtos.Proof, nil); !errors.Is(err, ErrTooManyStreams) {
		t.Fatalf("outbound request over the bound: %v", err)
	}
}

func TestStreamTimeout(t *testing.T) {
	m := newMockNet(t, 2, nil, func(i int, cfg *Config) { cfg.StreamTimeout = 200 * time.Millisecond })
	server, client := m.nets[0], m.nets[1]
	if err := server.Handle(testProtos.Sync, echo); err != nil {
		t.Fatal(err)
	}
	// A slow sender: promises 100 bytes, sends 10, then nothing.
	s, err := client.Host().NewStream(testContext(t), server.Self(), testProtos.Sync)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(append(binary.AppendUvarint(nil, 100), make([]byte, 10)...)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the server to take the stream", func() bool { return server.in.count(client.Self()) == 1 })
	if _, err := io.ReadAll(s); err == nil {
		t.Fatal("stalled stream ended cleanly")
	}
	eventually(t, "the slot to be released", func() bool { return server.in.count(client.Self()) == 0 })
	if s := server.PenaltyBox().Score(client.Self()); s != 0 {
		t.Fatalf("a slow peer was penalized: %v", s)
	}
	if server.budget.inUse() != 0 {
		t.Fatalf("budget holds %d bytes", server.budget.inUse())
	}

	// A slow handler: the client's request fails at the timeout, the server goes on.
	if err := server.Handle(testProtos.Proof, func(ctx context.Context, _ peer.ID, _ []byte) ([]byte, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := client.Request(context.Background(), server.Self(), testProtos.Proof, nil); err == nil {
		t.Fatal("request to a stuck handler succeeded")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("request took %v with a 200ms timeout", d)
	}
}

func TestSendDirect(t *testing.T) {
	m := newMockNet(t, 3, nil, nil)
	trustee, peerA, stranger := m.nets[0], m.nets[1], m.nets[2]
	var (
		mu  sync.Mutex
		got []string
	)
	if err := trustee.HandleDirect(testProtos.Consensus, func(_ context.Context, from peer.ID, msg []byte) error {
		if bytes.Equal(msg, []byte("forged vote")) {
			return fmt.Errorf("vote signature: %w", ErrBadInput)
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, from.String()+" "+string(msg))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	received := func(s string) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, g := range got {
			if g == s {
				return true
			}
		}
		return false
	}
	ctx := testContext(t)
	if err := peerA.Send(ctx, trustee.Self(), testProtos.Consensus, []byte("prevote")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the prevote", func() bool { return received(peerA.Self().String() + " prevote") })

	// A Proposal-sized message.
	proposal := bytes.Repeat([]byte{'p'}, 2<<20)
	if err := peerA.Send(ctx, trustee.Self(), testProtos.Consensus, proposal); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the proposal", func() bool { return received(peerA.Self().String() + " " + string(proposal)) })

	if err := stranger.Send(ctx, trustee.Self(), testProtos.Consensus, []byte("forged vote")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the forged vote to be penalized", func() bool {
		return trustee.PenaltyBox().Score(stranger.Self()) == PenaltyBadInput
	})
	if err := peerA.Send(ctx, trustee.Self(), testProtos.Consensus, make([]byte, ConsensusMessageLimit+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized send: %v", err)
	}
	eventually(t, "budget released", func() bool { return trustee.budget.inUse() == 0 })
}

func TestAllowPeers(t *testing.T) {
	m := newMockNet(t, 3, nil, nil)
	server, member, outsider := m.nets[0], m.nets[1], m.nets[2]
	var called atomic.Int64
	allow := func(p peer.ID) bool { return p == member.Self() }
	if err := server.Handle(testProtos.Clock, func(ctx context.Context, from peer.ID, req []byte) ([]byte, error) {
		called.Add(1)
		return echo(ctx, from, req)
	}, AllowPeers(allow)); err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	if _, err := outsider.Request(ctx, server.Self(), testProtos.Clock, []byte("t")); err == nil {
		t.Fatal("outsider served")
	}
	if called.Load() != 0 {
		t.Fatal("handler ran for an outsider")
	}
	if resp, err := member.Request(ctx, server.Self(), testProtos.Clock, []byte("t")); err != nil || string(resp) != "echo t" {
		t.Fatalf("member: %q, %v", resp, err)
	}
}

func TestCloseStopsServing(t *testing.T) {
	m := newMockNet(t, 2, nil, nil)
	server, client := m.nets[0], m.nets[1]
	inHandler := make(chan struct{})
	if err := server.Handle(testProtos.Sync, func(ctx context.Context, _ peer.ID, _ []byte) ([]byte, error) {
		close(inHandler)
		<-ctx.Done() // Close cancels handlers in flight.
		return nil, ctx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	done := make(chan error, 1)
	go func() {
		_, err := client.Request(ctx, server.Self(), testProtos.Sync, nil)
		done <- err
	}()
	<-inHandler
	if err := server.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Fatal("request answered across Close")
	}
	if _, err := client.Request(ctx, server.Self(), testProtos.Sync, nil); err == nil {
		t.Fatal("closed network still serves")
	}
	if _, err := server.Request(ctx, client.Self(), testProtos.Sync, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("request from a closed network: %v", err)
	}
	if err := server.Handle(testProtos.Proof, echo); !errors.Is(err, ErrClosed) {
		t.Fatalf("Handle after Close: %v", err)
	}
	if err := server.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
