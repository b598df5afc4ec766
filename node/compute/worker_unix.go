//go:build unix

package compute

import (
	"os"
	"os/exec"
	"syscall"
)

// workerNice is the worker's nice value: the lowest priority.
const workerNice = 19

// setProcessGroup keeps a terminal's Ctrl-C from reaching the worker directly: the app
// decides when a job ends.
func setProcessGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func signalStop(p *os.Process) error { return p.Signal(syscall.SIGSTOP) }
func signalCont(p *os.Process) error { return p.Signal(syscall.SIGCONT) }
