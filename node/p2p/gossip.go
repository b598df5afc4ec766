package p2p

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// topicState is one joined topic.
type topicState struct {
	spec      TopicSpec
	topic     *pubsub.Topic
	validator atomic.Pointer[Validator] // nil unless subscribed

	// Set while subscribed; guarded by Network.mu.
	sub    *pubsub.Subscription
	cancel context.CancelFunc
}

// unsubscribeLocked detaches the subscription and returns what must be stopped once mu
// is released. The delivery goroutine ends on its own; Close waits for it.
func (ts *topicState) unsubscribeLocked() (stop func()) {
	sub, cancel := ts.sub, ts.cancel
	ts.sub, ts.cancel = nil, nil
	ts.validator.Store(nil)
	if sub == nil {
		return func() {}
	}
	return func() {
		sub.Cancel()
		cancel()
	}
}

// startGossip starts gossipsub on our own router protocol, with unsigned messages
// named by their content (the same transaction published by two nodes is one
// message), a wire limit just above the largest topic's, and flood publishing: our
// own messages go to every subscribed peer, not only the mesh, so a KeyBlock published
// right after joining is not lost while the mesh forms, and no handful of mesh peers
// can sit on it.
//
// Messages carry no author, sequence number or signature. Everything on our topics
// signs itself (transactions, KeyBlocks, certified blocks), so gossipsub's signature
// proved nothing a validator does not check anyway, and signing and checking it was
// the largest cost of relaying a transaction. Without an author the one peer a
// message can be blamed on is the one that sent it to us, which is whom validators
// and penalties name anyway: a peer must not relay what it has not validated. Every
// node runs this same policy (it is not configurable), and a message that carries an
// author or a signature is malformed on our protocol (gossipTracer).
func (n *Network) startGossip() error {
	gossip := n.protos.Gossip
	opts := []pubsub.Option{
		pubsub.WithGossipSubProtocols([]protocol.ID{gossip}, func(feat pubsub.GossipSubFeature, proto protocol.ID) bool {
			// Our one protocol has the gossipsub v1.2 features (mesh, peer exchange,
			// IDONTWANT) and nothing newer.
			return proto == gossip && feat != pubsub.GossipSubFeatureExtensions
		}),
		pubsub.WithMaxMessageSize(maxGossipRPC),
		pubsub.WithFloodPublish(true),
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(messageID),
		pubsub.WithRawTracer(gossipTracer{n}),
		pubsub.WithPeerFilter(func(p peer.ID, _ string) bool { return !n.box.Banned(p) }),
		pubsub.WithLogger(n.log.With("component", "gossipsub")),
	}
	if n.cfg.GossipParams != nil {
		opts = append(opts, pubsub.WithGossipSubParams(*n.cfg.GossipParams))
	}
	ps, err := pubsub.NewGossipSub(n.ctx, gossipHost{n.host, n}, opts...)
	if err != nil {
		return fmt.Errorf("gossipsub: %w", err)
	}
	n.ps = ps
	return nil
}

// gossipHost is the host as gossipsub sees it: the same, except that the inbound
// streams of the router protocol reach gossipsub wrapped in a gossipStream.
type gossipHost struct {
	host.Host
	n *Network
}

func (g gossipHost) SetStreamHandler(pid protocol.ID, h network.StreamHandler) {
	g.Host.SetStreamHandler(pid, g.wrap(h))
}

func (g gossipHost) SetStreamHandlerMatch(pid protocol.ID, match func(protocol.ID) bool, h network.StreamHandler) {
	g.Host.SetStreamHandlerMatch(pid, match, g.wrap(h))
}

func (g gossipHost) wrap(h network.StreamHandler) network.StreamHandler {
	return func(s network.Stream) { h(&gossipStream{Stream: s, n: g.n}) }
}

// gossipStream holds the RPCs gossipsub reads from a peer to the rules of our frames.
// Gossipsub makes a buffer of an RPC's full length as soon as it has read the length
// prefix, then waits for the body without a deadline: a peer that sent only the prefix
// of the largest RPC would hold that much of our memory for as long as it liked, and
// every peer could. Here the length is charged to the inbound budget before gossipsub
// sees the prefix end, and given back when gossipsub comes back for the next RPC,
// having handed this one on; a length over the limit is refused as oversized; and the
// body must arrive within StreamTimeout.
type gossipStream struct {
	network.Stream
	n *Network

	mu      sync.Mutex
	length  uint64 // of the length prefix read so far
	shift   uint
	due     uint64 // body bytes of the current RPC still to come
	charged int64  // budget held for the current or just completed RPC
	err     error  // why the stream was refused; gossipsub then resets it
}

