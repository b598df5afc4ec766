//go:build unix

package nodetest

import (
	"syscall"
	"time"
)

// ProcessCPU is the CPU time this process has used, user and system; false where it
// cannot be read.
func ProcessCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
