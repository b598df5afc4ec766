package trustee

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/daolicloud/daoli/node/content"
	"github.com/daolicloud/daoli/node/wire/wiretest"
	"io"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/ibft"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/wire"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/daolicloud/daoli/node/market/terms"
)

// Bounds of the bad-input test.
const (
	// badStreamTimeout is the trustees' StreamTimeout: how long a silent stream is kept.
	badStreamTimeout = 2 * time.Second
	// badInboundBytes is the trustees' budget for inbound frames.
	badInboundBytes = 32 << 20
	// maxRetainedGrowth bounds the heap, after collection, over its level before the
	// attack: what the attack leaves behind.
	maxRetainedGrowth = 64 << 20
	// heldSlack bounds the heap, with frames held open mid-body, over the inbound
	// budget that those frames may fill.
	heldSlack = 32 << 20
	// maxPeakGrowth bounds the heap the process had to reserve during the attack over
	// what it had before: the inbound budget, the frames in flight and the collector's
	// headroom, far below what a decoder that believes an array's claimed length
	// allocates (a single bloated consensus message of 2 MiB took 460 MiB).
	maxPeakGrowth = 320 << 20
	// caseWait bounds the wait for one case's verdict.
	caseWait = 10 * time.Second
)

// TestBadInput runs three honest trustees of a four-trustee chain on loopback libp2p
// hosts set up as a deployed trustee's (TCP, Noise, Yamux, the resource manager, the
// penalty box as connection gater), and attacks trustee 0 on every stream protocol and
// gossip topic that node/p2p defines, with garbage, oversized, truncated and silent
// streams, valid CBOR of the wrong type or bloated shape, and well-formed messages
// signed with the wrong key, by a stranger or for another chain. The attacker holds
// the fourth trustee's key, so it passes the consensus protocols' member check: the
// strongest position a peer can hold. Each case must be refused and cost the attacker
// penalty points; an attacker that persists is banned and cannot come back; the
// honest trustees keep certifying throughout; and the memory the attack leaves behind,
// and the memory it makes the process reserve, stay under fixed bounds.
func TestBadInput(t *testing.T) {
	rogueHost := attackerHost(t, chaintest.TrusteeKey(3))
	bn := newBadNet(t, rogueHost)
	target := bn.ts[0]
	protos := target.protos
	bn.waitProgress(t, "start-up")

	rogue := newAttacker(t, "rogue trustee", rogueHost, chaintest.TrusteeKey(3), bn, 0)
	stranger := newAttacker(t, "stranger", attackerHost(t, chaintest.Key("stranger", 0)), chaintest.Key("stranger", 0), bn, 0)
	f := newForger(target)

	base := heapAfterGC()
	var peakBase runtime.MemStats
	runtime.ReadMemStats(&peakBase)
	start := time.Now()

	// Each phase ends with the honest trustees two blocks further; a phase that fails
	// ends the test.
	phases := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"stream protocols", func(t *testing.T) {
			for _, spec := range protos.Streams() {
				pc, ok := streamCases(protos, f)[spec.ID]
				if !ok {
					t.Fatalf("protocol %s has no bad-input cases: add it to streamCases in badinput_test.go", spec.ID)
				}
				if !pc.served {
					notServed(t, rogue, spec)
					continue
				}
				for _, fc := range frameCases(spec) {
					runFrameCase(t, rogue, spec, fc)
				}
				for _, mc := range pc.msgs {
					runMessageCase(t, rogue, spec, mc)
				}
				if pc.membersOnly {
					strangerRefused(t, stranger, spec, f)
				}
			}
		}},
		{"gossip topics", func(t *testing.T) {
			for _, spec := range protos.Topics() {
				tc, ok := topicCases(protos, f)[spec.Name]
				if !ok {
					t.Fatalf("topic %s has no bad-input cases: add it to topicCases in badinput_test.go", spec.Name)
				}
				if !tc.subscribed {
					notSubscribed(t, rogue, spec, protos)
					continue
				}
				for _, mc := range tc.msgs {
					runGossipCase(t, rogue, spec, mc)
				}
			}
			gossipRouter(t, rogue, protos)
		}},
		{"silent streams", func(t *testing.T) { silentStreams(t, rogue, protos) }},
		{"persistent attacker banned", func(t *testing.T) { persistBanned(t, rogue, protos) }},
		{"volume", func(t *testing.T) { volume(t, rogue, protos, f, base) }},
		{"many peers stalling gossip", func(t *testing.T) { stalledGossip(t, bn, protos, base) }},
	}
	for _, ph := range phases {
		if !t.Run(ph.name, func(t *testing.T) {
			ph.run(t)
			bn.waitProgress(t, ph.name)
		}) {
			return
		}
	}

	// Forged blocks never made it into the chain.
	for _, fb := range f.forgedBlocks() {
		if target.tipv.Load().header.Epoch < fb.epoch {
			continue
		}
		b, err := target.store.Block(fb.epoch)
		if err != nil {
			t.Fatal(err)
		}
		if b.Hash() == fb.hash {
			t.Fatalf("forged block %s was committed at height %d", fb.hash.Short(), fb.epoch)
		}
	}

	retained := heapAfterGC() - base
	var peak runtime.MemStats
	runtime.ReadMemStats(&peak)
	reserved := int64(peak.HeapSys) - int64(peakBase.HeapSys)
	t.Logf("attack took %v; heap after collection %+.1f MiB over the baseline (bound %d MiB); heap reserved %+.1f MiB (bound %d MiB); rogue sent %.0f MiB and claimed %.0f MiB in frames",
		time.Since(start).Round(time.Millisecond), float64(retained)/(1<<20), maxRetainedGrowth>>20,
		float64(reserved)/(1<<20), maxPeakGrowth>>20, float64(rogue.sent.Load())/(1<<20), float64(rogue.claimed.Load())/(1<<20))
	if retained > maxRetainedGrowth {
		t.Fatalf("heap grew by %.1f MiB over the attack, bound %d MiB", float64(retained)/(1<<20), maxRetainedGrowth>>20)
	}
	if reserved > maxPeakGrowth {
		t.Fatalf("the attack made the heap reserve %.1f MiB more, bound %d MiB", float64(reserved)/(1<<20), maxPeakGrowth>>20)
	}
}

