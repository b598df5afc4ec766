package devnet

import "errors"

var (
	// ErrBadOptions reports options that cannot make a network.
	ErrBadOptions = errors.New("invalid devnet options")
	// ErrNoTrustees reports a directory without trustee configurations.
	ErrNoTrustees = errors.New("no trustees in devnet directory")
	// ErrNoMetric reports a trustee's metrics without the one asked for.
	ErrNoMetric = errors.New("no such metric")
	// ErrEquivocation reports a trustee's write-ahead log holding two different
	// records for one slot: two votes, proposals or reports, or two commits of a height.
	ErrEquivocation = errors.New("conflicting signed records")
)
