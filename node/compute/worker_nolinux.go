//go:build unix && !linux

package compute

import "syscall"

// lowerPriority makes the worker the last thing the OS schedules: nice 19. Outside
// Linux the nice value belongs to the process, so all its threads have it.
func lowerPriority() { _ = syscall.Setpriority(syscall.PRIO_PROCESS, 0, workerNice) }
