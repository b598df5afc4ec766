package light

import "errors"

// Errors of the light node. Each wraps the detail of what was refused.
var (
	// ErrNotNext: the block does not extend the trusted tip (wrong height, parent or chain).
	ErrNotNext = errors.New("block does not extend the trusted chain")
	// ErrBadBlock: the block's body or certificate does not check out.
	ErrBadBlock = errors.New("block refused")
	// ErrTrusteeSet: the block names a trustee set the follower cannot verify.
	ErrTrusteeSet = errors.New("trustee set not verifiable")
)

// ErrCorrupt: a stored record does not decode; the data directory is damaged.
var ErrCorrupt = errors.New("stored record corrupt")