// heapAfterGC is the live heap once collected.
func heapAfterGC() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// within polls cond until it holds, failing the test after d.
func within(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// badNet is three honest trustees of a four-trustee chain; the fourth key is the
// attacker's.
type badNet struct {
	ts     []*Trustee
	nets   []*p2p.Network
	hosts  []host.Host
	boxes  []*p2p.PenaltyBox
	cancel context.CancelFunc
	wg     sync.WaitGroup
	seen   uint64 // the height every trustee had at the last progress check
}

// newBadNet starts the honest trustees; rogue is the host of the fourth, whose address
// the genesis lists.
func newBadNet(t *testing.T, rogue host.Host) *badNet {
	t.Helper()
	const honest = 3
	g := chaintest.Config{Trustees: honest + 1, Users: 2}.Genesis()
	g.Time = time.Now().Add(-time.Second).UTC().Truncate(time.Millisecond)
	g.Params.PhiMs, g.Params.DeltaMs, g.Params.CycleMs = 100, 50, 200
	g.Trustees[honest].Addrs = nil
	for _, a := range rogue.Addrs() {
		g.Trustees[honest].Addrs = append(g.Trustees[honest].Addrs, fmt.Sprintf("%s/p2p/%s", a, rogue.ID()))
	}
	bn := &badNet{}
	var infos []peer.AddrInfo
	for i := range honest {
		box := p2p.NewPenaltyBox(p2p.PenaltyConfig{})
		h, err := p2p.NewHost(p2p.HostConfig{
			Key: chaintest.TrusteeKey(i), ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Gater: box,
		})
		if err != nil {
			t.Fatal(err)
		}
		nw, err := p2p.New(h, p2p.Config{
			ChainID: g.ChainID, Penalties: box, PingInterval: -1, ReconnectInterval: -1,
			StreamTimeout: badStreamTimeout, MaxInboundBytes: badInboundBytes,
		})
		if err != nil {
			h.Close()
			t.Fatal(err)
		}
		t.Cleanup(func() { nw.Close(); h.Close() })
		bn.hosts, bn.nets, bn.boxes = append(bn.hosts, h), append(bn.nets, nw), append(bn.boxes, box)
		infos = append(infos, peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()})
		g.Trustees[i].Addrs = nil
		for _, a := range h.Addrs() {
			g.Trustees[i].Addrs = append(g.Trustees[i].Addrs, fmt.Sprintf("%s/p2p/%s", a, h.ID()))
		}
	}
	for i := range honest {
		st := genesisStore(t, g)
		// The attacker leads one round in four and never proposes: a short propose
		// timeout moves those rounds on.
		cs, err := content.OpenStore(filepath.Join(t.TempDir(), "content"))
		if err != nil {
			t.Fatal(err)
		}
		tr, err := New(Options{Key: chaintest.TrusteeKey(i), Store: st, Net: bn.nets[i],
			Timeouts: ibft.Timeouts{Propose: 300 * time.Millisecond},
			Market:   &Market{Content: cs, Quota: 1 << 20}})
		if err != nil {
			t.Fatal(err)
		}
		bn.ts = append(bn.ts, tr)
	}
	connectAll(t, bn.nets, infos, 10*time.Second)
	run, stop := context.WithCancel(context.Background())
	bn.cancel = stop
	for _, tr := range bn.ts {
		bn.wg.Add(1)
		go func() {
			defer bn.wg.Done()
			if err := tr.Run(run); err != nil {
				t.Errorf("trustee stopped: %v", err)
			}
		}()
	}
	// Registered last, so it runs first: the trustees stop before their stores close.
	t.Cleanup(bn.stop)
	return bn
}

func (bn *badNet) stop() {
	bn.cancel()
	bn.wg.Wait()
}

func (bn *badNet) minHeight() uint64 {
	h := ^uint64(0)
	for _, tr := range bn.ts {
		h = min(h, tr.tipv.Load().header.Epoch)
	}
	return h
}

