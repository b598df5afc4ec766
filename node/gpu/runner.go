package gpu

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/daolicloud/daoli/node/internal/frame"
	"github.com/fxamacker/cbor/v2"
)

// Runner runs GPU jobs, each in a new worker process started as Command(Exe, Args...).
type Runner struct {
	Exe  string
	Args []string // e.g. ["gpu-worker"]
	Env  []string // added to the environment
}

// Process is a GPU job running in a worker process.
type Process struct {
	job   Job
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
	errs  *tailBuffer
	total int // the manifest's dispatches

	ctl  chan bool // true pauses, false resumes
	kill chan struct{}
	once sync.Once
	done chan struct{} // closed when result and err are set
	res  Result
	err  error

	mu        sync.Mutex
	waiting   bool // the worker asked for a dispatch and waits for the go
	paused    bool
	submitted int // dispatches the worker was let submit
}

// Run runs job to its end: Start, then Wait.
func (r *Runner) Run(ctx context.Context, job Job) (Result, error) {
	p, err := r.Start(job)
	if err != nil {
		return Result{}, err
	}
	return p.Wait(ctx)
}

// Start checks job and starts a worker process for it. A manifest that does not
// decode, or asks for more than the limits allow, is refused at once with a
// StatusInvalid result from Wait, with no process started: whoever runs it would
// refuse it the same way.
func (r *Runner) Start(job Job) (*Process, error) {
	if err := job.Limits.Validate(); err != nil {
		return nil, err
	}
	p := &Process{job: job, ctl: make(chan bool), kill: make(chan struct{}), done: make(chan struct{})}
	m, err := DecodeManifest(job.Module)
	if err == nil {
		err = job.Limits.Admit(m)
	}
	if err == nil {
		_, err = Buffers(m, job.InputTree)
	}
	if err != nil {
		p.res = Result{Status: StatusInvalid, Reason: err.Error()}
		close(p.done)
		return p, nil
	}
	p.total = m.DispatchCount()
	cmd := exec.Command(r.Exe, r.Args...)
	cmd.Env = append(os.Environ(), r.Env...)
	p.errs = &tailBuffer{max: 4 << 10}
	cmd.Stderr = p.errs
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("start the GPU worker: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start the GPU worker: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the GPU worker: %w", err)
	}
	p.cmd, p.stdin, p.out = cmd, stdin, bufio.NewReaderSize(stdout, 64<<10)
	go p.run()
	return p, nil
}

// Pause holds the job before its next dispatch: the one running finishes, under its
// watchdog, and no other is submitted until Resume. Paused time does not count
// toward the wall time.
func (p *Process) Pause() { p.control(true) }

// Resume lets a paused job submit its next dispatch.
func (p *Process) Resume() { p.control(false) }

func (p *Process) control(pause bool) {
	select {
	case p.ctl <- pause:
	case <-p.done:
	}
}

// Waiting says whether the worker waits for a go that a pause holds back.
func (p *Process) Waiting() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waiting && p.paused
}

// Submitted is how many dispatches the worker has been let submit.
func (p *Process) Submitted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.submitted
}

// Kill ends the job and its worker; Wait then returns an error.
func (p *Process) Kill() { p.once.Do(func() { close(p.kill) }) }

// Wait returns the job's result; the error is for a job that could not be run at all
// (no executor, no adapter, a worker that died). ctx ending kills the job.
func (p *Process) Wait(ctx context.Context) (Result, error) {
	select {
	case <-p.done:
	case <-ctx.Done():
		p.Kill()
		<-p.done
	}
	return p.res, p.err
}

type event struct {
	kind byte
	body []byte
	err  error
}

