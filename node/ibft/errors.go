package ibft

import "errors"

// Decoders wrap chain.ErrTooLarge, chain.ErrMalformed and chain.ErrNonCanonical, the
// project's decoding errors, so one errors.Is check covers every wire type.

// Errors of messages rejected at the edge.
var (
	ErrBadMessage   = errors.New("malformed message")
	ErrWrongChain   = errors.New("wrong chain ID")
	ErrBadSignature = errors.New("bad signature")
	ErrNotTrustee   = errors.New("not a trustee of the epoch")
	ErrNotLeader    = errors.New("proposal not from the round's leader")
	ErrPastEpoch    = errors.New("epoch already decided")
	ErrFutureEpoch  = errors.New("epoch too far ahead")
	ErrBadReport    = errors.New("invalid report")
	ErrConflict     = errors.New("conflicts with a message already held")
	ErrTooMany      = errors.New("too many messages from one trustee")
)

// Errors of the driver's inputs.
var (
	ErrBadConfig   = errors.New("invalid configuration")
	ErrBadRecord   = errors.New("invalid write-ahead log record")
	ErrEpochClosed = errors.New("epoch already closed")
	ErrBadSync     = errors.New("block does not sync")
)

// errWrongSelection explains why a block is not valid: its winner, payroll or ticket
// count differs from the rule applied to its reports. It never leaves the package.
var errWrongSelection = errors.New("winner or payroll differs from the luck rule")
