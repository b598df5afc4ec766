package compute

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/daolicloud/daoli/node/internal/frame"
	"github.com/daolicloud/daoli/node/market/terms"
)

// A job runs in a worker subprocess (`daoli worker`), so that the governor can pause
// and resume it at once with SIGSTOP and SIGCONT, the operating system schedules it
// below everything the user runs, and nothing a job does can take the app down.
//
// A worker runs one job at a time and stays for the next, up to Worker.IdleFor: its
// sandbox keeps the modules it compiled, so a job of a module that ran before starts
// at once, where a new process took 50–55 ms to start, read its job and load the
// module from the on-disk cache (as long as the example jobs' own runs). Each job gets
// a new instance of its module, so nothing of one job reaches the next. A worker that
// a job's cap ended, that was killed, or that broke the protocol is not used again.
//
// Parent and worker speak in frames on the worker's standard input and output: a kind
// byte, a big-endian 32-bit length and a CBOR body. The parent sends a Job; the worker
// answers with a start frame when the module begins to run (the parent's clock for
// the wall-time cap starts then), and a reply with the Result.

// Frame kinds.
const (
	frameJob     = 'j'
	frameStarted = 's'
	frameReply   = 'r'
)

// maxWorkerMessage bounds the job and result messages: a module, an input and an
// output at their caps, with room for the rest.
const maxWorkerMessage = 3*terms.MaxBlob + 1<<20

// workerHeapLimit is the Go heap at which a worker's collector runs while a job
// starts: above what a job of the example modules' size holds (tens of megabytes: its
// message, the module's decoded and compiled forms, its output), so those never
// collect; a larger job collects as it goes. A job's linear memory is not in it
// (mmapAllocator). Between jobs the worker collects and returns the memory.
const workerHeapLimit = 256 << 20

var workerDec = func() cbor.DecMode {
	d, err := cbor.DecOptions{MaxNestedLevels: 8, MaxArrayElements: 1 << 10, MaxMapPairs: 64,
		IndefLength: cbor.IndefLengthForbidden, TagsMd: cbor.TagsForbidden}.DecMode()
	if err != nil {
		panic("compute: cbor decoder options: " + err.Error())
	}
	return d
}()

// workerJob is a job as a worker receives it: without the module's bytes when the
// worker said it keeps the module, which is then named by its hash.
type workerJob struct {
	Job    Job
	Module [32]byte
}

// workerReply is the worker's answer to a job.
type workerReply struct {
	Result  Result
	Error   string     // the sandbox could not run the job at all
	Ends    bool       // a cap stopped the job and the worker exits after this reply
	Missing bool       // the job named a module the worker no longer keeps: send it
	Kept    [][32]byte // the modules the worker keeps compiled, after this job
}

// WorkerMain is the worker process: it lowers its own priority, then reads jobs from
// in and writes their results to out until in ends. It returns the process's exit code.
func WorkerMain(in io.Reader, out, errOut io.Writer, cacheDir string) int {
	lowerPriority()
	// Collecting while a job's message and module were built only delayed the job
	// (8–17 ms of a 60–80 ms start, measured), so the collector runs only if the heap
	// nears workerHeapLimit, and between jobs.
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(workerHeapLimit)
	sb, err := NewSandbox(cacheDir)
	if err != nil {
		fmt.Fprintln(errOut, "daoli worker:", err)
		return 1
	}
	sb.direct = true
	frames := make(chan received)
	go readFrames(bufio.NewReaderSize(in, 64<<10), frames)
	var (
		mu       sync.Mutex // orders the writes to out
		current  uint64     // the job running
		answered bool       // it has had its reply
	)
	// reply answers job seq, unless it was answered already (a cap's callback can
	// race the job's own end); sent says whether this call answered it.
	reply := func(seq uint64, rep workerReply) (sent bool, err error) {
		mu.Lock()
		defer mu.Unlock()
		if seq != current || answered {
			return false, nil
		}
		answered = true
		b, err := cbor.Marshal(&rep)
		if err != nil {
			return true, err
		}
		return true, frame.Write(out, frameReply, b)
	}
	collect := time.NewTimer(time.Hour)
	collect.Stop()
	for seq := uint64(1); ; seq++ {
		var f received
		for waiting := true; waiting; {
			select {
			case f = <-frames:
				waiting = false
			case <-collect.C:
				// Idle: the last jobs' messages, outputs and instances are garbage,
				// and a waiting worker should hold only its compiled modules. Not
				// done between jobs that come back to back: it would delay the next.
				debug.FreeOSMemory()
			}
		}
		collect.Stop()
		if f.err == io.EOF {
			return 0
		}
		if f.err != nil || f.kind != frameJob {
			fmt.Fprintln(errOut, "daoli worker: reading a job:", f.err, f.kind)
			return 2
		}
		raw := f.body
		var wj workerJob
		if err := workerDec.Unmarshal(raw, &wj); err != nil {
			fmt.Fprintln(errOut, "daoli worker: the job does not decode:", err)
			return 2
		}
		raw = nil
		job, sum := wj.Job, wj.Module
		if len(job.Module) > 0 {
			sum = ModuleHash(job.Module) // the bytes name themselves
		}
		mu.Lock()
		current, answered = seq, false
		mu.Unlock()
		sb.started = func() {
			mu.Lock()
			defer mu.Unlock()
			_ = frame.Write(out, frameStarted, nil)
		}
		// A cap ends the worker itself: the reply goes out and the process exits, the
		// job stopped wherever it was (see Sandbox.stopped).
		sb.stopped = func(res Result) {
			sent, err := reply(seq, workerReply{Result: res, Ends: true})
			switch {
			case !sent:
				return // the job had ended and was answered: the worker goes on
			case err != nil:
				os.Exit(1)
			}
			os.Exit(0)
		}
		res, err := sb.run(context.Background(), job, sum)
		rep := workerReply{Result: res}
		switch {
		case errors.Is(err, errMissing):
			rep = workerReply{Missing: true}
		case err != nil:
			rep = workerReply{Error: err.Error()}
		}
		rep.Kept = sb.kept()
		if _, err := reply(seq, rep); err != nil {
			fmt.Fprintln(errOut, "daoli worker: writing the result:", err)
			return 1
		}
		wj, job, res, rep = workerJob{}, Job{}, Result{}, workerReply{}
		collect.Reset(idleCollect)
	}
}