func (s *gossipStream) Read(b []byte) (int, error) {
	s.mu.Lock()
	if s.err != nil {
		// Gossipsub may try to read on after an error; the bytes that follow are not
		// to be taken for an RPC.
		defer s.mu.Unlock()
		return 0, s.err
	}
	if s.due == 0 {
		s.releaseLocked() // the previous RPC is gossipsub's now
	}
	s.mu.Unlock()
	k, err := s.Stream.Read(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err = s.scanLocked(b[:k]); s.err != nil {
		s.releaseLocked()
		return 0, s.err
	}
	if err != nil {
		s.releaseLocked()
	}
	return k, err
}

// scanLocked follows the RPC framing (an unsigned varint length, then the body) over
// bytes just read.
func (s *gossipStream) scanLocked(b []byte) error {
	for len(b) > 0 {
		if s.due > 0 {
			n := min(s.due, uint64(len(b)))
			s.due -= n
			b = b[n:]
			if s.due == 0 {
				_ = s.Stream.SetReadDeadline(time.Time{})
			}
			continue
		}
		c := b[0]
		b = b[1:]
		s.length |= uint64(c&0x7f) << s.shift
		s.shift += 7
		if s.length > maxGossipRPC {
			remote := s.Stream.Conn().RemotePeer()
			s.n.Penalize(remote, PenaltyOversized, fmt.Sprintf("gossip RPC of at least %d bytes", s.length))
			return fmt.Errorf("%w: gossip RPC of at least %d bytes, limit %d", ErrTooLarge, s.length, maxGossipRPC)
		}
		if c >= 0x80 {
			if s.shift >= 7*maxVarintLen {
				return fmt.Errorf("%w: gossip RPC length prefix too long", ErrMalformed)
			}
			continue
		}
		length := s.length
		s.length, s.shift = 0, 0
		if length == 0 {
			continue
		}
		s.releaseLocked()
		if !s.n.budget.take(int64(length)) {
			s.n.log.Warn("gossip RPC refused", "peer", s.Stream.Conn().RemotePeer(), "size", length, "in_use", s.n.budget.inUse())
			return fmt.Errorf("gossip RPC of %d bytes: %w", length, ErrBusy)
		}
		s.charged, s.due = int64(length), length
		_ = s.Stream.SetReadDeadline(time.Now().Add(s.n.cfg.StreamTimeout))
	}
	return nil
}

func (s *gossipStream) releaseLocked() {
	s.n.budget.give(s.charged)
	s.charged = 0
}

func (s *gossipStream) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseLocked()
}

func (s *gossipStream) Close() error {
	s.release()
	return s.Stream.Close()
}

func (s *gossipStream) Reset() error {
	s.release()
	return s.Stream.Reset()
}

func (s *gossipStream) ResetWithError(code network.StreamErrorCode) error {
	s.release()
	return s.Stream.ResetWithError(code)
}

// gossipTracer penalizes the peer that sent us a message gossipsub refused for
// carrying a signature, an author or a sequence number, which no node of ours sends.
// Gossipsub calls it on its event loop, so it must not block; Penalize does not.
type gossipTracer struct{ n *Network }

func (g gossipTracer) RejectMessage(msg *pubsub.Message, reason string) {
	switch reason {
	case pubsub.RejectUnexpectedSignature, pubsub.RejectUnexpectedAuthInfo:
		g.n.Penalize(msg.ReceivedFrom, PenaltyMalformed, "gossip "+reason)
	}
}

func (gossipTracer) AddPeer(peer.ID, protocol.ID)         {}
func (gossipTracer) RemovePeer(peer.ID)                   {}
func (gossipTracer) Join(string)                          {}
func (gossipTracer) Leave(string)                         {}
func (gossipTracer) Graft(peer.ID, string)                {}
func (gossipTracer) Prune(peer.ID, string)                {}
func (gossipTracer) ValidateMessage(*pubsub.Message)      {}
func (gossipTracer) DeliverMessage(*pubsub.Message)       {}
func (gossipTracer) DuplicateMessage(*pubsub.Message)     {}
func (gossipTracer) ThrottlePeer(peer.ID)                 {}
func (gossipTracer) RecvRPC(*pubsub.RPC)                  {}
func (gossipTracer) SendRPC(*pubsub.RPC, peer.ID)         {}
func (gossipTracer) DropRPC(*pubsub.RPC, peer.ID)         {}
func (gossipTracer) UndeliverableMessage(*pubsub.Message) {}

// messageID names a message by its topic and content. It is the only name an
// unsigned message has: gossipsub's default (author and sequence number) needs both.
func messageID(m *pb.Message) string {
	h := sha256.New()
	h.Write([]byte(m.GetTopic()))
	h.Write([]byte{0})
	h.Write(m.GetData())
	return string(h.Sum(nil)[:20])
}

// join returns the topic's state, joining it and registering its validator on first
// use.
func (n *Network) join(name string) (*topicState, error) {
	spec, ok := n.protos.Topic(name)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownTopic, name)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, ErrClosed
	}
	if ts, ok := n.topics[name]; ok {
		return ts, nil
	}
	ts := &topicState{spec: spec}
	err := n.ps.RegisterTopicValidator(name, n.topicValidator(ts),
		pubsub.WithValidatorTimeout(n.cfg.ValidatorTimeout))
	if err != nil {
		return nil, fmt.Errorf("topic %s validator: %w", name, err)
	}
	t, err := n.ps.Join(name)
	if err != nil {
		_ = n.ps.UnregisterTopicValidator(name)
		return nil, fmt.Errorf("join topic %s: %w", name, err)
	}
	ts.topic = t
	n.topics[name] = ts
	return ts, nil
}

