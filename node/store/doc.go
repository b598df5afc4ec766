// Package store keeps a node's chain on disk in one bbolt database: the blocks by
// height with an index by hash, the certificate of every block, the leaves of the
// state at the tip, the tip itself and the earnings ledger of a light node. schema.go
// names every bucket and key. A trustee's consensus write-ahead log is beside the
// database, in segment files of its own (wal.go).
//
// A block is committed in one bbolt transaction together with its certificate, the
// state keys it wrote and the new tip, and bbolt fsyncs before the commit returns. A
// crash, kill -9 included, therefore leaves either the old tip or the new one with
// everything that belongs to it, never half a block. CheckConsistency verifies that
// promise and LoadState rebuilds the tip's state, checked against its certified root.
//
// Only one process may hold the database: Open waits a short while for the file lock
// and then returns ErrLocked, so a second daoli says so instead of hanging.
//
// Stored bytes are decoded with node/chain's strict decoders; anything that does not
// decode or does not fit together is reported as ErrCorrupt, never a panic.
package store
