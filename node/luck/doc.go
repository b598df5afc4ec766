// Package luck is the Consensus of Luck (docs/design.md §Tickets): KeyBlock tickets
// whose luck is a VRF output, admitted by an eased proof of work, one per key per epoch.
//
// It builds on node/chain, which defines the KeyBlock, its encoding, its signature and
// VRF checks, the work function and the retargeting step. This package adds what uses
// them:
//
//   - Lottery: one epoch's draw (chain, epoch, parent, target); it verifies a KeyBlock
//     into a Ticket, telling a bad VRF proof from a bad signature, a wrong epoch or
//     parent, and work above the target.
//   - Pool: a trustee's admitted tickets of one epoch, with duplicates ignored,
//     equivocation (two tickets from one key) detected and punished by dropping the
//     key, and lateness judged by the decentralized clock (node/dcc).
//   - SelectWinner: the winner-and-payroll rule over the union of candidate sets, in a
//     total order (luck, then ticket hash), so every trustee derives the same block.
//   - NextTarget: retargeting toward K* from certified headers only.
//   - Miner: the eased proof of work. It hashes from a SHA-256 midstate (the fixed
//     prefix once, then one compression per nonce), stops at the first admitted nonce,
//     splits the nonce space over its workers, reports its hash rate, stops when its
//     context is cancelled and parks its workers while paused. Each worker passes its
//     Throttle (the sharing governor's) before every batch, so the miner keeps to the
//     cores and duty the governor allows.
//   - ExpectedWins: a key's chance to win per epoch and per day from recent certified
//     blocks, for the dashboard to show beside the actual wins.
//
// Luck does not depend on the nonce, so hashing more never makes a ticket luckier:
// among the tickets admitted in an epoch each wins with the same chance. Hashing more
// does make admission likelier, 1 − (1 − p)^attempts, until it is near certain
// (TestLuckNotHashPower measures both at the target retargeting converges to).
//
// Apart from the miner's workers the package starts no goroutines and does no I/O;
// time comes in as arguments or through an injected clock.
package luck
