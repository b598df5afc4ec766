// Package trustee is the full node that trustee operators run (docs/trustee.md): it
// drives the I-BFT state machine of node/ibft over the network, certifies one block per
// epoch, keeps the chain in node/store and serves light nodes.
//
// The process follows CometBFT's split:
//
//   - Reactors (reactor.go) run on the network's goroutines. They decode every message
//     (refusing first any encoding that would decode far larger than it is, see
//     wire.CheckDecodeCost), run ValidateBasic and the cheap checks at the edge, penalize peers
//     that send invalid bytes, and hand what is left to the state goroutine over one
//     channel.
//     Consensus messages to each trustee go out in order on one long-lived stream.
//     One signature cache (keys.SigCache) serves the reactors, the mempool, the ticket
//     pool and the machine, so each signature is checked once, where it is met first.
//   - The state goroutine (Trustee.Run) alone owns the ibft.Machine, the ticket pool
//     and the DCC calibrator. It ticks the machine every TickInterval on an injected
//     clock while the epoch is decided, and every half second while it only collects
//     tickets (the end of the window and the machine's timeouts wake it on time, inputs
//     at once), closes the epoch when the DCC admission window (Φ + Δ from its own
//     receipt of the previous block) ends, and acts on the machine's Ready: it appends the
//     records to the write-ahead log (store.WAL, durable) before a vote that carries
//     them is sent (reports and proposals go out while the write runs), commits a
//     certified block by a record of it in the same log (walrecord.go) and then stores
//     it in the database, and publishes it on the blocks topic. Inputs that arrive together are handled together, so one Ready and
//     one write to the log answer them all. A consensus message the machine refuses as
//     invalid in itself (a bad signature, another chain, a signer outside the set)
//     costs the peer that sent it, as invalid bytes do at the edge.
//   - The mempool (mempool.go) holds transactions nonce-ordered per sender under size
//     caps; it rejects at the edge any transaction that does not apply to the committed
//     state and drops the included ones after each commit. It is the machine's
//     ibft.Mempool.
//   - Services (services.go) answer light nodes: certified blocks by height, account
//     proofs against the certified state, submission of transactions and KeyBlocks, and
//     a clock sample. Their bytes are the canonical CBOR of node/wire's messages.
//     market.go adds the market's part: state proofs of providers and deals, the
//     content directory (and keeping blobs for their owners) and mediation.
//
// # Files of a trustee
//
// A trustee's configuration (config.json, see Config) names its key file, data
// directory, listen addresses, network file and metrics address. The key file is a
// node/keys key file (keys.SaveKeyFile, keys.LoadKeyFile): the trustee's ed25519 seed
// in JSON, like CometBFT's priv_validator_key.json, with mode 0600; it is refused when
// others may read it (on systems with Unix permissions), since whoever holds the seed
// signs votes in the trustee's name. The data directory holds chain.db (blocks and
// state) and beside it chain.db.wal (the consensus write-ahead log).
//
// # Observability
//
// Logs are structured (log/slog). Metrics are Prometheus gauges and counters on the
// trustee's own registry (daoli_chain_height, daoli_round, daoli_votes_total,
// daoli_peers, daoli_mempool_txs, daoli_certification_seconds); ServeHTTP's handler
// serves them at /metrics next to a small status page at /.
package trustee
