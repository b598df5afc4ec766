package capacity

import "errors"

var (
	// ErrUnknown reports that a probe cannot measure a value on this machine: the
	// platform has no such sensor, or the service that would know is not running.
	ErrUnknown = errors.New("unknown")
	// ErrInvalidSettings reports sharing settings that contradict themselves or the
	// machine; the message says which rule and why.
	ErrInvalidSettings = errors.New("invalid sharing settings")
	// ErrNotFound reports a store that holds nothing yet.
	ErrNotFound = errors.New("not found")
	// ErrCorrupt reports stored bytes that do not decode.
	ErrCorrupt = errors.New("corrupt")
	// ErrUnsupported reports an enforcement the platform cannot do.
	ErrUnsupported = errors.New("not supported on this platform")
)
