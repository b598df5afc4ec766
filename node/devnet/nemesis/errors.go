package nemesis

import "errors"

var (
	// ErrNotRoot reports a run without the privileges namespaces and iptables need.
	ErrNotRoot = errors.New("the nemesis harness needs root (network namespaces, a bridge, iptables, tmpfs)")
	// ErrMissingTool reports a command the harness needs that is not installed.
	ErrMissingTool = errors.New("missing tool")
	// ErrBadConfig reports options that cannot make a run.
	ErrBadConfig = errors.New("invalid nemesis configuration")
	// ErrCheck reports a property the checker found broken.
	ErrCheck = errors.New("check failed")
)
