//go:build !windows

package compute

import "os"

// osLimits: outside Windows the worker has no OS object of its own; the governor
// pins it (Linux), stops and continues it, and the sandbox caps its memory.
type osLimits struct{}

func (*osLimits) attach(*os.Process) error { return nil }
func (*osLimits) memory(uint64) error      { return nil }
func (*osLimits) cpu(int, float64) error   { return ErrNotSupported }
func (*osLimits) close()                   {}
