package network

import "errors"

// ErrBadFile reports a network file that is malformed or breaks a rule.
var ErrBadFile = errors.New("invalid network file")
