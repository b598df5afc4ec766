package content

import "errors"

var (
	// ErrNotFound: the blob is not here.
	ErrNotFound = errors.New("content not found")
	// ErrTooLarge: the blob is larger than allowed.
	ErrTooLarge = errors.New("content too large")
	// ErrHashMismatch: the bytes received do not hash to the name asked for.
	ErrHashMismatch = errors.New("content does not match its hash")
	// ErrBadRequest: a malformed content request or response.
	ErrBadRequest = errors.New("bad content message")
)
