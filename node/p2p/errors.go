package p2p

import "errors"

var (
	// ErrTooLarge reports a frame, message or response over the limit of its protocol or
	// topic. From the network it costs the sender PenaltyOversized.
	ErrTooLarge = errors.New("message too large")
	// ErrMalformed reports bytes that do not form a valid frame: a bad length prefix, a
	// truncated body, data after the one frame a stream carries, or an unknown response
	// status. From the network it costs the sender PenaltyMalformed.
	ErrMalformed = errors.New("malformed frame")
	// ErrBadInput is returned (wrapped) by request and message handlers to say the
	// peer sent something invalid; the sender is penalized with PenaltyBadInput.
	ErrBadInput = errors.New("bad input from peer")
	// ErrRemote reports a request the remote handler answered with an error; the text
	// of that error follows in the wrapped message.
	ErrRemote = errors.New("remote error")
	// ErrUnknownProtocol reports a stream protocol not defined in protocol.go for this
	// chain, or used in the wrong way (a one-way protocol used for a request).
	ErrUnknownProtocol = errors.New("unknown protocol")
	// ErrUnknownTopic reports a gossip topic not defined in protocol.go for this chain.
	ErrUnknownTopic = errors.New("unknown topic")
	// ErrBadChainID reports a chain ID that cannot scope protocol IDs.
	ErrBadChainID = errors.New("invalid chain ID")
	// ErrBanned reports a peer in the penalty box.
	ErrBanned = errors.New("peer is banned")
	// ErrTooManyStreams reports a peer that already has as many open streams with us as
	// the limit allows.
	ErrTooManyStreams = errors.New("too many concurrent streams with peer")
	// ErrBusy reports that the node's budget for inbound message bytes is spent.
	ErrBusy = errors.New("inbound message budget exhausted")
	// ErrRejected reports a local publication that the topic validator refused.
	ErrRejected = errors.New("message rejected by topic validator")
	// ErrAlreadyRegistered reports a second handler or subscription for one protocol or
	// topic.
	ErrAlreadyRegistered = errors.New("already registered")
	// ErrNotSubscribed reports an operation on a topic that has no subscription.
	ErrNotSubscribed = errors.New("not subscribed")
	// ErrClosed reports use of a Network after Close.
	ErrClosed = errors.New("network closed")
	// ErrBadConfig reports a configuration that cannot work.
	ErrBadConfig = errors.New("invalid p2p configuration")
	// ErrBadPeerID reports a peer ID that does not embed an ed25519 public key.
	ErrBadPeerID = errors.New("peer ID is not an ed25519 identity")
	// ErrNoBootstrap reports that none of the bootstrap peers could be reached.
	ErrNoBootstrap = errors.New("no bootstrap peer reachable")
)