// waitProgress checks that every honest trustee has certified two more blocks since
// the last check.
func (bn *badNet) waitProgress(t *testing.T, during string) {
	t.Helper()
	want := bn.seen + 2
	deadline := time.Now().Add(30 * time.Second)
	for bn.minHeight() < want {
		if time.Now().After(deadline) {
			t.Fatalf("certification stalled during %s: the honest trustees are at height %d, want %d", during, bn.minHeight(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
	bn.seen = bn.minHeight()
}

// attacker is a libp2p host that speaks the trustee's protocols with raw bytes.
type attacker struct {
	name   string
	h      host.Host
	priv   crypto.PrivKey
	target peer.AddrInfo
	box    *p2p.PenaltyBox // the target's
	net    *p2p.Network    // the target's
	protos p2p.Protocols

	seqno   atomic.Uint64
	sent    atomic.Int64 // bytes written to the target
	claimed atomic.Int64 // bytes announced by frame length prefixes

	mu     sync.Mutex
	gossip network.Stream // the open gossipsub stream to the target
}

// attackerHost is a host with the identity of key and nothing but libp2p's own
// protocols: whatever it says, it says in raw bytes.
func attackerHost(t *testing.T, key *keys.Key) host.Host {
	t.Helper()
	h, err := p2p.NewHost(p2p.HostConfig{Key: key, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func newAttacker(t *testing.T, name string, h host.Host, key *keys.Key, bn *badNet, target int) *attacker {
	t.Helper()
	priv, err := p2p.PrivKey(key)
	if err != nil {
		t.Fatal(err)
	}
	th := bn.hosts[target]
	a := &attacker{
		name: name, h: h, priv: priv, box: bn.boxes[target], net: bn.nets[target], protos: bn.nets[target].Protocols(),
		target: peer.AddrInfo{ID: th.ID(), Addrs: th.Addrs()},
	}
	// The trustee opens a gossipsub stream to every peer, and consensus streams to the
	// members; taking and draining them keeps the attacker an ordinary peer in its eyes.
	for _, id := range []protocol.ID{a.protos.Gossip, a.protos.Consensus, a.protos.ConsensusStream} {
		h.SetStreamHandler(id, func(s network.Stream) {
			_, _ = io.Copy(io.Discard, s)
			_ = s.Close()
		})
	}
	a.connect(t)
	return a
}

func (a *attacker) id() peer.ID { return a.h.ID() }

func (a *attacker) score() float64 { return a.box.Score(a.id()) }

func (a *attacker) connect(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), caseWait)
	defer cancel()
	if err := a.h.Connect(ctx, a.target); err != nil {
		t.Fatalf("%s: connect: %v", a.name, err)
	}
}

// fresh clears the attacker's record with the target and connects it again, so that
// each case starts from a score of zero. It stands for a new identity without the cost
// of one.
func (a *attacker) fresh(t *testing.T) {
	t.Helper()
	if a.box.Banned(a.id()) {
		// The ban closes the connection from a goroutine of its own; a connection made
		// before that runs would be closed too.
		within(t, caseWait, a.name+" disconnected after its ban", func() bool {
			return a.h.Network().Connectedness(a.target.ID) != network.Connected
		})
	}
	a.box.Unban(a.id())
	a.mu.Lock()
	if a.gossip != nil {
		_ = a.gossip.Reset()
		a.gossip = nil
	}
	a.mu.Unlock()
	if a.h.Network().Connectedness(a.target.ID) != network.Connected {
		a.connect(t)
	}
}

// expectPenalty waits until the target has added at least want points to the
// attacker's score (or banned it).
func (a *attacker) expectPenalty(t *testing.T, what string, want float64) {
	t.Helper()
	if !a.penalized(want, caseWait) {
		t.Fatalf("%s: no penalty of %v for the %s within %v (score %.1f)", what, want, a.name, caseWait, a.score())
	}
}

// penalized reports whether the attacker's score reached want (less what it lost to
// decay since) within d.
func (a *attacker) penalized(want float64, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if a.score() >= 0.9*want || a.box.Banned(a.id()) {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

func (a *attacker) open(proto protocol.ID) (network.Stream, error) {
	ctx, cancel := context.WithTimeout(context.Background(), caseWait)
	defer cancel()
	for {
		s, err := a.h.NewStream(ctx, a.target.ID, proto)
		if err == nil {
			_ = s.SetDeadline(time.Now().Add(30 * time.Second))
			return s, nil
		}
		// A ban lifted by fresh may still have a disconnection on its way, which closes
		// the connection made since; the attacker dials again, as it would.
		if a.box.Banned(a.id()) || ctx.Err() != nil || a.h.Network().Connectedness(a.target.ID) == network.Connected {
			return nil, err
		}
		_ = a.h.Connect(ctx, a.target)
	}
}

func (a *attacker) write(s network.Stream, b []byte) error {
	n, err := s.Write(b)
	a.sent.Add(int64(n))
	return err
}

// exchange writes raw on a new stream of proto, closes its side and reads what comes
// back until the trustee closes (nil error) or resets (an error).
func (a *attacker) exchange(proto protocol.ID, raw []byte) ([]byte, error) {
	s, err := a.open(proto)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if err := a.write(s, raw); err != nil {
		return nil, err
	}
	if err := s.CloseWrite(); err != nil {
		return nil, err
	}
	return io.ReadAll(s)
}

// oversized opens a stream of proto, writes a length prefix claiming claim bytes and
// then streams up to send bytes, until the trustee resets the stream.
func (a *attacker) oversized(spec p2p.StreamSpec, claim uint64, send int) (written int, err error) {
	s, err := a.open(spec.ID)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	// What the trustee could have been made to hold, had it believed the prefix.
	a.claimed.Add(int64(min(claim, uint64(spec.RequestLimit)+1)))
	if err := a.write(s, binary.AppendUvarint(nil, claim)); err != nil {
		return 0, err
	}
	chunk := make([]byte, 256<<10)
	for written < send {
		n, werr := s.Write(chunk[:min(len(chunk), send-written)])
		written += n
		a.sent.Add(int64(n))
		if werr != nil {
			break
		}
	}
	_ = s.CloseWrite()
	_, err = io.ReadAll(s)
	return written, err
}

// publish sends data on topic as a gossipsub message of its own, unsigned and
// without an author as node/p2p requires, in one RPC on the attacker's gossip stream.
func (a *attacker) publish(topic string, data []byte) error {
	return a.publishRPC(&pb.Message{Data: data, Topic: &topic})
}

// publishSigned sends data on topic as gossipsub's default would: with the
// attacker's peer ID as author, a sequence number and the author's signature.
func (a *attacker) publishSigned(topic string, data []byte) error {
	var seqno [8]byte
	binary.BigEndian.PutUint64(seqno[:], a.seqno.Add(1))
	m := &pb.Message{From: []byte(a.id()), Data: data, Seqno: seqno[:], Topic: &topic}
	signed, err := m.Marshal()
	if err != nil {
		return err
	}
	if m.Signature, err = a.priv.Sign(append([]byte(pubsub.SignPrefix), signed...)); err != nil {
		return err
	}
	return a.publishRPC(m)
}

func (a *attacker) publishRPC(m *pb.Message) error {
	rpc, err := (&pb.RPC{Publish: []*pb.Message{m}}).Marshal()
	if err != nil {
		return err
	}
	return a.writeGossip(binary.AppendUvarint(nil, uint64(len(rpc))), rpc)
}

// writeGossip writes raw bytes on the attacker's gossip stream, opening one if none is
// open.
func (a *attacker) writeGossip(raw ...[]byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var err error
	for range 2 {
		if a.gossip == nil {
			if a.gossip, err = a.open(a.protos.Gossip); err != nil {
				return err
			}
		}
		for _, b := range raw {
			if err = a.write(a.gossip, b); err != nil {
				break
			}
		}
		if err == nil {
			return nil
		}
		_ = a.gossip.Reset()
		a.gossip = nil
	}
	return err
}

// frame is msg with its length prefix.
func frame(msg []byte) []byte { return append(binary.AppendUvarint(nil, uint64(len(msg))), msg...) }

// response parses a request/response answer: status byte and body.
func response(raw []byte) (status byte, body []byte, err error) {
	b, err := p2p.ReadFrame(bytes.NewReader(raw), 1<<20)
	if err != nil {
		return 0, nil, err
	}
	if len(b) == 0 {
		return 0, nil, errors.New("empty response")
	}
	return b[0], b[1:], nil
}

// A frameCase breaks the framing rules of node/p2p; the trustee resets the stream.
type frameCase struct {
	name string
	want float64
	run  func(a *attacker) error // returns the error the attacker saw
}

// cutOff checks the outcome of an oversized frame: the trustee reset the stream at the
// length prefix, so the attacker could not push the body it meant to.
func cutOff(written int, err error) error {
	switch {
	case err == nil:
		return errors.New("the trustee closed the stream without resetting it")
	case written >= 8<<20:
		return fmt.Errorf("the trustee took all %d bytes of an oversized frame", written)
	}
	return nil
}

// frameCases are the framing faults every served stream protocol must refuse.
func frameCases(spec p2p.StreamSpec) []frameCase {
	limit := uint64(spec.RequestLimit)
	reset := func(err error) error {
		if err == nil {
			return errors.New("the trustee closed the stream without resetting it")
		}
		return nil
	}
	return []frameCase{
		{"random garbage", p2p.PenaltyBadInput, func(a *attacker) error {
			_, err := a.exchange(spec.ID, garbage(4<<10, 1))
			return reset(err)
		}},
		{"length prefix over the limit, streaming 8 MiB", p2p.PenaltyOversized, func(a *attacker) error {
			return cutOff(a.oversized(spec, limit+1, 8<<20))
		}},
		{"length prefix of 2^60 bytes, streaming 8 MiB", p2p.PenaltyOversized, func(a *attacker) error {
			return cutOff(a.oversized(spec, 1<<60, 8<<20))
		}},
		{"truncated body", p2p.PenaltyMalformed, func(a *attacker) error {
			claim := min(limit, 256<<10)
			a.claimed.Add(int64(claim))
			raw := binary.AppendUvarint(nil, claim)
			_, err := a.exchange(spec.ID, append(raw, garbage(int(claim/2), 2)...))
			return reset(err)
		}},
		{"truncated length prefix", p2p.PenaltyMalformed, func(a *attacker) error {
			_, err := a.exchange(spec.ID, []byte{0x80, 0x80})
			return reset(err)
		}},
		{"length prefix not minimally encoded", p2p.PenaltyMalformed, func(a *attacker) error {
			_, err := a.exchange(spec.ID, []byte{0x81, 0x00, 0x00})
			return reset(err)
		}},
	}
}

func runFrameCase(t *testing.T, a *attacker, spec p2p.StreamSpec, fc frameCase) {
	t.Helper()
	what := fmt.Sprintf("%s: %s", spec.ID, fc.name)
	a.fresh(t)
	if err := fc.run(a); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	a.expectPenalty(t, what, fc.want)
}

// garbage is n deterministic pseudo-random bytes.
func garbage(n int, seed uint64) []byte {
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 'g'})
	b := make([]byte, n)
	_, _ = r.Read(b)
	return b
}

// A msgCase is a well-framed message the trustee must refuse as bad input. build
// makes a fresh message each time: some depend on the trustee's tip, which moves, and
// gossipsub drops a message it has seen.
type msgCase struct {
	name  string
	build func() []byte
	// retry: the verdict depends on the epoch the trustee is in when the message
	// arrives, which may move on in between; a fresh message is sent until one lands.
	retry bool
	// check, if set, runs after the penalty: what the message must not have changed.
	check func(t *testing.T, data []byte)
}

// protoCases says how the trustee treats one stream protocol.
type protoCases struct {
	served      bool // the trustee handles the protocol
	membersOnly bool // only trustees of the set may use it
	msgs        []msgCase
}

// streamCases lists, for every stream protocol of node/p2p, the messages a trustee
// must refuse on it beyond the framing faults. A protocol that is missing fails the
// test: a new protocol needs its cases.
func streamCases(p p2p.Protocols, f *forger) map[protocol.ID]protoCases {
	wrongType := func(v any) msgCase {
		return msgCase{name: fmt.Sprintf("valid CBOR of the wrong type (%T)", v), build: func() []byte { return wire.Encode(v) }}
	}
	consensus := []msgCase{
		wrongType(&wire.SyncRequest{Height: 1}),
		{name: "bloated CBOR: 2 MiB of nested empty arrays", build: func() []byte { return consensusBloat(2 << 20) }},
		{name: "vote signed with the wrong key", build: f.voteWrongKey, retry: true},
		{name: "vote signed by a non-trustee", build: f.voteStranger, retry: true},
		{name: "vote for another chain", build: f.voteOtherChain},
		{name: "report signed with the wrong key", build: f.reportWrongKey, retry: true},
		{name: "report signed by a non-trustee", build: f.reportStranger, retry: true},
		{name: "report for another chain", build: f.reportOtherChain},
		{name: "proposal signed with the wrong key", build: f.proposalWrongKey, retry: true},
		{name: "proposal signed by a non-trustee", build: f.proposalStranger, retry: true},
		{name: "proposal for another chain", build: f.proposalOtherChain},
		{name: "certified block signed by non-trustees", build: f.certifiedStrangers, retry: true},
		{name: "certified block signed with the wrong keys", build: f.certifiedWrongKeys, retry: true},
		{name: "certified block of another chain", build: f.certifiedOtherChain},
	}
	notInMempool := func(t *testing.T, data []byte) {
		t.Helper()
		var r wire.SubmitRequest
		if err := wire.Decode(data, &r, p2p.SubmitRequestLimit); err != nil {
			t.Fatal(err)
		}
		if r.Tx != nil && f.tr.mempool.Has(r.Tx.Hash()) {
			t.Fatalf("forged transaction %s entered the mempool", r.Tx.Hash().Short())
		}
	}
	submit := func(name string, build func() *wire.SubmitRequest) msgCase {
		return msgCase{name: name, build: func() []byte { return wire.Encode(build()) }, check: notInMempool}
	}
	return map[protocol.ID]protoCases{
		// Sync, proof and clock requests carry nothing signed: a height, an address.
		p.Sync: {served: true, msgs: []msgCase{
			wrongType(&wire.ProofRequest{}),
			{name: "CBOR with trailing bytes", build: func() []byte { return append(wire.Encode(&wire.SyncRequest{Height: 1}), 0) }},
		}},
		p.Proof: {served: true, msgs: []msgCase{wrongType(&wire.SyncRequest{Height: 1})}},
		p.Clock: {served: true, msgs: []msgCase{wrongType(&wire.SyncRequest{Height: 1})}},
		// An admission request carries nothing at all.
		p.Admit: {served: true, msgs: []msgCase{wrongType(&wire.SyncRequest{Height: 1})}},
		p.Submit: {served: true, msgs: []msgCase{
			wrongType(&wire.SyncRequest{Height: 1}),
			{name: "both a transaction and a KeyBlock", build: func() []byte {
				kb, _ := chaintest.MineTicket(f.user, f.tr.tipv.Load().state)
				return wire.Encode(&wire.SubmitRequest{Tx: f.txWrongKey(), KeyBlock: kb})
			}},
			submit("transaction signed with the wrong key", func() *wire.SubmitRequest { return &wire.SubmitRequest{Tx: f.txWrongKey()} }),
			submit("transaction for another chain", func() *wire.SubmitRequest { return &wire.SubmitRequest{Tx: f.txOtherChain()} }),
			submit("KeyBlock signed with the wrong key", func() *wire.SubmitRequest { return &wire.SubmitRequest{KeyBlock: f.keyBlockWrongKey()} }),
			submit("KeyBlock for another chain", func() *wire.SubmitRequest { return &wire.SubmitRequest{KeyBlock: f.keyBlockOtherChain()} }),
		}},
		p.Consensus:       {served: true, membersOnly: true, msgs: consensus},
		p.ConsensusStream: {served: true, membersOnly: true, msgs: consensus},
		// The content directory: a request for no bytes, or a host request for more
		// than a blob may hold.
		p.Content: {served: true, msgs: []msgCase{
			wrongType(&wire.SyncRequest{Height: 1}),
			{name: "request of zero bytes", build: func() []byte {
				return wire.Encode(&content.Request{Hash: content.HashOf([]byte("x"))})
			}},
		}},
		p.ContentHost: {served: true, msgs: []msgCase{
			wrongType(&wire.SyncRequest{Height: 1}),
			{name: "host request over the blob limit", build: func() []byte {
				return wire.Encode(&content.HostRequest{Hash: content.HashOf([]byte("x")), Size: terms.MaxBlob + 1})
			}},
		}},
		p.State: {served: true, msgs: []msgCase{
			wrongType(&wire.SyncRequest{Height: 1}),
			{name: "no keys", build: func() []byte { return wire.Encode(&wire.StateRequest{}) }},
			{name: "more keys than allowed", build: func() []byte { return wire.Encode(&wire.StateRequest{Keys: make([]chain.Hash, wire.MaxStateKeys+1)}) }},
		}},
	}
}

// runMessageCase sends a case's message in one frame and checks the refusal: an error
// response on a request/response protocol, and the penalty.
func runMessageCase(t *testing.T, a *attacker, spec p2p.StreamSpec, mc msgCase) {
	t.Helper()
	what := fmt.Sprintf("%s: %s", spec.ID, mc.name)
	a.fresh(t)
	deadline := time.Now().Add(caseWait)
	for {
		data := mc.build()
		resp, err := a.exchange(spec.ID, frame(data))
		if err != nil {
			t.Fatalf("%s: the trustee reset the stream of a well-framed message: %v", what, err)
		}
		if spec.Kind == p2p.RequestResponse {
			status, body, err := response(resp)
			if err != nil {
				t.Fatalf("%s: response: %v", what, err)
			}
			if status == 0 {
				t.Fatalf("%s: the trustee answered without an error", what)
			}
			if len(body) == 0 {
				t.Fatalf("%s: error response without a reason", what)
			}
		} else if len(resp) != 0 {
			t.Fatalf("%s: %d bytes back on a one-way protocol", what, len(resp))
		}
		if !mc.retry {
			a.expectPenalty(t, what, p2p.PenaltyBadInput)
		} else if !a.penalized(p2p.PenaltyBadInput, 2*time.Second) {
			// The trustee's epoch moved on under the message; another one, fresh.
			if time.Now().After(deadline) {
				t.Fatalf("%s: no penalty (score %.1f)", what, a.score())
			}
			continue
		}
		if mc.check != nil {
			mc.check(t, data)
		}
		return
	}
}

// notServed checks that a protocol the trustee does not serve is refused at
// negotiation, before a byte of it is read.
func notServed(t *testing.T, a *attacker, spec p2p.StreamSpec) {
	t.Helper()
	a.fresh(t)
	if _, err := a.exchange(spec.ID, frame(garbage(64, 3))); err == nil {
		t.Fatalf("%s: a trustee does not serve it, yet the stream was taken", spec.ID)
	}
	if s := a.score(); s != 0 {
		t.Fatalf("%s: refused at negotiation, yet scored %.1f", spec.ID, s)
	}
}

// strangerRefused checks that a members-only protocol resets a stranger's stream
// before reading it: nothing it sends reaches the trustee. Reading nothing, the trustee
// has nothing to penalize; a trustee that just left the set may still call.
func strangerRefused(t *testing.T, a *attacker, spec p2p.StreamSpec, f *forger) {
	t.Helper()
	for _, data := range [][]byte{garbage(1<<10, 4), f.voteStranger(), consensusBloat(1 << 20)} {
		if _, err := a.exchange(spec.ID, frame(data)); err == nil {
			t.Fatalf("%s: a stranger's stream was read", spec.ID)
		}
	}
	if s := a.score(); s != 0 {
		t.Fatalf("%s: the stranger was refused unread, yet scored %.1f", spec.ID, s)
	}
}

// topicCase says how the trustee treats one gossip topic.
type topicCase struct {
	subscribed bool
	msgs       []msgCase
}

// topicCases lists, for every gossip topic of node/p2p, the messages a trustee must
// reject on it. A topic that is missing fails the test.
func topicCases(p p2p.Protocols, f *forger) map[string]topicCase {
	common := func(limit int, valid func() []byte) []msgCase {
		return []msgCase{
			{name: "random garbage", build: func() []byte { return garbage(512, f.next()) }},
			{name: "one byte over the topic limit", build: func() []byte { return garbage(limit+1, f.next()) }},
			{name: "valid CBOR of the wrong type", build: func() []byte { return wire.Encode(&wire.SyncRequest{Height: f.next()}) }},
			{name: "truncated encoding", build: func() []byte { b := valid(); return b[:len(b)/2] }},
		}
	}
	txNotInMempool := func(t *testing.T, data []byte) {
		t.Helper()
		if tx, err := chain.DecodeTx(data); err == nil && f.tr.mempool.Has(tx.Hash()) {
			t.Fatalf("forged transaction %s entered the mempool", tx.Hash().Short())
		}
	}
	return map[string]topicCase{
		p.Txs: {subscribed: true, msgs: append(common(p2p.TxTopicLimit, func() []byte { return chain.EncodeTx(f.txOtherChain()) }),
			msgCase{name: "transaction signed with the wrong key", build: func() []byte { return chain.EncodeTx(f.txWrongKey()) }, check: txNotInMempool},
			msgCase{name: "transaction for another chain", build: func() []byte { return chain.EncodeTx(f.txOtherChain()) }, check: txNotInMempool},
		)},
		p.KeyBlocks: {subscribed: true, msgs: append(common(p2p.KeyBlockTopicLimit, func() []byte { return chain.EncodeKeyBlock(f.keyBlockOtherChain()) }),
			// The validator ignores KeyBlocks of other epochs, so these are built for
			// the open epoch, which may close under them.
			msgCase{name: "KeyBlock signed with the wrong key", build: func() []byte { return chain.EncodeKeyBlock(f.keyBlockWrongKey()) }, retry: true},
			msgCase{name: "KeyBlock for another chain", build: func() []byte { return chain.EncodeKeyBlock(f.keyBlockOtherChain()) }, retry: true},
		)},
		p.Blocks: {subscribed: true, msgs: append(common(p2p.BlockTopicLimit, func() []byte { return f.blockStrangers() }),
			msgCase{name: "bloated CBOR: a block of empty tickets and transactions", build: func() []byte { return f.blockBloat(1 << 17) }, retry: true},
			msgCase{name: "certified block signed by non-trustees", build: f.blockStrangers, retry: true},
			msgCase{name: "certified block signed with the wrong keys", build: f.blockWrongKeys, retry: true},
			msgCase{name: "certified block of another chain", build: f.blockOtherChain, retry: true},
		)},
		// Offers are for providers; a trustee does not subscribe.
		p.Offers: {},
	}
}

// runGossipCase publishes a case's message to the target and checks that its
// validator rejected it: the penalty for a rejected (or oversized) message.
func runGossipCase(t *testing.T, a *attacker, spec p2p.TopicSpec, mc msgCase) {
	t.Helper()
	what := fmt.Sprintf("%s: %s", spec.Name, mc.name)
	a.fresh(t)
	deadline := time.Now().Add(caseWait)
	for {
		data := mc.build()
		if err := a.publish(spec.Name, data); err != nil {
			t.Fatalf("%s: publish: %v", what, err)
		}
		if !mc.retry {
			a.expectPenalty(t, what, p2p.PenaltyRejected)
		} else if !a.penalized(p2p.PenaltyRejected, 2*time.Second) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not rejected (score %.1f)", what, a.score())
			}
			continue
		}
		if mc.check != nil {
			mc.check(t, data)
		}
		return
	}
}

// notSubscribed checks that messages on a topic the trustee does not subscribe to are
// dropped unread. RPCs on one stream are handled in order, so once a later rejected
// message has cost its penalty, the earlier one has been dropped without cost.
func notSubscribed(t *testing.T, a *attacker, spec p2p.TopicSpec, p p2p.Protocols) {
	t.Helper()
	a.fresh(t)
	for i := range 3 {
		if err := a.publish(spec.Name, garbage(spec.Limit+i, uint64(100+i))); err != nil {
			t.Fatalf("%s: publish: %v", spec.Name, err)
		}
	}
	if err := a.publish(p.Txs, garbage(100, 99)); err != nil {
		t.Fatal(err)
	}
	a.expectPenalty(t, spec.Name+": the rejected message after it", p2p.PenaltyRejected)
	if s := a.score(); s > 1.01*p2p.PenaltyRejected {
		t.Fatalf("%s: a trustee does not subscribe, yet its messages cost %.1f", spec.Name, s-p2p.PenaltyRejected)
	}
}

// gossipRouter sends faulty RPCs on the gossipsub protocol itself. node/p2p checks an
// RPC's length before gossipsub reads it, and refuses one over the limit as oversized;
// what follows the length is gossipsub's to parse, and it resets the stream on the
// first fault without telling a validator, so a malformed or truncated RPC costs
// nothing. A well-formed message that carries an author and a signature, which our
// gossip does not use, is malformed. Either way the trustee must stay up and keep
// gossiping.
func gossipRouter(t *testing.T, a *attacker, p p2p.Protocols) {
	t.Helper()
	for _, c := range []struct {
		name string
		raw  []byte
		want float64
	}{
		{"random garbage", garbage(4<<10, 5), 0},
		{"an RPC length over the limit", binary.AppendUvarint(nil, uint64(p2p.BlockTopicLimit)+1<<20), p2p.PenaltyOversized},
		{"a truncated RPC", append(binary.AppendUvarint(nil, 1000), garbage(10, 6)...), 0},
	} {
		a.fresh(t)
		s, err := a.open(p.Gossip)
		if err != nil {
			t.Fatal(err)
		}
		switch err := a.write(s, c.raw); {
		case errors.Is(err, network.ErrReset):
			// The trustee reset the stream at the first fault, before the rest was written.
		case err != nil:
			t.Fatalf("gossip router, %s: %v", c.name, err)
		default:
			_ = s.CloseWrite()
			if _, err := io.ReadAll(s); err == nil {
				t.Fatalf("gossip router, %s: the stream was not reset", c.name)
			}
		}
		_ = s.Close()
		if c.want > 0 {
			a.expectPenalty(t, "gossip router, "+c.name, c.want)
		}
	}
	// Gossip messages carry no author and no signature: one signed as gossipsub
	// signs by default is malformed, before any validator looks at it.
	a.fresh(t)
	if err := a.publishSigned(p.Txs, garbage(100, 30)); err != nil {
		t.Fatal(err)
	}
	a.expectPenalty(t, "gossip router, a message with an author and a signature", p2p.PenaltyMalformed)

	// A silent gossip stream holds nothing and blocks nothing: gossipsub keeps one
	// inbound stream per peer and resets the older when a new one opens, and gossip
	// on the new one is read and judged.
	a.fresh(t)
	silent, err := a.open(p.Gossip)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.write(silent, nil); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(silent)
		done <- err
	}()
	// Which of the two streams gossipsub takes last depends on its goroutines; the
	// message goes again on a fresh stream until it is judged.
	for i := range 5 {
		if err := a.publish(p.Txs, garbage(100, uint64(7+i))); err != nil {
			t.Fatal(err)
		}
		if a.penalized(p2p.PenaltyRejected, 2*time.Second) {
			break
		}
		if i == 4 {
			t.Fatal("gossip router: gossip beside a silent stream was not judged")
		}
	}
	// If gossipsub took the silent stream last, the next new one replaces it: a
	// message on a topic the trustee ignores opens one at no cost.
	for attempt := 0; ; attempt++ {
		select {
		case err := <-done:
			if err == nil {
				t.Fatal("gossip router: the silent stream was closed, not reset")
			}
			return
		case <-time.After(time.Second):
		}
		if attempt == 5 {
			t.Fatal("gossip router: the silent stream is still open beside newer ones")
		}
		a.mu.Lock()
		if a.gossip != nil {
			_ = a.gossip.Close()
			a.gossip = nil
		}
		a.mu.Unlock()
		if err := a.publish(p.Offers, garbage(100, uint64(20+attempt))); err != nil {
			t.Fatal(err)
		}
	}
}

// silentStreams opens as many streams as the trustee admits from one peer, sends
// nothing on some and a length prefix alone on the others, and checks that a stream
// over the bound is refused at once, that the trustee resets the silent ones after its
// stream timeout, and that it then serves the peer again. A silent stream costs no
// points (a slow link looks the same); the per-peer bound and the timeout are the
// defence.
func silentStreams(t *testing.T, a *attacker, p p2p.Protocols) {
	t.Helper()
	var served []p2p.StreamSpec
	for _, s := range p.Streams() {
		if s.ID != p.Content {
			served = append(served, s)
		}
	}
	// The bound can be seen only while every silent stream is held, before the first
	// times out; on a machine so loaded that opening them takes longer, the round is
	// run again.
	for round := 1; ; round++ {
		a.fresh(t)
		opened := time.Now()
		done := make([]chan error, p2p.DefaultMaxStreamsPerPeer)
		var wg sync.WaitGroup
		for i := range done {
			done[i] = make(chan error, 1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				spec := served[i%len(served)]
				s, err := a.open(spec.ID)
				if err != nil {
					done[i] <- fmt.Errorf("open: %w", err)
					return
				}
				defer s.Close()
				var first []byte // nil flushes the protocol negotiation alone
				if i/len(served)%2 == 1 {
					first = binary.AppendUvarint(nil, uint64(spec.RequestLimit))
					a.claimed.Add(int64(spec.RequestLimit))
				}
				if err := a.write(s, first); err != nil {
					done[i] <- fmt.Errorf("write: %w", err)
					return
				}
				if _, err := io.ReadAll(s); err == nil {
					done[i] <- errors.New("closed, not reset")
					return
				}
				done[i] <- nil
			}()
		}
		// One stream more is refused at once.
		refused := false
		for !refused && time.Since(opened) < badStreamTimeout/2 {
			_, err := a.exchange(p.Clock, frame(wire.Encode(&wire.ClockRequest{})))
			refused = err != nil
		}
		wg.Wait()
		if took := time.Since(opened); took > badStreamTimeout+caseWait {
			t.Fatalf("the silent streams were reset %v after they opened, the trustee's timeout is %v", took, badStreamTimeout)
		}
		for i, c := range done {
			if err := <-c; err != nil {
				t.Fatalf("silent stream %d: %v", i, err)
			}
		}
		if s := a.score(); s != 0 {
			t.Fatalf("silent streams scored %.1f", s)
		}
		if refused {
			break
		}
		if round == 3 {
			t.Fatalf("a stream beyond the %d silent ones was never refused", p2p.DefaultMaxStreamsPerPeer)
		}
		t.Logf("round %d: the silent streams were not all held before the first timed out; again", round)
	}
	within(t, caseWait, "the trustee serving the peer again", func() bool {
		resp, err := a.exchange(p.Clock, frame(wire.Encode(&wire.ClockRequest{})))
		if err != nil {
			return false
		}
		status, _, err := response(resp)
		return err == nil && status == 0
	})
}

// persistBanned sends bad frames without pause until the trustee bans the attacker:
// it must then disconnect it, refuse to let it connect again, and refuse its streams.
func persistBanned(t *testing.T, a *attacker, p p2p.Protocols) {
	t.Helper()
	a.fresh(t)
	sent := 0
	for !a.box.Banned(a.id()) {
		if sent == 10 {
			t.Fatalf("not banned after %d bad frames (score %.1f)", sent, a.score())
		}
		_, _ = a.exchange(p.Sync, garbage(256, uint64(10+sent)))
		sent++
	}
	within(t, caseWait, "the banned attacker disconnected", func() bool {
		return a.h.Network().Connectedness(a.target.ID) != network.Connected
	})
	ctx, cancel := context.WithTimeout(context.Background(), caseWait)
	defer cancel()
	if err := a.h.Connect(ctx, a.target); err == nil {
		// The gater refuses the connection once the identity is proven, which the
		// dialer may see only when the connection closes.
		within(t, caseWait, "the trustee closing a banned peer's connection", func() bool {
			return a.h.Network().Connectedness(a.target.ID) != network.Connected
		})
	}
	if _, err := a.exchange(p.Clock, frame(wire.Encode(&wire.ClockRequest{}))); err == nil {
		t.Fatal("a banned peer was served")
	}
	t.Logf("banned after %d bad frames", sent)
}

// volume sends much more: waves of frames that claim the consensus limit on every
// stream a peer may hold, streaming until the inbound budget refuses them; bloated
// messages that would decode to gigabytes; and thousands of well-formed messages the
// trustee must drop without penalty (old epochs, blocks it does not hold), which no
// ban stops. The heap is checked with the wave's frames held open.
func volume(t *testing.T, a *attacker, p p2p.Protocols, f *forger, base int64) {
	t.Helper()
	// Frames held mid-body: up to the inbound budget, never what they claim.
	const waves, perStream = 2, 2 << 20
	for w := range waves {
		a.fresh(t)
		var streams []network.Stream
		for range p2p.DefaultMaxStreamsPerPeer {
			s, err := a.open(p.ConsensusStream)
			if err != nil {
				t.Fatal(err)
			}
			a.claimed.Add(p2p.ConsensusMessageLimit)
			_ = a.write(s, binary.AppendUvarint(nil, p2p.ConsensusMessageLimit))
			streams = append(streams, s)
		}
		var wg sync.WaitGroup
		chunk := garbage(256<<10, 8)
		for _, s := range streams {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for sent := 0; sent < perStream; sent += len(chunk) {
					if a.write(s, chunk) != nil {
						return
					}
				}
			}()
		}
		wg.Wait()
		held := heapAfterGC() - base
		t.Logf("wave %d: %d streams claiming %d MiB each, %d MiB sent on each: heap %+.1f MiB", w,
			len(streams), p2p.ConsensusMessageLimit>>20, perStream>>20, float64(held)/(1<<20))
		if held > badInboundBytes+heldSlack {
			t.Fatalf("with frames held open the heap grew by %.1f MiB, over the inbound budget of %d MiB and %d MiB",
				float64(held)/(1<<20), badInboundBytes>>20, heldSlack>>20)
		}
		// Dropped mid-frame, as a broken link would: the trustee frees what it held.
		// (Truncated frames, which cost points, are among the stream cases.)
		for _, s := range streams {
			_ = s.Reset()
		}
		// The trustee releases their budget as its readers see the resets; a frame
		// sent before then finds the budget spent and is refused.
		within(t, caseWait, "the held frames' budget released", func() bool { return a.net.InboundHeld() == 0 })
	}

	// Bloated messages: each would decode to hundreds of MiB.
	for i := range 6 {
		a.fresh(t)
		if _, err := a.exchange(p.ConsensusStream, frame(consensusBloat(2<<20))); err != nil {
			t.Fatalf("bloated consensus message %d: %v", i, err)
		}
		a.expectPenalty(t, "bloated consensus message", p2p.PenaltyBadInput)
		a.fresh(t)
		for attempt := 0; ; attempt++ {
			if err := a.publish(p.Blocks, f.blockBloat(1<<17)); err != nil {
				t.Fatal(err)
			}
			if a.penalized(p2p.PenaltyRejected, 2*time.Second) {
				break
			}
			if attempt == 5 {
				t.Fatalf("bloated block %d not rejected", i)
			}
		}
	}

	// Thousands of messages the trustee drops without penalty.
	a.fresh(t)
	const stale = 3000
	s, err := a.open(p.ConsensusStream)
	if err != nil {
		t.Fatal(err)
	}
	for i := range stale {
		if err := a.write(s, frame(f.staleVote(uint32(i)))); err != nil {
			t.Fatalf("stale vote %d: %v", i, err)
		}
	}
	_ = s.CloseWrite()
	if _, err := io.ReadAll(s); err != nil {
		t.Fatalf("stream of %d stale votes: %v", stale, err)
	}
	for i := range 1000 {
		if err := a.publish(p.Blocks, f.staleBlock(uint32(i))); err != nil {
			t.Fatalf("stale block %d: %v", i, err)
		}
	}
	var wg sync.WaitGroup
	var failed atomic.Int32
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 60 {
				resp, err := a.exchange(p.Sync, frame(wire.Encode(&wire.SyncRequest{Height: 1<<40 + uint64(w*100+i)})))
				if err != nil {
					failed.Add(1)
					continue
				}
				if status, _, err := response(resp); err != nil || status == 0 {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d requests for missing blocks were not answered with an error", n)
	}
	if a.box.Banned(a.id()) || a.score() > 0 {
		t.Fatalf("well-formed stale messages cost the peer %.1f points (banned %v)", a.score(), a.box.Banned(a.id()))
	}
}

// stalledGossip has several peers each send the length prefix of the largest gossip
// RPC and nothing more: gossipsub makes the whole buffer when it reads the prefix, and
// waits for the body. What all of them can make the trustee hold is bounded by the
// inbound budget, and a body that does not come is given up after the stream timeout.
func stalledGossip(t *testing.T, bn *badNet, p p2p.Protocols, base int64) {
	t.Helper()
	const peers = 6
	var stalled []network.Stream
	for i := range peers {
		key := chaintest.Key("staller", i)
		a := newAttacker(t, fmt.Sprintf("staller %d", i), attackerHost(t, key), key, bn, 0)
		s, err := a.open(p.Gossip)
		if err != nil {
			t.Fatal(err)
		}
		a.claimed.Add(p2p.BlockTopicLimit)
		if err := a.write(s, binary.AppendUvarint(nil, p2p.BlockTopicLimit)); err != nil {
			t.Fatal(err)
		}
		stalled = append(stalled, s)
	}
	// The trustee reads each prefix as the stream comes; those the budget cannot take
	// are reset at once. The heap is measured until all but one are, and for half the
	// stream timeout at most.
	written := time.Now()
	done := make([]chan struct{}, len(stalled))
	var ended atomic.Int32
	for i, s := range stalled {
		done[i] = make(chan struct{})
		go func() {
			_, _ = io.ReadAll(s)
			ended.Add(1)
			close(done[i])
		}()
	}
	var held int64
	for {
		held = max(held, heapAfterGC()-base)
		if ended.Load() >= peers-1 || time.Since(written) > badStreamTimeout/2 {
			break
		}
	}
	t.Logf("%d peers each claiming a gossip RPC of %d MiB: heap %+.1f MiB", peers, p2p.BlockTopicLimit>>20, float64(held)/(1<<20))
	if held > badInboundBytes+heldSlack {
		t.Fatalf("with %d gossip RPCs claimed and stalled the heap grew by %.1f MiB, over the inbound budget of %d MiB and %d MiB",
			peers, float64(held)/(1<<20), badInboundBytes>>20, heldSlack>>20)
	}
	start := time.Now()
	for i := range stalled {
		select {
		case <-done[i]:
		case <-time.After(badStreamTimeout + caseWait):
			t.Fatalf("stalled gossip stream %d still open %v after the prefix, the stream timeout is %v", i, time.Since(start), badStreamTimeout)
		}
	}
}

// forger builds well-formed messages that a trustee must refuse, on the target's tip.
type forger struct {
	tr       *Trustee
	chainID  string
	rogue    *keys.Key // a trustee of the set, held by the attacker
	stranger *keys.Key
	user     *keys.Key // a funded user
	other    *keys.Key // another funded user
	seq      atomic.Uint64

	mu     sync.Mutex
	blocks []forgedBlock
}

type forgedBlock struct {
	epoch uint64
	hash  chain.Hash
}

const otherChain = "daoli-other"

func newForger(tr *Trustee) *forger {
	return &forger{tr: tr, chainID: tr.chainID, rogue: chaintest.TrusteeKey(3), stranger: chaintest.Key("stranger", 0),
		user: chaintest.UserKey(0), other: chaintest.UserKey(1)}
}

func (f *forger) next() uint64 { return f.seq.Add(1) }

// tip is the target's committed epoch and block hash.
func (f *forger) tip() (uint64, chain.Hash) {
	tp := f.tr.tipv.Load()
	return tp.header.Epoch, tp.state.Tip()
}

func (f *forger) hash() chain.Hash {
	var h chain.Hash
	binary.BigEndian.PutUint64(h[:], f.next())
	h[31] = 0xbd
	return h
}

func (f *forger) forgedBlocks() []forgedBlock {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]forgedBlock(nil), f.blocks...)
}

