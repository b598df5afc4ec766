package p2p

import (
	"fmt"
	"strings"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// This file is the only place that names a Daoli protocol ID, gossip topic or DHT
// prefix, and the only place that sets their size limits. Everything is scoped by chain
// ID, so nodes of two chains that meet never exchange a byte of application data, and
// versioned, so a new wire format is a new ID served next to the old one.

// Version of every stream protocol below. Bump one protocol's version when its bytes
// change; a node may serve both versions while the network upgrades.
const protocolVersion = "1.0.0"

// envelope is the room a message may take beyond the chain object it carries (a
// height, a kind byte, a few hashes).
const envelope = 4 << 10

// Size limits, in bytes, of what a peer may send us. A stream frame or a gossip message
// over its limit is refused before it is decoded and costs the sender PenaltyOversized.
const (
	// KeyBlockTopicLimit: one encoded KeyBlock.
	KeyBlockTopicLimit = chain.MaxKeyBlockSize
	// TxTopicLimit: one encoded transaction.
	TxTopicLimit = chain.MaxTxSize
	// BlockTopicLimit: one block with its certificate.
	BlockTopicLimit = chain.MaxBlockSize + chain.MaxCertSize + envelope
	// OfferTopicLimit: one compute-market offer.
	OfferTopicLimit = 16 << 10

	// SyncRequestLimit: a height range or a hash.
	SyncRequestLimit = 1 << 10
	// SyncResponseLimit caps a sync response at one certified block, so a node asks for
	// several blocks with several requests and never buffers more than one.
	SyncResponseLimit = chain.MaxBlockSize + chain.MaxCertSize + envelope
	// ProofRequestLimit: a header hash and a few state keys.
	ProofRequestLimit = 4 << 10
	// ProofResponseLimit: sparse Merkle proofs of 256 siblings for a few keys.
	ProofResponseLimit = 1 << 20
	// SubmitRequestLimit: one transaction or one KeyBlock.
	SubmitRequestLimit = chain.MaxTxSize + envelope
	// SubmitResponseLimit: an acknowledgement or a short reason for refusal.
	SubmitResponseLimit = 1 << 10
	// ClockRequestLimit and ClockResponseLimit: a DCC clock sample is a few integers.
	ClockRequestLimit  = 256
	ClockResponseLimit = 256
	// ConsensusMessageLimit: a Proposal carries a full block and the quorum's Reports.
	ConsensusMessageLimit = chain.MaxBlockSize + 1<<20
	// ContentRequestLimit and ContentResponseLimit: content directory lookups.
	ContentRequestLimit  = 4 << 10
	ContentResponseLimit = 1 << 20

	// AdmitRequestLimit and AdmitResponseLimit: a light node asks a trustee to serve
	// it; the answer is a verdict, a short reason and up to MaxAdmitPeers addresses.
	AdmitRequestLimit  = 256
	AdmitResponseLimit = MaxErrorText + MaxAdmitPeers*(MaxAdmitAddrs*MaxAddrSize+envelope/16) + envelope

	// MaxErrorText bounds the error text a responder sends back with a failed request.
	MaxErrorText = 256
)

// Connections: who holds a connection on whom, and how many. A trustee admits at most
// MaxLights light nodes (its operator may set another figure); each light node keeps
// LightTrustees of them and LightPeers other light nodes, which relay certified
// blocks to it, so a trustee serves LightTrustees × light nodes ÷ trustees of them,
// not all of them. The libp2p limits below are derived from these, so that a light
// node over a trustee's limit is refused by the admit protocol, with its reason,
// rather than reset by the resource manager or trimmed by the connection manager.
const (
	// DefaultMaxLights is how many light nodes a trustee admits unless configured
	// otherwise: at the 0.13 MiB and about 1 ms of CPU per epoch that one costs
	// (docs/scale.md), 512 take about 70 MiB and half a core.
	DefaultMaxLights = 512
	// LightTrustees is how many trustees a light node keeps connections with: two, so
	// that losing one leaves it a trustee to submit to and sync from while it finds
	// another.
	LightTrustees = 2
	// LightPeers is how many other light nodes a light node dials to take part in the
	// blocks' relay: above gossipsub's mesh degree (6), so the mesh fills from its own
	// dials and the dials of others.
	LightPeers = 8
	// MaxAdmitPeers is how many light nodes a trustee names in an admit response,
	// for the asker to dial; MaxAdmitAddrs and MaxAddrSize bound each one's addresses.
	MaxAdmitPeers = 16
	MaxAdmitAddrs = 4
	MaxAddrSize   = 256
	// trusteeRoom is the connections a trustee keeps beyond its light nodes: the other
	// trustees, dials of its own, refused light nodes being told why.
	trusteeRoom = 128
)

// TrusteeConns returns the connection manager's watermarks and the resource
// manager's connection limits for a trustee admitting maxLights light nodes: the
// manager trims only above what the trustee admits, and the resource manager admits
// enough connections that a light node over the limit hears the reason.
func TrusteeConns(maxLights int) (low, high, inbound int) {
	low = maxLights + trusteeRoom/2
	high = maxLights + trusteeRoom
	return low, high, high
}

// gossipOverhead is what gossipsub adds around the messages of an RPC on the wire:
// topics, protobuf tags and control messages.
const gossipOverhead = 64 << 10

// maxGossipRPC is the largest gossipsub RPC we read: the largest topic message plus its
// wrapping. Each topic's own, smaller limit is enforced by its validator.
const maxGossipRPC = BlockTopicLimit + gossipOverhead

// StreamKind says how a stream protocol is used.
type StreamKind int

const (
	// RequestResponse streams carry one request frame and one response frame.
	RequestResponse StreamKind = iota + 1
	// OneWay streams carry one message frame and no answer.
	OneWay
	// Streamed streams carry any number of one-way message frames, in order, and no
	// answer: one long-lived stream per peer and direction (see session.go).
	Streamed
)

// StreamSpec describes one stream protocol.
type StreamSpec struct {
	ID   protocol.ID
	Kind StreamKind
	// RequestLimit bounds the request (or the one-way message).
	RequestLimit int
	// ResponseLimit bounds the response payload; zero for one-way protocols.
	ResponseLimit int
}

// TopicSpec describes one gossip topic.
type TopicSpec struct {
	Name  string
	Limit int
}

// Protocols names every protocol ID and topic of one chain.
type Protocols struct {
	ChainID string

	// Sync serves certified blocks by height.
	Sync protocol.ID
	// Proof serves state proofs against certified headers.
	Proof protocol.ID
	// Submit takes transactions and KeyBlocks from light nodes to trustees.
	Submit protocol.ID
	// Clock answers with a clock sample for DCC calibration.
	Clock protocol.ID
	// Consensus carries Reports, Proposals and votes between trustees (one-way).
	Consensus protocol.ID
	// ConsensusStream carries the same messages as Consensus on one long-lived stream
	// per pair of trustees (streamed), which costs far less per message.
	ConsensusStream protocol.ID
	// Content serves the compute market's content directory.
	Content protocol.ID
	// ContentHost asks a trustee to fetch a blob from the asker and keep it, so that
	// others find it there while its owner is away.
	ContentHost protocol.ID
	// State serves proofs of any state keys (providers, deals) against the certified
	// tip's state root.
	State protocol.ID
	// Admit asks a trustee to serve a light node; a trustee at its limit refuses
	// with its reason (wire.AdmitResponse).
	Admit protocol.ID

	// KeyBlocks, Blocks, Txs and Offers are the gossip topics.
	KeyBlocks string
	Blocks    string
	Txs       string
	Offers    string

	// Gossip is the gossipsub router protocol. It is ours, not the public /meshsub/…,
	// because our message size limit is larger than the public network's, because
	// gossip of one chain must not mix with another's, and because our messages are
	// unsigned (startGossip). Version 2.0.0 is gossipsub v1.2 with unsigned messages;
	// 1.x (…/meshsub/1.2.0) signed them, so the two cannot relay for each other and
	// do not share a protocol.
	Gossip protocol.ID
	// DHTPrefix is the Kademlia protocol prefix; the DHT speaks DHTPrefix + "/kad/1.0.0".
	DHTPrefix protocol.ID
	// DHT is the resulting Kademlia protocol ID (for display and tests).
	DHT protocol.ID
	// MDNSService is the DNS-SD service announced on the LAN.
	MDNSService string
}

// NewProtocols returns the protocol IDs and topics of the chain chainID. Chain IDs follow
// the genesis rule (lower-case letters, digits, '-' and '.'), so they cannot break out
// of their path segment.
func NewProtocols(chainID string) (Protocols, error) {
	if err := checkChainID(chainID); err != nil {
		return Protocols{}, err
	}
	base := "/daoli/" + chainID
	stream := func(name string) protocol.ID { return protocol.ID(base + "/" + name + "/" + protocolVersion) }
	return Protocols{
		ChainID:         chainID,
		Sync:            stream("sync"),
		Proof:           stream("proof"),
		Submit:          stream("submit"),
		Clock:           stream("clock"),
		Consensus:       stream("consensus"),
		ConsensusStream: stream("consensus-stream"),
		Content:         stream("content"),
		ContentHost:     stream("content-host"),
		State:           stream("state"),
		Admit:           stream("admit"),
		KeyBlocks:       base + "/keyblocks",
		Blocks:          base + "/blocks",
		Txs:             base + "/txs",
		Offers:          base + "/offers",
		Gossip:          protocol.ID(base + "/gossip/2.0.0"),
		DHTPrefix:       protocol.ID(base),
		DHT:             protocol.ID(base + "/kad/1.0.0"),
		MDNSService:     "_daoli-" + strings.ReplaceAll(chainID, ".", "-") + "._udp",
	}, nil
}

// Streams lists every stream protocol with its limits.
func (p Protocols) Streams() []StreamSpec {
	return []StreamSpec{
		{ID: p.Sync, Kind: RequestResponse, RequestLimit: SyncRequestLimit, ResponseLimit: SyncResponseLimit},
		{ID: p.Proof, Kind: RequestResponse, RequestLimit: ProofRequestLimit, ResponseLimit: ProofResponseLimit},
		{ID: p.Submit, Kind: RequestResponse, RequestLimit: SubmitRequestLimit, ResponseLimit: SubmitResponseLimit},
		{ID: p.Clock, Kind: RequestResponse, RequestLimit: ClockRequestLimit, ResponseLimit: ClockResponseLimit},
		{ID: p.Consensus, Kind: OneWay, RequestLimit: ConsensusMessageLimit},
		{ID: p.ConsensusStream, Kind: Streamed, RequestLimit: ConsensusMessageLimit},
		{ID: p.Content, Kind: RequestResponse, RequestLimit: ContentRequestLimit, ResponseLimit: ContentResponseLimit},
		{ID: p.ContentHost, Kind: RequestResponse, RequestLimit: ContentRequestLimit, ResponseLimit: ContentRequestLimit},
		{ID: p.State, Kind: RequestResponse, RequestLimit: ProofRequestLimit, ResponseLimit: ProofResponseLimit},
		{ID: p.Admit, Kind: RequestResponse, RequestLimit: AdmitRequestLimit, ResponseLimit: AdmitResponseLimit},
	}
}

// Topics lists every gossip topic with its limit.
func (p Protocols) Topics() []TopicSpec {
	return []TopicSpec{
		{Name: p.KeyBlocks, Limit: KeyBlockTopicLimit},
		{Name: p.Blocks, Limit: BlockTopicLimit},
		{Name: p.Txs, Limit: TxTopicLimit},
		{Name: p.Offers, Limit: OfferTopicLimit},
	}
}

// Stream returns the spec of the stream protocol id.
func (p Protocols) Stream(id protocol.ID) (StreamSpec, bool) {
	for _, s := range p.Streams() {
		if s.ID == id {
			return s, true
		}
	}
	return StreamSpec{}, false
}

// Topic returns the spec of the topic name.
func (p Protocols) Topic(name string) (TopicSpec, bool) {
	for _, t := range p.Topics() {
		if t.Name == name {
			return t, true
		}
	}
	return TopicSpec{}, false
}

// checkChainID applies the genesis rule for chain IDs.
func checkChainID(id string) error {
	if id == "" || len(id) > chain.MaxChainID {
		return fmt.Errorf("%w: %q must be 1 to %d characters", ErrBadChainID, id, chain.MaxChainID)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return fmt.Errorf("%w: %q may hold only a-z, 0-9, '-' and '.'", ErrBadChainID, id)
		}
	}
	return nil
}
