package store

import "errors"

var (
	// ErrLocked reports that another process holds the database.
	ErrLocked = errors.New("database locked")
	// ErrCorrupt reports stored data that does not decode or does not fit together.
	ErrCorrupt = errors.New("store corrupt")
	// ErrSchema reports a database written with another schema version.
	ErrSchema = errors.New("unsupported store schema")
	// ErrNotInitialized reports a store without a genesis yet (see Init).
	ErrNotInitialized = errors.New("store has no genesis")
	// ErrGenesisMismatch reports an Init with a genesis other than the stored one.
	ErrGenesisMismatch = errors.New("store holds another chain")
	// ErrNotFound reports a height, hash or record the store does not hold.
	ErrNotFound = errors.New("not found")
	// ErrNotNext reports a block that does not extend the stored tip.
	ErrNotNext = errors.New("block does not extend the tip")
	// ErrWALClosed reports a use of the write-ahead log after its store closed.
	ErrWALClosed = errors.New("the WAL is closed")
	// ErrMismatch reports a block, certificate and state that do not belong together.
	ErrMismatch = errors.New("block, certificate and state do not match")
)