func (f *forger) note(b *chain.Block) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocks = append(f.blocks, forgedBlock{b.Header.Epoch, b.Hash()})
}

func msg(m *ibft.Message) []byte { return ibft.EncodeMessage(m) }

// vote signs a prevote with signer; claim, if set, then names another trustee.
func (f *forger) vote(chainID string, epoch uint64, signer *keys.Key, claim *keys.Key) []byte {
	v := &chain.Vote{Kind: chain.Prevote, ChainID: chainID, Epoch: epoch, Block: f.hash(), Time: time.Now().UnixNano()}
	v.Sign(signer)
	if claim != nil {
		v.Trustee = claim.Public()
	}
	return msg(&ibft.Message{Vote: v})
}

// Messages claiming trustee 0 but signed by the attacker are of the epoch after the
// open one: the machine checks the signature of a message one epoch ahead, and of one
// in the open epoch should the tip move meanwhile.
func (f *forger) voteWrongKey() []byte {
	e, _ := f.tip()
	return f.vote(f.chainID, e+2, f.rogue, chaintest.TrusteeKey(0))
}

func (f *forger) voteStranger() []byte {
	e, _ := f.tip()
	return f.vote(f.chainID, e+1, f.stranger, nil)
}

func (f *forger) voteOtherChain() []byte {
	e, _ := f.tip()
	return f.vote(otherChain, e+1, f.rogue, nil)
}

