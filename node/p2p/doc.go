// Package p2p is the wire layer of every Daoli node (docs/p2p.md): trustees and light
// nodes, the market's buyers and providers among them. It moves bytes between peers and
// keeps misbehaving peers out; it knows nothing of blocks, votes or balances. Callers
// (node/trustee, node/light) plug in the decoding and the judgement: topic validators,
// request handlers and one-way message handlers.
//
// The pieces:
//
//   - protocol.go names every stream protocol, gossip topic and DHT prefix, and sets
//     every size limit. It is the one file to read to know what a Daoli node says on the
//     wire, and the one file to change to add to it: nothing else in the project may
//     spell a protocol ID or topic. All are versioned and scoped by chain ID
//     (/daoli/<chain>/sync/1.0.0, /daoli/<chain>/blocks, …), so two chains never mix.
//   - NewHost builds the libp2p host (TCP and QUIC, Noise, Yamux, resource manager,
//     connection manager, relay and hole punching as the role needs) with the node's
//     ed25519 key as its identity. PeerID maps a genesis trustee key to its peer ID.
//   - Network is built on an injected host, so tests hand it mocknet hosts. It runs
//     gossipsub with one validator per topic (Accept, Reject, Ignore), request/response
//     streams (Handle, Request), one-way streams (HandleDirect, Send) and long-lived
//     streams of one-way messages (HandleStream, SendStream; session.go) with framed,
//     size-limited messages, the Kademlia DHT under our own prefix, mDNS, and the list
//     of connected peers with their latency. Callers depend on the small role
//     interfaces in roles.go (Broadcaster, Requester, PeerManager, …), not on Network.
//   - The PenaltyBox scores peers that send invalid data — an oversized or malformed
//     frame, a message a validator rejects, a request a handler finds bad — and bans a
//     peer whose score reaches the threshold: it is disconnected and, as the host's
//     connection gater, kept out until the ban ends.
//
// Bytes from the network never panic the process and never make it allocate more than
// the limit of the protocol they arrived on: a frame's length is checked before its
// body is read, the body buffer grows only as bytes arrive, inbound frames and gossip
// RPCs share one byte budget (gossipsub makes an RPC's buffer whole, so its length is
// charged before gossipsub reads it; see gossipStream), each peer has a bounded number
// of streams open, and every exchange has a deadline.
package p2p