// idleCollect is how long a worker waits for its next job before it collects.
const idleCollect = 200 * time.Millisecond

// received is one frame read from a worker's pipe, or the error that ended the reading.
type received struct {
	kind byte
	body []byte
	err  error
}

// readFrames reads frames into ch until an error, which it sends last.
func readFrames(r io.Reader, ch chan<- received) {
	for {
		kind, body, err := frame.Read(r, maxWorkerMessage)
		ch <- received{kind, body, err}
		if err != nil {
			return
		}
	}
}

// Worker runs jobs in worker subprocesses started as Command(Exe, Args...), keeping
// up to maxIdle of them between jobs. Close ends the idle ones.
type Worker struct {
	Exe  string
	Args []string // e.g. ["worker", "--cache", dir]
	Env  []string // added to the environment
	// IdleFor is how long a worker process waits for another job before it exits;
	// zero is DefaultIdleFor.
	IdleFor time.Duration

	mu     sync.Mutex
	idle   []*workerProc
	closed bool
}

// DefaultIdleFor keeps a worker for the next job of a provider that sells steadily,
// without holding its memory (tens of megabytes) long after.
const DefaultIdleFor = time.Minute

// maxIdle is how many worker processes wait for jobs at most: a provider's slot and a
// buyer's check at once.
const maxIdle = 2

// workerProc is one worker process.
type workerProc struct {
	cmd    *exec.Cmd
	stdin  *os.File
	stdout *os.File
	out    *bufio.Reader
	stderr tailBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // how it exited
	idle   *time.Timer   // ends it when it waits too long in Worker.idle
	kept   map[[32]byte]bool
	limits osLimits // the OS's own caps on the process, where it has them (Windows)
}

// Process is a job running in a worker process.
type Process struct {
	w     *Worker
	wp    *workerProc
	reply chan exchanged // the worker's reply, or why none came

	mu       sync.Mutex
	paused   bool
	limit    time.Duration // the job's wall-time cap
	running  bool          // the module runs (compiled); its time counts from then
	ran      time.Duration // running time before the last resume
	since    time.Time     // when the module started or last resumed
	sent     time.Time
	killed   bool // the process is ended: not to be used again
	released bool // the job is over and the process may run another: hands off
}

type exchanged struct {
	rep workerReply
	err error
}

// capGrace is how long past its cap the parent lets a worker run before ending it: the
// worker normally reports the cap itself, with the output so far, well within it.
const capGrace = time.Second

// compileWait bounds how long a worker may take to compile its module before the job
// starts: far beyond what the largest module takes, yet not forever.
const compileWait = 10 * time.Minute

// Start sends job to a worker process: one waiting from an earlier job, or a new one.
func (w *Worker) Start(job Job) (*Process, error) {
	if err := job.Limits.Validate(); err != nil {
		return nil, err
	}
	wp, err := w.take()
	if err != nil {
		return nil, fmt.Errorf("start the worker: %w", err)
	}
	if err := wp.limits.memory(job.Limits.MemoryBytes); err != nil {
		wp.kill()
		return nil, fmt.Errorf("start the worker: %w", err)
	}
	p := &Process{w: w, wp: wp, reply: make(chan exchanged, 1), limit: job.Limits.WallTime, sent: time.Now()}
	go p.exchange(job)
	return p, nil
}

