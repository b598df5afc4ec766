//go:build unix && !linux

package capacity

// limitProcessCPUs cannot pin another process outside Linux; the duty cycle and the
// pauses still apply.
func limitProcessCPUs(pid, cores int) error { return ErrUnsupported }
