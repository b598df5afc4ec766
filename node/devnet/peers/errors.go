package peers

import "errors"

var (
	// ErrTOML reports a config.toml edit that found no such section or key.
	ErrTOML = errors.New("toml edit")
	// ErrRPC reports a CometBFT RPC answer that is an error or cannot be read.
	ErrRPC = errors.New("cometbft rpc")
	// ErrBench reports a go test benchmark line that cannot be read.
	ErrBench = errors.New("benchmark output")
	// ErrTimeout reports a stage that did not finish in time.
	ErrTimeout = errors.New("peers run timed out")
	// ErrMismatch reports runtimes whose outputs for the same job differ.
	ErrMismatch = errors.New("outputs differ")
)

// ErrProc reports a /proc file that cannot be read.
var ErrProc = errors.New("proc file")