// exchange sends the job, without its module when the worker keeps it, and reads the
// worker's frames until its reply.
func (p *Process) exchange(job Job) {
	wj := workerJob{Job: job, Module: ModuleHash(job.Module)}
	if p.wp.kept[wj.Module] {
		wj.Job.Module = nil
	}
	if err := p.send(wj); err != nil {
		p.reply <- exchanged{err: err}
		return
	}
	for {
		kind, body, err := frame.Read(p.wp.out, maxWorkerMessage)
		if err != nil {
			if err == io.EOF {
				err = errors.New("exited")
			}
			p.reply <- exchanged{err: err}
			return
		}
		switch kind {
		case frameStarted:
			// Compiling a large module can take seconds (more under load); the cap is
			// on the job's running time, which starts now.
			p.mu.Lock()
			p.running, p.since = true, time.Now()
			p.mu.Unlock()
		case frameReply:
			var rep workerReply
			if err := workerDec.Unmarshal(body, &rep); err != nil {
				p.reply <- exchanged{err: fmt.Errorf("the result does not decode: %v", err)}
				return
			}
			p.wp.kept = make(map[[32]byte]bool, len(rep.Kept))
			for _, h := range rep.Kept {
				p.wp.kept[h] = true
			}
			if rep.Missing {
				if wj.Job.Module != nil {
					p.reply <- exchanged{err: errors.New("asked again for the module it was sent")}
					return
				}
				wj.Job.Module = job.Module
				if err := p.send(wj); err != nil {
					p.reply <- exchanged{err: err}
					return
				}
				continue
			}
			p.reply <- exchanged{rep: rep}
			return
		default:
			p.reply <- exchanged{err: fmt.Errorf("unknown frame %q", kind)}
			return
		}
	}
}

func (p *Process) send(wj workerJob) error {
	in, err := cbor.Marshal(&wj)
	if err != nil {
		return fmt.Errorf("encode the job: %w", err)
	}
	if err := frame.Write(p.wp.stdin, frameJob, in); err != nil {
		return fmt.Errorf("sending the job: %w", err)
	}
	return nil
}

// take returns a waiting worker process, or starts one.
func (w *Worker) take() (*workerProc, error) {
	w.mu.Lock()
	for len(w.idle) > 0 {
		wp := w.idle[len(w.idle)-1]
		w.idle = w.idle[:len(w.idle)-1]
		wp.idle.Stop()
		select {
		case <-wp.done: // died while it waited
			continue
		default:
		}
		w.mu.Unlock()
		return wp, nil
	}
	w.mu.Unlock()
	return w.spawn()
}

// put keeps wp for the next job, or ends it when enough wait already.
func (w *Worker) put(wp *workerProc) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || len(w.idle) >= maxIdle {
		go wp.end()
		return
	}
	idleFor := w.IdleFor
	if idleFor <= 0 {
		idleFor = DefaultIdleFor
	}
	w.idle = append(w.idle, wp)
	wp.idle = time.AfterFunc(idleFor, func() {
		w.mu.Lock()
		i := slices.Index(w.idle, wp)
		if i >= 0 {
			w.idle = slices.Delete(w.idle, i, i+1)
		}
		w.mu.Unlock()
		if i >= 0 {
			wp.end()
		}
	})
}

// Close ends the worker processes waiting for jobs; jobs running go on, and their
// processes end with them.
func (w *Worker) Close() {
	w.mu.Lock()
	idle := w.idle
	w.idle, w.closed = nil, true
	w.mu.Unlock()
	for _, wp := range idle {
		wp.idle.Stop()
		wp.end()
	}
}

// Idle is how many worker processes wait for a job.
func (w *Worker) Idle() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.idle)
}

func (w *Worker) spawn() (*workerProc, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	wp := &workerProc{stdin: inW, stdout: outR, out: bufio.NewReaderSize(outR, 64<<10), done: make(chan struct{})}
	wp.cmd = exec.Command(w.Exe, w.Args...)
	wp.cmd.Env = append(os.Environ(), w.Env...)
	// The pipes are the process's own files, not copied by goroutines of exec, so
	// that a reply written just before the process exits is still read.
	wp.cmd.Stdin, wp.cmd.Stdout, wp.cmd.Stderr = inR, outW, &wp.stderr
	setProcessGroup(wp.cmd)
	err = wp.cmd.Start()
	inR.Close()
	outW.Close()
	if err == nil {
		if err = wp.limits.attach(wp.cmd.Process); err != nil {
			wp.cmd.Process.Kill()
			wp.cmd.Wait()
		}
	}
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, err
	}
	go func() {
		wp.err = wp.cmd.Wait()
		wp.limits.close()
		close(wp.done)
	}()
	return wp, nil
}

