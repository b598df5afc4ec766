//go:build !linux

package capacity

// limitProcessCPUs cannot pin another process outside Linux; the duty cycle and the
// pauses still apply.
func limitProcessCPUs(pid int, started uint64, cores int) error { return ErrUnsupported }

// processStart is not needed where nothing is pinned.
func processStart(pid int) uint64 { return 0 }
