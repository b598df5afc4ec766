//go:build unix

package compute

import (
	"os"
	"os/exec"
	"syscall"
)

// lowerPriority makes the worker the last thing the OS schedules: nice 19.
func lowerPriority() { _ = syscall.Setpriority(syscall.PRIO_PROCESS, 0, 19) }

// setProcessGroup keeps a terminal's Ctrl-C from reaching the worker directly: the app
// decides when a job ends.
func setProcessGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func signalStop(p *os.Process) error { return p.Signal(syscall.SIGSTOP) }
func signalCont(p *os.Process) error { return p.Signal(syscall.SIGCONT) }