// end ends the process: an idle one exits when its input closes; one that does not
// within a second is killed. It returns once the process is gone.
func (wp *workerProc) end() {
	wp.stdin.Close()
	select {
	case <-wp.done:
	case <-time.After(time.Second):
		wp.cmd.Process.Kill()
		<-wp.done
	}
	wp.stdout.Close()
}

// kill ends the process at once and returns once it is gone.
func (wp *workerProc) kill() {
	_ = signalCont(wp.cmd.Process) // a stopped process takes SIGKILL only once continued on some systems
	wp.cmd.Process.Kill()
	<-wp.done
	wp.stdin.Close()
	wp.stdout.Close()
}

// Pause stops the worker where it is (SIGSTOP; on Windows every thread is suspended);
// it uses no CPU until Resume.
func (p *Process) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.paused && !p.released && !p.killed && signalStop(p.wp.cmd.Process) == nil {
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
	if p.paused && !p.released && signalCont(p.wp.cmd.Process) == nil {
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

// Started reports whether the job's module has begun to run: its compiling is over.
func (p *Process) Started() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running
}

// compiling is how long the worker has been preparing its job, 0 once it runs.
func (p *Process) compiling() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running {
		return 0
	}
	return time.Since(p.sent)
}

// Kill ends the job's worker process; after the job is over it does nothing.
func (p *Process) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.released {
		return
	}
	p.killed = true
	p.paused = false
	_ = signalCont(p.wp.cmd.Process)
	p.wp.cmd.Process.Kill()
}

// LimitCPU has the OS hold the worker to duty (0 to 1) of cores CPUs, or lifts the
// limit when cores is 0; ErrNotSupported where the OS cannot (only Windows can,
// through the worker's Job Object), and there the governor stops and continues it.
func (p *Process) LimitCPU(cores int, duty float64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.released || p.killed {
		return nil
	}
	return p.wp.limits.cpu(cores, duty)
}

// Pid is the worker's process ID.
func (p *Process) Pid() int { return p.wp.cmd.Process.Pid }

// Wait waits for the job's result. A worker that dies without one (killed, or a crash
// of the runtime) is an error that says so; the job's own failures are in the Result.
// It may be called once.
func (p *Process) Wait(ctx context.Context) (Result, error) {
	for {
		timer := time.NewTimer(p.untilCap())
		select {
		case ex := <-p.reply:
			timer.Stop()
			return p.finish(ex)
		case <-ctx.Done():
			timer.Stop()
			p.Kill()
			p.wp.kill()
			return Result{}, ctx.Err()
		case <-timer.C:
			if p.compiling() > compileWait {
				p.Kill()
				p.wp.kill()
				return Result{}, fmt.Errorf("%w: the module did not compile within %v", ErrWorker, compileWait)
			}
			if p.untilCap() > 0 {
				continue // paused, or still compiling
			}
			// The module holds the worker's runtime (it runs without closure
			// checks): end the process from here.
			p.Kill()
			p.wp.kill()
			return Result{Status: StatusTimeout, Reason: fmt.Sprintf("ran past its wall-time cap of %v", p.limit)}, nil
		}
	}
}

// finish settles the job on the worker's reply, and keeps the worker for the next job
// when it can run one.
func (p *Process) finish(ex exchanged) (Result, error) {
	if ex.err != nil {
		p.Kill()
		p.wp.kill()
		return Result{}, fmt.Errorf("%w: %v: %s", ErrWorker, exitOr(p.wp.err, ex.err), lastLine(p.wp.stderr.bytes()))
	}
	if ex.rep.Ends {
		<-p.wp.done
		p.wp.stdin.Close()
		p.wp.stdout.Close()
	} else {
		p.mu.Lock()
		p.released = true
		if p.paused { // paused between its reply and now
			_ = signalCont(p.wp.cmd.Process)
			p.paused = false
		}
		killed := p.killed
		p.mu.Unlock()
		if killed {
			p.wp.kill()
		} else {
			p.w.put(p.wp)
		}
	}
	if ex.rep.Error != "" {
		return Result{}, fmt.Errorf("%w: %s", ErrWorker, ex.rep.Error)
	}
	return ex.rep.Result, nil
}

// exitOr is how the process exited, when it did, else err.
func exitOr(exit, err error) error {
	if exit != nil {
		return exit
	}
	return err
}

// tailBuffer keeps the last stderrCap bytes written to it: a worker's own messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - stderrCap; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Clone(t.buf)
}