func (f *forger) report(chainID string, epoch uint64, parent chain.Hash, signer, claim *keys.Key) []byte {
	r := &ibft.Report{ChainID: chainID, Epoch: epoch, Parent: parent}
	r.Sign(signer)
	if claim != nil {
		r.Trustee = claim.Public()
	}
	return msg(&ibft.Message{Report: r})
}

func (f *forger) reportWrongKey() []byte {
	e, _ := f.tip()
	return f.report(f.chainID, e+2, f.hash(), f.rogue, chaintest.TrusteeKey(0))
}

func (f *forger) reportStranger() []byte {
	e, tip := f.tip()
	return f.report(f.chainID, e+1, tip, f.stranger, nil)
}

func (f *forger) reportOtherChain() []byte {
	e, tip := f.tip()
	return f.report(otherChain, e+1, tip, f.rogue, nil)
}

func (f *forger) proposal(chainID string, epoch uint64, signer, claim *keys.Key) []byte {
	_, tip := f.tip()
	b := chain.Block{Header: chain.Header{ChainID: chainID, Epoch: epoch, Parent: tip, StateRoot: f.hash()}}
	sig := make([]byte, keys.SignatureSize)
	p := &ibft.Proposal{Epoch: epoch, ValidRound: ibft.NoRound, Block: b,
		Reports: []ibft.Report{{ChainID: chainID, Epoch: epoch, Parent: tip, Trustee: f.rogue.Public(), Sig: sig}}}
	p.Sign(signer)
	if claim != nil {
		p.Proposer = claim.Public()
	}
	return msg(&ibft.Message{Proposal: p})
}

