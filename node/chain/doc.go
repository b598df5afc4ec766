// Package chain defines what the Daoli chain is made of and how it changes: blocks,
// KeyBlock tickets, transactions, votes and certificates, their one canonical encoding,
// the genesis file, the state with its sparse Merkle commitment and inclusion proofs,
// and the state transition Apply with the reward split and the supply invariant.
//
// The package does no I/O. Bytes, time and blocks come in as arguments; decisions come
// out. That keeps every rule testable with deterministic simulations and fuzzing.
package chain
