package nemesis

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is one node's process, restartable; its log file runs on across restarts.
type Proc struct {
	Name string
	Host *Host
	bin  string
	args []string
	env  []string
	log  string // path of the log file

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	err     error // why the last process ended, once exited is closed
	paused  bool
	starts  int
	lastPID int
}

func newProc(name string, h *Host, log, bin string, args, env []string) *Proc {
	return &Proc{Name: name, Host: h, bin: bin, args: args, env: env, log: log}
}

func (p *Proc) note(format string, a ...any) {
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "--- %s %s\n", time.Now().UTC().Format("15:04:05.000"), fmt.Sprintf(format, a...))
}

// Start runs the program in its namespace unless it is running.
func (p *Proc) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.runningLocked() {
		return nil
	}
	p.noteLocked("start")
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd := p.Host.Command(p.bin, p.args...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited, p.paused, p.err = cmd, exited, false, nil
	p.starts++
	p.lastPID = cmd.Process.Pid
	go func() {
		err := cmd.Wait()
		f.Close()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(exited)
	}()
	return nil
}

func (p *Proc) noteLocked(what string) { p.note("%s", what) }

func (p *Proc) runningLocked() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Running reports whether the process is running (paused counts as running).
func (p *Proc) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runningLocked()
}

// Exit is why the last process ended; nil while it runs or if it ended cleanly.
func (p *Proc) Exit() (exited bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.runningLocked() {
		return false, nil
	}
	return true, p.err
}

func (p *Proc) signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.runningLocked() {
		return nil
	}
	return p.cmd.Process.Signal(sig)
}

// Pause stops the process with SIGSTOP.
func (p *Proc) Pause() error {
	p.note("SIGSTOP")
	if err := p.signal(syscall.SIGSTOP); err != nil {
		return err
	}
	p.mu.Lock()
	p.paused = true
	p.mu.Unlock()
	return nil
}

// Resume continues a paused process with SIGCONT.
func (p *Proc) Resume() error {
	p.mu.Lock()
	paused := p.paused
	p.paused = false
	p.mu.Unlock()
	if !paused {
		return nil
	}
	p.note("SIGCONT")
	return p.signal(syscall.SIGCONT)
}

// Kill ends the process with SIGKILL, as a power cut would, and waits for it.
func (p *Proc) Kill() {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	running := p.runningLocked()
	p.paused = false
	p.mu.Unlock()
	if !running {
		return
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-exited
	p.note("SIGKILL")
}

// Stop sends SIGTERM (after SIGCONT, should it be paused) and waits up to wait for a
// clean exit; past it the process is killed and Stop says so.
func (p *Proc) Stop(wait time.Duration) error {
	p.Resume()
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	running := p.runningLocked()
	p.mu.Unlock()
	if !running {
		return nil
	}
	p.note("SIGTERM")
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(wait):
		cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		return fmt.Errorf("%s: no exit %v after SIGTERM", p.Name, wait)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return fmt.Errorf("%s: %w", p.Name, p.err)
	}
	return nil
}

// Log is the process's log so far.
func (p *Proc) Log() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// Contains reports whether the log holds s.
func (p *Proc) Contains(s string) bool { return strings.Contains(p.Log(), s) }