func (f *forger) proposalWrongKey() []byte {
	e, _ := f.tip()
	return f.proposal(f.chainID, e+2, f.rogue, chaintest.TrusteeKey(0))
}

func (f *forger) proposalStranger() []byte {
	e, _ := f.tip()
	return f.proposal(f.chainID, e+1, f.stranger, nil)
}

func (f *forger) proposalOtherChain() []byte {
	e, _ := f.tip()
	return f.proposal(otherChain, e+1, f.rogue, nil)
}

// certified is a block of the open epoch with a certificate by signers; claims, if
// set, then name other keys as the signers.
func (f *forger) certified(chainID string, signers []*keys.Key, claims []*keys.Key) (*chain.Block, *chain.Cert) {
	e, tip := f.tip()
	b := &chain.Block{Header: chain.Header{ChainID: chainID, Epoch: e + 1, Parent: tip, StateRoot: f.hash()}}
	cert, err := chaintest.Certify(chainID, b, signers)
	if err != nil {
		panic(err)
	}
	if claims != nil {
		// Claimed signers must stay sorted by key, as a certificate's are.
		keysOf := make([]keys.PublicKey, len(claims))
		for i, k := range claims {
			keysOf[i] = k.Public()
		}
		slices.SortFunc(keysOf, func(a, b keys.PublicKey) int { return bytes.Compare(a[:], b[:]) })
		for i := range cert.Sigs {
			cert.Sigs[i].Trustee = keysOf[i]
		}
	}
	f.note(b)
	return b, cert
}

