// Package ibft is I-BFT, the agreement among trustees on one block per epoch
// (docs/ibft.md), written as a pure state machine in the style of etcd's raft: it starts
// no goroutines, reads no clock, opens no socket and touches no disk.
//
// A trustee's driver (node/trustee) feeds it four kinds of input:
//
//   - Step(msg): a Report, Proposal or Vote from another trustee, or a Certified block.
//     Every message passes ValidateBasic, the signature check and the membership check
//     at the edge; invalid input returns an error and changes nothing.
//   - CloseEpoch(epoch, tickets, admitted): the collect window of the epoch (Φ + Δ by the
//     trustee's own decentralized clock) has closed; the machine reports its luckiest
//     tickets and starts round 0.
//   - Tick(now): time. Timeouts are deadlines computed from the last now and grow with
//     the round; nothing else in the package knows what time it is.
//   - Sync(block, cert): a certified block fetched from elsewhere, for a trustee that
//     fell behind.
//
// A driver that has several messages waiting may hand them to Preverify first, which
// checks their signatures in one batch; Config.SigCache remembers every signature and
// VRF proof checked, so none is checked twice (a vote on receipt and again in the next
// block's certificate, a ticket at the driver's edge and again in a report and a block).
//
// The driver collects the output with Ready and Advance: records to append to the
// write-ahead log (every report, proposal and vote the trustee signed; a vote must be
// durable before it is sent, while reports and proposals may go ahead of their record,
// see Outbound.Early), messages to send, committed blocks with their certificates,
// and evidence of equivocation.
//
// Each epoch runs Tendermint ("The latest gossip on BFT consensus", Buchman, Kwon and
// Milosevic, 2018, Algorithm 1) over one value: the block the round's leader builds
// from the union of a quorum of Reports. A trustee prevotes a block only if the winner
// and payroll are exactly what the luck rule yields on the union of the reports the
// proposal carries and chain.Apply accepts it; locking, proofs of lock, round skips and
// the three timeouts follow the paper. Where the paper leaves room, the choices are:
// a quorum is n−f votes (which is 2f+1 when n = 3f+1); an equivocator's votes count
// for each block they name, as the paper counts messages; and a proof of lock learned
// after its round updates the valid block, never the lock.
//
// The machine persists nothing itself: New replays the records the driver saved, so
// that after a crash the trustee keeps its lock and never signs two different votes
// for one kind, epoch and round.
//
// A trustee that falls behind is brought along three ways: a trustee that decided an
// epoch hands the certified block to any trustee still deciding it a resend interval
// later (as CometBFT sends its last commit to peers at the previous height); messages
// of the next epoch are buffered and replayed; and when f+1 trustees have been seen in
// a later epoch for a while, Ready asks the driver to sync certified blocks.
// Everything a trustee signed in the epoch is sent again every resend interval, and
// the prevotes behind a locked block are relayed to trustees that show they missed
// them, so lost messages and Byzantine trustees that send to a few only do not stall
// a round.
//
// Byzantine behaviour is tested the CometBFT way: Config.Hooks replaces what a trustee
// sends (its report, proposal, prevote or precommit) while its own state stays honest.
package ibft
