package wire

import "errors"

var (
	// ErrBadRequest reports a message that does not decode or makes no sense.
	ErrBadRequest = errors.New("bad request")
	// ErrBloated reports an encoding that would take far more memory decoded than its
	// size, as long arrays of empty items do; no valid message is like that.
	ErrBloated = errors.New("encoding would decode far larger than its size")
)
