package batch

import "errors"

// Errors of batch requests and records.
var (
	// ErrRequest: a batch that cannot be run as asked (no tasks, too many, a bad name).
	ErrRequest = errors.New("batch request")
	// ErrCorrupt: a stored batch record that does not decode.
	ErrCorrupt = errors.New("batch record corrupt")
)