// topicValidator checks the size before anything else looks at the bytes, then asks
// the subscriber's validator. A remote message on a topic we do not subscribe to is
// ignored; our own publications pass when no validator is set.
func (n *Network) topicValidator(ts *topicState) func(context.Context, peer.ID, *pubsub.Message) pubsub.ValidationResult {
	return func(ctx context.Context, from peer.ID, msg *pubsub.Message) (result pubsub.ValidationResult) {
		local := from == n.host.ID()
		if len(msg.Data) > ts.spec.Limit {
			if !local {
				n.Penalize(from, PenaltyOversized, "oversized gossip on "+ts.spec.Name)
			}
			return pubsub.ValidationReject
		}
		v := ts.validator.Load()
		if v == nil {
			if local {
				return pubsub.ValidationAccept
			}
			return pubsub.ValidationIgnore
		}
		defer func() {
			if r := recover(); r != nil {
				n.log.Error("panic in topic validator", "topic", ts.spec.Name, "peer", from, "panic", r)
				result = pubsub.ValidationIgnore
			}
		}()
		value, verdict := (*v)(ctx, from, msg.Data)
		switch verdict {
		case Accept:
			msg.ValidatorData = value
			return pubsub.ValidationAccept
		case Reject:
			if !local {
				n.Penalize(from, PenaltyRejected, "gossip rejected on "+ts.spec.Name)
			}
			return pubsub.ValidationReject
		default:
			return pubsub.ValidationIgnore
		}
	}
}

// Subscribe joins topic, validates its messages with v and hands the accepted ones
// from other peers to h (our own publications are not handed back). Messages are
// relayed only after v accepts them. One subscription per topic.
func (n *Network) Subscribe(topic string, v Validator, h MessageHandler) error {
	if v == nil || h == nil {
		return fmt.Errorf("%w: subscribe %s: nil validator or handler", ErrBadConfig, topic)
	}
	ts, err := n.join(topic)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return ErrClosed
	}
	if ts.sub != nil {
		return fmt.Errorf("%w: topic %s", ErrAlreadyRegistered, topic)
	}
	ts.validator.Store(&v)
	sub, err := ts.topic.Subscribe(pubsub.WithBufferSize(n.cfg.GossipBuffer))
	if err != nil {
		ts.validator.Store(nil)
		return fmt.Errorf("subscribe %s: %w", topic, err)
	}
	ctx, cancel := context.WithCancel(n.ctx)
	ts.sub, ts.cancel = sub, cancel
	n.wg.Add(1)
	go n.deliver(ctx, ts.spec.Name, sub, h)
	return nil
}

// deliver hands a subscription's messages to h, one at a time.
func (n *Network) deliver(ctx context.Context, topic string, sub *pubsub.Subscription, h MessageHandler) {
	defer n.wg.Done()
	self := n.host.ID()
	for {
		msg, err := sub.Next(ctx)
		if err != nil {
			return
		}
		if msg.ReceivedFrom == self {
			continue
		}
		m := Message{
			Topic: topic,
			From:  msg.ReceivedFrom,
			Data:  msg.Data,
			Value: msg.ValidatorData,
		}
		func() {
			defer n.recoverTo("gossip handler", m.From, nil)
			h(ctx, m)
		}()
	}
}

// Unsubscribe stops delivering topic's messages; a handler call under way may finish.
// The topic stays joined, so Publish still works.
func (n *Network) Unsubscribe(topic string) error {
	n.mu.Lock()
	ts, ok := n.topics[topic]
	if !ok || ts.sub == nil {
		n.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrNotSubscribed, topic)
	}
	stop := ts.unsubscribeLocked()
	n.mu.Unlock()
	stop()
	return nil
}

// Publish validates data with the topic's validator and sends it to the topic's peers.
// Data over the topic's limit is refused with ErrTooLarge.
func (n *Network) Publish(ctx context.Context, topic string, data []byte) error {
	spec, ok := n.protos.Topic(topic)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownTopic, topic)
	}
	if len(data) > spec.Limit {
		return fmt.Errorf("publish on %s: %w: %d bytes, limit %d", topic, ErrTooLarge, len(data), spec.Limit)
	}
	ts, err := n.join(topic)
	if err != nil {
		return err
	}
	if err := ts.topic.Publish(ctx, data); err != nil {
		var verr pubsub.ValidationError
		if errors.As(err, &verr) {
			return fmt.Errorf("publish on %s: %w (%s)", topic, ErrRejected, verr.Reason)
		}
		return fmt.Errorf("publish on %s: %w", topic, err)
	}
	return nil
}

// TopicPeers lists the peers we know to be subscribed to topic.
func (n *Network) TopicPeers(topic string) []peer.ID { return n.ps.ListPeers(topic) }
