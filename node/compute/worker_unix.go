//go:build unix

package compute

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// lowerPriority makes the worker the last thing the OS schedules: nice 19.
func lowerPriority() { _ = syscall.Setpriority(syscall.PRIO_PROCESS, 0, 19) }

// setProcessGroup keeps a terminal's Ctrl-C from reaching the worker directly: the app
// decides when a job ends.
func setProcessGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func signalStop(p *os.Process) error { return p.Signal(syscall.SIGSTOP) }
func signalCont(p *os.Process) error { return p.Signal(syscall.SIGCONT) }

// startedFDEnv tells a worker which file descriptor to close, with one byte written,
// once its module is compiled and runs.
const startedFDEnv = "DAOLI_WORKER_STARTED_FD"

// watchStart gives the worker a pipe (its file descriptor 3) and returns a channel
// that is closed when the worker signals its start, or its end; started is to be
// called once the worker runs, to drop the parent's copy of the write end.
func watchStart(cmd *exec.Cmd) (ch <-chan struct{}, started func(), err error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	cmd.ExtraFiles = append(cmd.ExtraFiles, w)
	cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%d", startedFDEnv, 2+len(cmd.ExtraFiles)))
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer r.Close()
		var b [1]byte
		_, _ = r.Read(b[:]) // a byte, or EOF when the worker ends
	}()
	return done, func() { w.Close() }, nil
}

// startedSignal is the worker's side of watchStart; nil when the parent gave no pipe.
func startedSignal() func() {
	fd, err := strconv.Atoi(os.Getenv(startedFDEnv))
	if err != nil || fd < 3 {
		return nil
	}
	f := os.NewFile(uintptr(fd), "started")
	return func() {
		_, _ = f.Write([]byte{1})
		f.Close()
	}
}
