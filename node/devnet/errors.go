package devnet

import "errors"

var (
	// ErrBadOptions reports options that cannot make a network.
	ErrBadOptions = errors.New("invalid devnet options")
	// ErrNoTrustees reports a directory without trustee configurations.
	ErrNoTrustees = errors.New("no trustees in devnet directory")
)
