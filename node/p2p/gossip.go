package p2p

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync/atomic"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
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

// startGossip starts gossipsub on our own router protocol, with content-addressed
// message IDs (the same transaction published by two nodes is one message), a wire
// limit just above the largest topic's, and flood publishing: our own messages go to
// every subscribed peer, not only the mesh, so a KeyBlock published right after joining
// is not lost while the mesh forms, and no handful of mesh peers can sit on it.
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
		pubsub.WithMessageIdFn(messageID),
		pubsub.WithPeerFilter(func(p peer.ID, _ string) bool { return !n.box.Banned(p) }),
		pubsub.WithLogger(n.log.With("component", "gossipsub")),
	}
	if n.cfg.GossipParams != nil {
		opts = append(opts, pubsub.WithGossipSubParams(*n.cfg.GossipParams))
	}
	ps, err := pubsub.NewGossipSub(n.ctx, n.host, opts...)
	if err != nil {
		return fmt.Errorf("gossipsub: %w", err)
	}
	n.ps = ps
	return nil
}

// messageID names a message by its topic and content.
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
			Topic:  topic,
			From:   msg.ReceivedFrom,
			Origin: msg.GetFrom(),
			Data:   msg.Data,
			Value:  msg.ValidatorData,
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