func strangers() []*keys.Key {
	return []*keys.Key{chaintest.Key("stranger", 1), chaintest.Key("stranger", 2), chaintest.Key("stranger", 3)}
}

func trustees() []*keys.Key {
	return []*keys.Key{chaintest.TrusteeKey(0), chaintest.TrusteeKey(1), chaintest.TrusteeKey(2)}
}

func (f *forger) certifiedStrangers() []byte {
	b, c := f.certified(f.chainID, strangers(), nil)
	return msg(&ibft.Message{Certified: &ibft.Certified{Block: *b, Cert: *c}})
}

func (f *forger) certifiedWrongKeys() []byte {
	b, c := f.certified(f.chainID, strangers(), trustees())
	return msg(&ibft.Message{Certified: &ibft.Certified{Block: *b, Cert: *c}})
}

func (f *forger) certifiedOtherChain() []byte {
	b, c := f.certified(otherChain, trustees(), nil)
	return msg(&ibft.Message{Certified: &ibft.Certified{Block: *b, Cert: *c}})
}

func (f *forger) blockStrangers() []byte {
	b, c := f.certified(f.chainID, strangers(), nil)
	return wire.Encode(&wire.CertifiedBlock{Block: *b, Cert: *c})
}

func (f *forger) blockWrongKeys() []byte {
	b, c := f.certified(f.chainID, strangers(), trustees())
	return wire.Encode(&wire.CertifiedBlock{Block: *b, Cert: *c})
}

