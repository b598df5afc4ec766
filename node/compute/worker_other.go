//go:build !unix && !windows

package compute

import (
	"os"
	"os/exec"
)

// On systems without job-control signals the worker is not paused; the governor
// decides only when jobs start. (Windows would suspend the process's threads.)
func lowerPriority()                 {}
func setProcessGroup(*exec.Cmd)      {}
func signalStop(p *os.Process) error { return ErrNotSupported }
func signalCont(p *os.Process) error { return ErrNotSupported }
