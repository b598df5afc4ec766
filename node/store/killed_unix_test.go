//go:build unix

package store

import (
	"os"
	"syscall"
)

// killed reports whether a child process ended by SIGKILL, as Process.Kill ends it.
func killed(ps *os.ProcessState) bool {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}
