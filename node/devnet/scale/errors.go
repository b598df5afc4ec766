package scale

import "errors"

var (
	// ErrBadOptions reports options a run cannot start with.
	ErrBadOptions = errors.New("invalid scale options")
	// ErrTimeout reports a run that did not reach a stage in time: the trustees did
	// not certify, or the light nodes did not catch up.
	ErrTimeout = errors.New("scale run timed out")
	// ErrTrusteeExited reports a trustee process that ended during a run.
	ErrTrusteeExited = errors.New("trustee process exited")
	// ErrProc reports a /proc file that could not be read or parsed.
	ErrProc = errors.New("proc file")
)