// run sends the job, answers the worker's asks unless paused, and keeps the watchdog
// and the wall time; it ends the process on any end.
func (p *Process) run() {
	defer close(p.done)
	defer func() {
		_ = p.stdin.Close()
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}()
	frames := make(chan event)
	quit := make(chan struct{})
	defer close(quit)
	send := func(ev event) bool {
		select {
		case frames <- ev:
			return true
		case <-quit:
			return false
		}
	}
	go func() {
		b, err := cbor.Marshal(&p.job)
		if err == nil {
			err = frame.Write(p.stdin, frameJob, b)
		}
		if err != nil {
			send(event{err: fmt.Errorf("sending the job: %w", err)})
			return
		}
		for {
			kind, body, err := frame.Read(p.out, maxWorkerMessage)
			if !send(event{kind, body, err}) || err != nil || kind == frameReply {
				return
			}
		}
	}()
	lim := p.job.Limits
	var (
		paused   bool
		asked    = -1          // the dispatch the worker waits to submit
		running  = -1          // the dispatch running under the watchdog
		deadline time.Time     // the watchdog's, while a dispatch runs
		ran      time.Duration // running time before since
		since    = time.Now()
	)
	timer := time.NewTimer(lim.WallTime)
	defer timer.Stop()
	arm := func() {
		now := time.Now()
		next := time.Duration(1<<63 - 1)
		if !paused {
			next = lim.WallTime - ran - now.Sub(since)
		}
		if running >= 0 {
			next = min(next, deadline.Sub(now))
		}
		timer.Reset(max(next, 0))
	}
	setWaiting := func() {
		p.mu.Lock()
		p.waiting, p.paused = asked >= 0, paused
		p.mu.Unlock()
	}
	submit := func() error {
		running, deadline = asked, time.Now().Add(lim.DispatchTime)
		asked = -1
		p.mu.Lock()
		p.submitted++
		p.mu.Unlock()
		return frame.Write(p.stdin, frameGo, nil)
	}
	for {
		setWaiting()
		arm()
		select {
		case <-p.kill:
			p.err = fmt.Errorf("%w: killed", ErrWorker)
			return
		case pause := <-p.ctl:
			if pause == paused {
				continue
			}
			now := time.Now()
			if pause {
				ran += now.Sub(since)
			} else {
				since = now
			}
			paused = pause
			if !paused && asked >= 0 {
				if err := submit(); err != nil {
					p.err = p.workerErr(err)
					return
				}
			}
		case <-timer.C:
			now := time.Now()
			if running >= 0 && !now.Before(deadline) {
				p.res = Result{Status: StatusTimeout, Dispatches: running, Elapsed: ran + now.Sub(since),
					Reason: fmt.Sprintf("dispatch %d of %d still running after the watchdog's %v: the GPU worker was ended", running+1, p.total, lim.DispatchTime)}
				return
			}
			if !paused && ran+now.Sub(since) >= lim.WallTime {
				p.res = Result{Status: StatusTimeout, Dispatches: max(running, 0), Elapsed: lim.WallTime,
					Reason: fmt.Sprintf("still running after its wall-time cap of %v: the GPU worker was ended", lim.WallTime)}
				return
			}
		case ev := <-frames:
			if ev.err != nil {
				p.err = p.workerErr(ev.err)
				return
			}
			switch ev.kind {
			case frameAsk, frameStarted:
				if len(ev.body) != 4 {
					p.err = fmt.Errorf("%w: a frame %q of %d bytes", ErrWorker, ev.kind, len(ev.body))
					return
				}
				n := int(binary.BigEndian.Uint32(ev.body))
				if ev.kind == frameStarted {
					continue
				}
				if n != running+1 || n >= p.total {
					p.err = fmt.Errorf("%w: asked for dispatch %d after %d", ErrWorker, n, running)
					return
				}
				running, asked = -1, n
				if !paused {
					if err := submit(); err != nil {
						p.err = p.workerErr(err)
						return
					}
				}
			case frameReply:
				var rep workerReply
				if err := workerDec.Unmarshal(ev.body, &rep); err != nil {
					p.err = fmt.Errorf("%w: the result does not decode: %v", ErrWorker, err)
					return
				}
				switch {
				case rep.Code == codeNoExecutor:
					p.err = fmt.Errorf("%w (%s)", ErrNoExecutor, rep.Error)
				case rep.Code == codeNoAdapter:
					p.err = fmt.Errorf("%w (%s)", ErrNoAdapter, rep.Error)
				case rep.Error != "":
					p.err = fmt.Errorf("%w: %s", ErrWorker, rep.Error)
				default:
					p.res = rep.Result
				}
				return
			default:
				p.err = fmt.Errorf("%w: unknown frame %q", ErrWorker, ev.kind)
				return
			}
		}
	}
}

// workerErr describes a worker that ended or broke the protocol, with the end of what
// it wrote to standard error.
func (p *Process) workerErr(err error) error {
	if errors.Is(err, io.EOF) {
		err = errors.New("exited")
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	if tail := bytes.TrimSpace(p.errs.bytes()); len(tail) > 0 {
		return fmt.Errorf("%w: %v: %s", ErrWorker, err, tail)
	}
	return fmt.Errorf("%w: %v", ErrWorker, err)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), t.b...)
}
