package compute

import "errors"

var (
	// ErrInvalidModule: the bytes are not a WASI preview 1 module this sandbox runs.
	ErrInvalidModule = errors.New("invalid module")
	// ErrLimits: the job's limits are outside what the sandbox allows.
	ErrLimits = errors.New("job limits out of range")
)

var (
	// ErrWorker: the worker process ended without a result.
	ErrWorker = errors.New("job worker failed")
	// ErrNotSupported: pausing workers is not available on this system.
	ErrNotSupported = errors.New("not supported on this system")
)

var (
	// ErrTreeFormat: the bytes are not a well-formed tree (tree.go).
	ErrTreeFormat = errors.New("malformed tree")
	// ErrTreePath: a tree entry's path is absolute, climbs out with "..", is not clean
	// or passes the name bounds.
	ErrTreePath = errors.New("bad path in tree")
	// ErrTreeSize: a directory holds more bytes than may be packed (tree.go).
	ErrTreeSize = errors.New("tree too large")
	// ErrTreeDuplicate: a tree names one path twice.
	ErrTreeDuplicate = errors.New("duplicate path in tree")
	// ErrDirNotEmpty: a directory to write a tree into already holds something.
	ErrDirNotEmpty = errors.New("directory not empty")
)
