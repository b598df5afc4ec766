package compute

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// A job runs in a worker subprocess (`daoli worker`), so that the governor can pause
// and resume it at once with SIGSTOP and SIGCONT, the operating system schedules it
// below everything the user runs, and nothing a job does can take the app down. The
// parent writes the Job to the worker's standard input and reads the Result from its
// standard output, both in CBOR.

// maxWorkerMessage bounds the job and result messages: a module, an input and an
// output at their caps, with room for the rest.
const maxWorkerMessage = MaxModuleBytes + MaxInputBytes + MaxOutputBytes + 1<<20

// workerHeapLimit is the Go heap at which a worker's collector runs: above what a job
// of the example modules' size holds (tens of megabytes: its message, the module's
// decoded and compiled forms, its output), so those never collect; a larger job
// collects as it goes rather than holding garbage on the user's computer. A job's
// linear memory is not in it (mmapAllocator).
const workerHeapLimit = 256 << 20

var workerDec = func() cbor.DecMode {
	d, err := cbor.DecOptions{MaxNestedLevels: 8, MaxArrayElements: 1 << 10, MaxMapPairs: 64,
		IndefLength: cbor.IndefLengthForbidden, TagsMd: cbor.TagsForbidden}.DecMode()
	if err != nil {
		panic("compute: cbor decoder options: " + err.Error())
	}
	return d
}()

// WorkerMain is the worker process: it lowers its own priority, reads one job from in,
// runs it and writes the result to out. It returns the process's exit code.
func WorkerMain(in io.Reader, out, errOut io.Writer, cacheDir string) int {
	lowerPriority()
	// A worker lives for one job, and most of what it allocates lives as long: the
	// job's message and the module's decoded and compiled forms. Collecting while
	// they were built only delayed the job (8–17 ms of a 60–80 ms start, measured),
	// so the collector runs only if the heap nears workerHeapLimit, above what the
	// largest job holds.
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(workerHeapLimit)
	raw, err := io.ReadAll(io.LimitReader(in, maxWorkerMessage+1))
	if err != nil || len(raw) > maxWorkerMessage {
		fmt.Fprintln(errOut, "daoli worker: reading the job:", err)
		return 2
	}
	var job Job
	if err := workerDec.Unmarshal(raw, &job); err != nil {
		fmt.Fprintln(errOut, "daoli worker: the job does not decode:", err)
		return 2
	}
	sb, err := NewSandbox(cacheDir)
	if err != nil {
		fmt.Fprintln(errOut, "daoli worker:", err)
		return 1
	}
	sb.direct = true
	sb.started = startedSignal()
	// A cap ends the worker itself: the result goes out and the process exits, the
	// job stopped wherever it was (see Sandbox.stopped).
	var once sync.Once
	sb.stopped = func(res Result) {
		once.Do(func() {
			os.Exit(writeResult(out, errOut, res))
		})
	}
	res, err := sb.Run(context.Background(), job)
	if err != nil {
		fmt.Fprintln(errOut, "daoli worker:", err)
		return 1
	}
	code := 0
	once.Do(func() { code = writeResult(out, errOut, res) })
	return code
}

func writeResult(out, errOut io.Writer, res Result) int {
	b, err := cbor.Marshal(&res)
	if err != nil {
		fmt.Fprintln(errOut, "daoli worker:", err)
		return 1
	}
	if _, err := out.Write(b); err != nil {
		return 1
	}
	return 0
}

// Worker runs jobs in worker subprocesses started as Command(Exe, Args...).
type Worker struct {
	Exe  string
	Args []string // e.g. ["worker", "--cache", dir]
	Env  []string // added to the environment
}

// Process is a running worker.
type Process struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	stderr bytes.Buffer
	done   chan struct{}
	err    error

	mu      sync.Mutex
	paused  bool
	limit   time.Duration // the job's wall-time cap
	running bool          // the module runs (compiled); its time counts from then
	ran     time.Duration // running time before the last resume
	since   time.Time     // when the module started or last resumed
	spawned time.Time
}

// capGrace is how long past its cap the parent lets a worker run before ending it: the
// worker normally reports the cap itself, with the output so far, well within it.
const capGrace = time.Second

// compileWait bounds how long a worker may take to compile its module before the job
// starts: far beyond what the largest module takes, yet not forever.
const compileWait = 10 * time.Minute

