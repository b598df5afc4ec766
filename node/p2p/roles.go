package p2p

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"
)

// The Network plays several roles; callers depend on the small interface of the role
// they need, so their tests can pass a fake.

// Broadcaster publishes on gossip topics.
type Broadcaster interface {
	Publish(ctx context.Context, topic string, data []byte) error
}

// Subscriber receives validated gossip.
type Subscriber interface {
	Subscribe(topic string, v Validator, h MessageHandler) error
	Unsubscribe(topic string) error
}

// Requester asks a peer and waits for its answer.
type Requester interface {
	Request(ctx context.Context, p peer.ID, proto protocol.ID, req []byte) ([]byte, error)
}

// Responder answers requests.
type Responder interface {
	Handle(proto protocol.ID, h RequestHandler, opts ...HandleOption) error
}

// Sender sends one-way messages to a peer.
type Sender interface {
	Send(ctx context.Context, p peer.ID, proto protocol.ID, msg []byte) error
}

// DirectReceiver receives one-way messages.
type DirectReceiver interface {
	HandleDirect(proto protocol.ID, h DirectHandler, opts ...HandleOption) error
}

// StreamSender sends one-way messages on a long-lived stream per peer.
type StreamSender interface {
	SendStream(ctx context.Context, p peer.ID, proto protocol.ID, msg []byte) error
}

// StreamReceiver receives one-way messages from long-lived streams.
type StreamReceiver interface {
	HandleStream(proto protocol.ID, h DirectHandler, opts ...HandleOption) error
}

// PeerManager knows the connected peers and keeps the penalty box.
type PeerManager interface {
	Self() peer.ID
	Peers() []PeerInfo
	Connect(ctx context.Context, ai peer.AddrInfo) error
	Penalize(p peer.ID, points float64, reason string)
	Banned(p peer.ID) bool
	Protect(p peer.ID, tag string)
	Unprotect(p peer.ID, tag string)
	// Connected reports whether a connection with p is open; Disconnect closes them
	// all; Addrs lists the addresses p is known by.
	Connected(p peer.ID) bool
	Disconnect(p peer.ID)
	Addrs(p peer.ID) []ma.Multiaddr
}

var (
	_ Broadcaster    = (*Network)(nil)
	_ Subscriber     = (*Network)(nil)
	_ Requester      = (*Network)(nil)
	_ Responder      = (*Network)(nil)
	_ Sender         = (*Network)(nil)
	_ DirectReceiver = (*Network)(nil)
	_ StreamSender   = (*Network)(nil)
	_ StreamReceiver = (*Network)(nil)
	_ PeerManager    = (*Network)(nil)
)

// ValidationResult is a topic validator's verdict on a gossip message.
type ValidationResult int

const (
	// Accept delivers the message to the subscriber and relays it.
	Accept ValidationResult = iota
	// Reject drops the message and penalizes the peer that relayed it: use it for
	// messages that are invalid in themselves (bad encoding, bad signature).
	Reject
	// Ignore drops the message without penalty: use it for messages that may be valid
	// but are of no use now (a KeyBlock for a past epoch, a duplicate).
	Ignore
)

func (r ValidationResult) String() string {
	switch r {
	case Accept:
		return "accept"
	case Reject:
		return "reject"
	case Ignore:
		return "ignore"
	}
	return "unknown"
}

// Validator checks a gossip message before it is delivered or relayed. from is the peer
// that relayed it to us. It may return the decoded message as value, which reaches the
// handler as Message.Value, so nothing is decoded twice. Validators run concurrently.
type Validator func(ctx context.Context, from peer.ID, data []byte) (value any, result ValidationResult)

// Message is a gossip message that passed validation.
type Message struct {
	Topic string
	// From is the peer that relayed the message to us. Gossip messages carry no
	// author, so who published one is not known.
	From peer.ID
	Data []byte
	// Value is what the validator returned with Accept.
	Value any
}

// MessageHandler receives the validated messages of one topic, one at a time. A handler
// that falls behind loses messages rather than stalling the topic.
type MessageHandler func(ctx context.Context, msg Message)

// RequestHandler answers one request from peer from. An error wrapping ErrBadInput
// penalizes the peer. The text of any error is sent back to the peer, so it should not
// carry secrets.
type RequestHandler func(ctx context.Context, from peer.ID, req []byte) ([]byte, error)

// DirectHandler receives one one-way message from peer from. An error wrapping
// ErrBadInput penalizes the peer; other errors are only logged.
type DirectHandler func(ctx context.Context, from peer.ID, msg []byte) error

// HandleOption tunes a stream handler.
type HandleOption func(*handleOptions)

type handleOptions struct {
	allow func(peer.ID) bool
}

// AllowPeers restricts a protocol to the peers for which allow returns true; streams
// from others are reset before a byte is read. Trustees restrict the consensus
// protocol to the current trustee set this way.
func AllowPeers(allow func(peer.ID) bool) HandleOption {
	return func(o *handleOptions) { o.allow = allow }
}

// PeerInfo is what the Network screen shows of a connected peer.
type PeerInfo struct {
	ID        peer.ID
	Addrs     []ma.Multiaddr // remote addresses of the open connections
	Direction network.Direction
	Opened    time.Time // when the oldest open connection was opened
	Latency   time.Duration
	Penalty   float64
	Protected bool
}
