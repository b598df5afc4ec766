package dcc

import "errors"

var (
	// ErrBadConfig reports a cycle, Φ or Δ that is not positive.
	ErrBadConfig = errors.New("dcc: invalid configuration")
	// ErrStale reports a block at or below the newest epoch already observed.
	ErrStale = errors.New("dcc: block not newer than the last observed")
	// ErrTimeNotAfter reports a certified time that does not exceed the previous block's.
	ErrTimeNotAfter = errors.New("dcc: certified time does not advance")
	// ErrClockBackwards reports a local receive time earlier than the previous one.
	ErrClockBackwards = errors.New("dcc: local clock went backwards")
	// ErrNoBlocks reports a question that needs at least one observed block.
	ErrNoBlocks = errors.New("dcc: no block observed yet")
)
