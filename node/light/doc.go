// Package light is the light node (docs/light.md): it follows the certified
// chain by verifying trustee certificates (never re-executing blocks), mines a ticket
// each epoch when the governor allows, holds the user's wallet and keeps the earnings
// ledger, acts as the user's buyer and provider in the compute market (carrying out
// what node/market's Decide says; market.go, provider.go, buyer.go, plumbing.go), and
// offers all of it to the desktop app and the CLI as one Go API. It relays on the blocks topic
// only the blocks whose certificates it verified.
//
// The files follow the node's jobs: node.go starts and stops it and reports its
// status; sync.go validates gossip, catches up from trustees and commits verified
// blocks; mining.go mines and submits the epoch's ticket; lottery.go keeps the draws
// the node saw; trustees.go lists the trustee set and its peers; follow.go is the
// verifying core; wallet.go and ledger.go hold the keys and the earnings.
//
// The verifying core, Follower, does no I/O: it is fed certified blocks and says which
// ones extend the chain it trusts. Trust starts at the genesis of the network file and
// moves only along certificates: a block is accepted when its parent is the trusted tip,
// its body matches its header and a quorum of the trustee set the parent named signed
// it. A trustee-set change is accepted only when the new set hashes to what the last
// trusted header committed to (Header.NextTrusteeSetHash).
package light
