package control

import "errors"

var (
	// ErrNoNode: no node serves this data directory.
	ErrNoNode = errors.New("no daoli node is running for this data directory")
	// ErrRunning: another node already serves this data directory.
	ErrRunning = errors.New("a daoli node is already running for this data directory")
	// ErrRemote: the node answered with an error.
	ErrRemote = errors.New("node")
	// ErrNotOurs: the control pipe belongs to another user (Windows).
	ErrNotOurs = errors.New("the control pipe belongs to another user")
	// ErrBadRequest: a request the node refused as malformed.
	ErrBadRequest = errors.New("bad request")
)