func (f *forger) blockOtherChain() []byte {
	b, c := f.certified(otherChain, trustees(), nil)
	return wire.Encode(&wire.CertifiedBlock{Block: *b, Cert: *c})
}

// staleVote is a vote the attacker's trustee key signs for epoch 1, long decided: the
// machine drops it without checking more.
func (f *forger) staleVote(round uint32) []byte {
	v := &chain.Vote{Kind: chain.Precommit, ChainID: f.chainID, Epoch: 1, Round: round, Block: f.hash(), Time: time.Now().UnixNano()}
	v.Sign(f.rogue)
	return msg(&ibft.Message{Vote: v})
}

// staleBlock is a certified block of epoch 1 that the trustee ignores by its header.
func (f *forger) staleBlock(round uint32) []byte {
	b := chain.Block{Header: chain.Header{ChainID: f.chainID, Epoch: 1, StateRoot: f.hash()}}
	c := chain.Cert{Epoch: 1, Round: round, Block: b.Hash(), Sigs: []chain.CertSig{{Sig: make([]byte, keys.SignatureSize)}}}
	return wire.Encode(&wire.CertifiedBlock{Block: b, Cert: c})
}

func (f *forger) transfer(chainID string, signer *keys.Key) *chain.Tx {
	return chain.NewTx(signer, chainID, 0, 1, &chain.Transfer{To: f.other.Address(), Amount: f.next()})
}

func (f *forger) txWrongKey() *chain.Tx {
	tx := f.transfer(f.chainID, f.user)
	tx.From = f.other.Public()
	return tx
}

func (f *forger) txOtherChain() *chain.Tx { return f.transfer(otherChain, f.user) }

// keyBlockWrongKey is a ticket mined for the open epoch and signed by another key
// than its miner's.
func (f *forger) keyBlockWrongKey() *chain.KeyBlock {
	kb, _ := chaintest.MineTicket(f.user, f.tr.tipv.Load().state)
	kb.Sign(f.other)
	return kb
}

func (f *forger) keyBlockOtherChain() *chain.KeyBlock {
	e, tip := f.tip()
	kb, _ := chain.NewKeyBlock(f.user, otherChain, e+1, tip, f.user.Address())
	kb.Nonce = f.next()
	kb.Sign(f.user)
	return kb
}

// consensusBloat is a consensus message of about size bytes: a proposal whose
// reports each list 2^17 empty tickets. Each empty array would be a KeyBlock of 168
// bytes.
func consensusBloat(size int) []byte {
	const tickets = 1 << 17
	report := func() []byte {
		var b []byte
		b = append(b, wiretest.CBORHead(4, 7)...)
		b = append(b, wiretest.CBORHead(3, 1)...)
		b = append(b, 'x', 0x01)
		b = append(b, wiretest.CBORHead(2, 32)...)
		b = append(b, make([]byte, 32)...)
		b = append(b, wiretest.EmptyItems(tickets)...)
		b = append(b, 0x00) // admitted
		b = append(b, wiretest.CBORHead(2, 32)...)
		b = append(b, make([]byte, 32)...)
		b = append(b, wiretest.CBORHead(2, 64)...)
		return append(b, make([]byte, 64)...)
	}
	n := max(1, size/(tickets+200))
	var b []byte
	b = append(b, wiretest.CBORHead(4, 4)...)
	b = append(b, 0xf6)                       // no report
	b = append(b, wiretest.CBORHead(4, 7)...) // the proposal
	b = append(b, 0x01, 0x00, 0x20)           // epoch 1, round 0, valid round −1
	b = append(b, 0x80)                       // a block that is not one
	b = append(b, wiretest.CBORHead(4, uint64(n))...)
	r := report()
	for range n {
		b = append(b, r...)
	}
	b = append(b, wiretest.CBORHead(2, 32)...)
	b = append(b, make([]byte, 32)...)
	b = append(b, wiretest.CBORHead(2, 64)...)
	b = append(b, make([]byte, 64)...)
	return append(b, 0xf6, 0xf6) // no vote, no certified block
}

// blockBloat is a block of the open epoch whose payroll and payload are n empty
// arrays each.
func (f *forger) blockBloat(n int) []byte {
	e, tip := f.tip()
	return wiretest.BlockBloat(chain.Header{ChainID: f.chainID, Epoch: e + 1, Parent: tip, StateRoot: f.hash()}, n)
}