// Start starts a worker on job.
func (w *Worker) Start(job Job) (*Process, error) {
	if err := job.Limits.Validate(); err != nil {
		return nil, err
	}
	in, err := cbor.Marshal(&job)
	if err != nil {
		return nil, fmt.Errorf("encode the job: %w", err)
	}
	p := &Process{done: make(chan struct{}), limit: job.Limits.WallTime, spawned: time.Now()}
	p.cmd = exec.Command(w.Exe, w.Args...)
	p.cmd.Env = append(os.Environ(), w.Env...)
	p.cmd.Stdin = bytes.NewReader(in)
	p.cmd.Stdout = &limitedBuffer{b: &p.stdout, n: maxWorkerMessage}
	p.cmd.Stderr = &limitedBuffer{b: &p.stderr, n: stderrCap}
	setProcessGroup(p.cmd)
	started, afterStart, err := watchStart(p.cmd)
	if err != nil {
		return nil, fmt.Errorf("start the worker: %w", err)
	}
	err = p.cmd.Start()
	afterStart()
	if err != nil {
		return nil, fmt.Errorf("start the worker: %w", err)
	}
	go func() {
		// Compiling a large module can take seconds (more under load); the cap is on
		// the job's running time, which starts when the worker says so.
		<-started
		p.mu.Lock()
		p.running, p.since = true, time.Now()
		p.mu.Unlock()
	}()
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Pause stops the worker where it is (SIGSTOP); it uses no CPU until Resume.
func (p *Process) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.paused && signalStop(p.cmd.Process) == nil {
		p.paused = true
		if p.running {
			p.ran += time.Since(p.since)
		}
	}
}

// Resume continues a paused worker (SIGCONT).
func (p *Process) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paused && signalCont(p.cmd.Process) == nil {
		p.paused = false
		p.since = time.Now()
	}
}

// Paused reports whether the worker is stopped.
func (p *Process) Paused() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused
}

// untilCap is the running time left before the parent ends the worker, grace
// included; while paused, the time does not run and a recheck is a second away.
func (p *Process) untilCap() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paused || !p.running {
		return time.Second
	}
	return p.limit + capGrace - p.ran - time.Since(p.since)
}

// compiling is how long the worker has been preparing its job, 0 once it runs.
func (p *Process) compiling() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running {
		return 0
	}
	return time.Since(p.spawned)
}

// Kill ends the worker.
func (p *Process) Kill() { p.cmd.Process.Kill() }

// Pid is the worker's process ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Wait waits for the worker's result. A worker that dies without one (killed, or a
// crash of the runtime) is an error that says so; the job's own failures are in the
// Result.
func (p *Process) Wait(ctx context.Context) (Result, error) {
	for waiting := true; waiting; {
		timer := time.NewTimer(p.untilCap())
		select {
		case <-p.done:
			waiting = false
		case <-ctx.Done():
			timer.Stop()
			p.Resume()
			p.Kill()
			<-p.done
			return Result{}, ctx.Err()
		case <-timer.C:
			if p.compiling() > compileWait {
				p.Resume()
				p.Kill()
				<-p.done
				return Result{}, fmt.Errorf("%w: the module did not compile within %v", ErrWorker, compileWait)
			}
			if p.untilCap() > 0 {
				continue // paused, or still compiling
			}
			// The module holds the worker's runtime (it runs without closure
			// checks): end the process from here.
			p.Resume()
			p.Kill()
			<-p.done
			return Result{Status: StatusTimeout, Reason: fmt.Sprintf("ran past its wall-time cap of %v", p.limit)}, nil
		}
		timer.Stop()
	}
	if p.err != nil {
		return Result{}, fmt.Errorf("%w: %v: %s", ErrWorker, p.err, lastLine(p.stderr.Bytes()))
	}
	var res Result
	if err := workerDec.Unmarshal(p.stdout.Bytes(), &res); err != nil {
		return Result{}, fmt.Errorf("%w: the result does not decode: %v", ErrWorker, err)
	}
	return res, nil
}

type limitedBuffer struct {
	b *bytes.Buffer
	n int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if l.b.Len()+len(p) > l.n {
		return 0, errors.New("worker wrote too much")
	}
	return l.b.Write(p)
}
