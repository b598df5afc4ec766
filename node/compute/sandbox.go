package compute

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing/fstest"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/experimental/sysfs"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/daolicloud/daoli/node/market/terms"
)

// Status is how a job ended.
type Status uint8

// Job outcomes. Only StatusOK carries a result the buyer pays for; the others say
// which rule stopped the job.
const (
	StatusOK             Status = iota + 1 // exited 0
	StatusFailed                           // exited with another code, or trapped
	StatusTimeout                          // passed its wall-time cap
	StatusMemory                           // tried to grow past its memory cap
	StatusOutputTooLarge                   // wrote more than its output cap
	StatusInvalid                          // the module does not compile or is not WASI
)

var statusNames = [...]string{"", "ok", "failed", "timeout", "memory", "output-too-large", "invalid"}

func (s Status) String() string {
	if int(s) < len(statusNames) && s != 0 {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Limits bound one run.
type Limits struct {
	MemoryBytes uint64        // linear memory; rounded down to 64 KiB pages
	WallTime    time.Duration // running time; time the process was stopped (paused) does not count
	OutputBytes int           // standard output; standard error is capped at 64 KiB apart
	Tree        OutputTree    // the directory /output; none when zero
}

// Bounds of what a job may ask for. Its module, input and output are each bounded by
// terms.MaxBlob, the largest blob the network carries.
const (
	MaxMemoryBytes = 4 << 30
	MaxWallTime    = time.Hour
	MaxArgs        = 64
	stderrCap      = 64 << 10
	pageSize       = 64 << 10
)

// Validate refuses limits that are zero or beyond the sandbox's bounds.
func (l Limits) Validate() error {
	switch {
	case l.MemoryBytes < pageSize || l.MemoryBytes > MaxMemoryBytes:
		return fmt.Errorf("%w: memory %d bytes, allowed 64 KiB to 4 GiB", ErrLimits, l.MemoryBytes)
	case l.WallTime <= 0 || l.WallTime > MaxWallTime:
		return fmt.Errorf("%w: wall time %v, allowed up to %v", ErrLimits, l.WallTime, MaxWallTime)
	case l.OutputBytes <= 0 || l.OutputBytes > terms.MaxBlob:
		return fmt.Errorf("%w: output %d bytes, allowed up to %d", ErrLimits, l.OutputBytes, terms.MaxBlob)
	case l.Tree.Bytes < 0 || l.Tree.Bytes > terms.MaxBlob:
		return fmt.Errorf("%w: /output of %d bytes, allowed up to %d", ErrLimits, l.Tree.Bytes, terms.MaxBlob)
	case l.Tree.Files < 0 || l.Tree.Files > MaxOutputFiles || (l.Tree.Bytes > 0) != (l.Tree.Files > 0):
		return fmt.Errorf("%w: /output of %d files and %d bytes, allowed 1 to %d files with bytes, or neither", ErrLimits, l.Tree.Files, l.Tree.Bytes, MaxOutputFiles)
	}
	return nil
}

// Job is one run of a module.
type Job struct {
	Module []byte
	Input  []byte // standard input, and the file /input when there is no InputTree
	// InputTree, when set, is a packed tree (PackTree) the job sees read-only as the
	// directory /input.
	InputTree []byte
	Args      []string // argv[1:]; argv[0] is "job"
	Env       []string // NAME=value, the job's whole environment
	Seed      [32]byte // seeds the job's randomness; the deal's ID in the market
	Limits    Limits
}

// Result is how a run ended and what it wrote.
type Result struct {
	Status   Status
	ExitCode uint32
	Stdout   []byte
	Stderr   []byte
	Tree     []byte        // what the job left in /output, packed (PackTree); only with StatusOK and Limits.Tree
	Reason   string        // one line for people, empty when Status is StatusOK
	Elapsed  time.Duration // wall time of the run, compilation excluded
}

// Sandbox compiles and runs jobs. It is safe for concurrent use. All runs share one
// wazero runtime and the modules it compiled last, so a module that ran before starts
// without being decoded, validated or loaded again; each run gets its own instance,
// with its own memory, capped at the job's limit (jobMemory).
type Sandbox struct {
	cache wazero.CompilationCache
	// stopped, when set, is called as soon as a run passes a cap, with the result;
	// the worker process reports it and exits at once. The module is interrupted
	// either way: without wazero's closure checks, a module in a loop that never
	// calls the host would also hold off the Go runtime's garbage collector, and with
	// it the clock that enforces the cap.
	stopped func(Result)
	// direct runs modules without wazero's closure checks, about five times faster
	// for a module that loops without calling the host. Only a worker process does:
	// such a module cannot be interrupted from inside the process, so the parent ends
	// the process at the wall-time cap (Process.Wait).
	direct bool
	// started, when set, is called once the module is compiled and about to run:
	// the worker tells its parent, whose clock for the wall-time cap starts then.
	started func()
	passed  moduleSet // modules that passed Check
	// cacheDir is the on-disk compilation cache, pruned to cacheMax bytes after each
	// compilation (pruneCache); empty when the cache is in memory only.
	cacheDir string
	cacheMax int64

	mu      sync.Mutex
	rt      wazero.Runtime // made by the first run, and closed by Close
	modules map[[32]byte]*keptModule
	uses    uint64 // counts runs, to find the module used longest ago
}

// keptModule is a compiled module a sandbox keeps ready for its next run.
type keptModule struct {
	compiled wazero.CompiledModule
	runs     int    // runs using it now
	used     uint64 // Sandbox.uses at its last run
	dropped  bool   // out of the sandbox's set; closed once its runs end
}

// keptModules is how many compiled modules a sandbox keeps: the example jobs and a
// buyer's own few. A compiled Go module holds 10–20 MB of machine code and tables.
const keptModules = 4

// NewSandbox returns a sandbox whose compiled modules are cached in cacheDir (created
// if missing); an empty cacheDir caches in memory only.
func NewSandbox(cacheDir string) (*Sandbox, error) {
	if cacheDir == "" {
		return &Sandbox{cache: wazero.NewCompilationCache()}, nil
	}
	if err := os.MkdirAll(cacheDir, 0o700); err != nil {
		return nil, fmt.Errorf("compilation cache: %w", err)
	}
	c, err := wazero.NewCompilationCacheWithDir(cacheDir)
	if err != nil {
		return nil, fmt.Errorf("compilation cache: %w", err)
	}
	return &Sandbox{cache: c, cacheDir: cacheDir, cacheMax: CacheMaxBytes}, nil
}

// Close releases the runtime, the modules it keeps and the cache's in-memory part.
func (s *Sandbox) Close() error {
	s.mu.Lock()
	rt := s.rt
	s.rt, s.modules = nil, nil
	s.mu.Unlock()
	if rt != nil {
		rt.Close(context.Background())
	}
	return s.cache.Close(context.Background())
}

// runtime is the sandbox's wazero runtime, made at the first run. Its memory limit is
// the largest a job may ask for; each run's own cap is jobMemory's.
func (s *Sandbox) runtime() (wazero.Runtime, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rt != nil {
		return s.rt, nil
	}
	rcfg := wazero.NewRuntimeConfigCompiler().
		WithCompilationCache(s.cache).
		WithMemoryLimitPages(MaxMemoryBytes / pageSize).
		WithCloseOnContextDone(!s.direct)
	rt := wazero.NewRuntimeWithConfig(context.Background(), rcfg)
	if _, err := wasi_snapshot_preview1.Instantiate(context.Background(), rt); err != nil {
		rt.Close(context.Background())
		return nil, fmt.Errorf("wasi: %w", err)
	}
	s.rt, s.modules = rt, make(map[[32]byte]*keptModule)
	return rt, nil
}

// compile returns module, whose hash is sum, compiled: from the sandbox's set when it
// ran before, for one run that calls release when done. An empty module is looked up
// by sum only. A module that does not compile, or is not a WASI
// command, is errInvalid with the reason.
func (s *Sandbox) compile(ctx context.Context, rt wazero.Runtime, module []byte, sum [32]byte) (*keptModule, error) {
	s.mu.Lock()
	if k := s.modules[sum]; k != nil {
		s.uses++
		k.runs, k.used = k.runs+1, s.uses
		s.mu.Unlock()
		return k, nil
	}
	s.mu.Unlock()
	if len(module) == 0 {
		return nil, errMissing
	}
	compiled, err := rt.CompileModule(compileContext(ctx), module)
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, invalidError("the module does not compile: " + firstLine(err.Error()))
	}
	if s.cacheDir != "" {
		pruneCache(s.cacheDir, s.cacheMax)
	}
	if err := checkImports(compiled); err != nil {
		compiled.Close(context.Background())
		return nil, invalidError(err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.modules == nil { // closed meanwhile
		compiled.Close(context.Background())
		return nil, errClosed
	}
	if k := s.modules[sum]; k != nil { // compiled by another run meanwhile
		compiled.Close(context.Background())
		s.uses++
		k.runs, k.used = k.runs+1, s.uses
		return k, nil
	}
	s.uses++
	k := &keptModule{compiled: compiled, runs: 1, used: s.uses}
	s.modules[sum] = k
	for len(s.modules) > keptModules {
		var oldest [32]byte
		var o *keptModule
		for h, m := range s.modules {
			if o == nil || m.used < o.used {
				oldest, o = h, m
			}
		}
		delete(s.modules, oldest)
		o.dropped = true
		if o.runs == 0 {
			o.compiled.Close(context.Background())
		}
	}
	return k, nil
}

// kept lists the modules the sandbox keeps compiled.
func (s *Sandbox) kept() [][32]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][32]byte, 0, len(s.modules))
	for h := range s.modules {
		out = append(out, h)
	}
	return out
}

// release ends a run's use of k.
func (s *Sandbox) release(k *keptModule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k.runs--
	if k.dropped && k.runs == 0 {
		k.compiled.Close(context.Background())
	}
}

// invalidError is a module the sandbox refuses to run, with the reason.
type invalidError string

func (e invalidError) Error() string { return string(e) }

// epoch is the fixed wall-clock time jobs see: the same for every run.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Check says in words why module is not a WASI preview 1 module this sandbox runs
// (ErrInvalidModule), or nil. A buyer checks its own module before paying for a deal.
//
// Checking is decoding and validating: the interpreter stops there, where the compiler
// would go on to generate machine code (about a second of CPU and tens of megabytes
// for a Go-built module) that the checking process throws away, since jobs run in
// worker processes. A module that passed is remembered by its hash.
func (s *Sandbox) Check(ctx context.Context, module []byte) error {
	if len(module) > terms.MaxBlob {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrInvalidModule, len(module), terms.MaxBlob)
	}
	sum := ModuleHash(module)
	if s.passed.has(sum) {
		return nil
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(context.Background())
	compiled, err := rt.CompileModule(ctx, module)
	if err != nil {
		return fmt.Errorf("%w: it does not compile: %s", ErrInvalidModule, firstLine(err.Error()))
	}
	if err := checkImports(compiled); err != nil {
		return fmt.Errorf("%w: %s", ErrInvalidModule, err.Error())
	}
	s.passed.add(sum)
	return nil
}

// moduleSet remembers the hashes of modules that passed Check, up to checkedMax of
// them; past that it starts over, which costs only a check done again.
type moduleSet struct {
	mu  sync.Mutex
	set map[[32]byte]struct{}
}

const checkedMax = 256

func (m *moduleSet) has(sum [32]byte) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.set[sum]
	return ok
}

func (m *moduleSet) add(sum [32]byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.set == nil || len(m.set) >= checkedMax {
		m.set = make(map[[32]byte]struct{})
	}
	m.set[sum] = struct{}{}
}

// Run runs job to its end or to a cap. An error means the sandbox itself could not run
// (bad limits, too much input); everything the job does wrong is in the Result.
func (s *Sandbox) Run(ctx context.Context, job Job) (Result, error) {
	return s.run(ctx, job, ModuleHash(job.Module))
}

// run runs job, whose module's hash is sum. A job without a module's bytes runs the
// module of that hash if the sandbox keeps it, else it is errMissing.
func (s *Sandbox) run(ctx context.Context, job Job, sum [32]byte) (Result, error) {
	if err := job.Limits.Validate(); err != nil {
		return Result{}, err
	}
	switch {
	case len(job.Module) > terms.MaxBlob:
		return Result{}, fmt.Errorf("%w: module of %d bytes", ErrLimits, len(job.Module))
	case len(job.Input) > terms.MaxBlob:
		return Result{}, fmt.Errorf("%w: input of %d bytes", ErrLimits, len(job.Input))
	case len(job.InputTree) > terms.MaxBlob:
		return Result{}, fmt.Errorf("%w: input tree of %d bytes", ErrLimits, len(job.InputTree))
	case job.InputTree != nil && len(job.Input) > 0:
		// One or the other, so a job still fits a worker's frame (maxWorkerMessage).
		return Result{}, fmt.Errorf("%w: both an input file and an input tree", ErrLimits)
	case len(job.Args) > MaxArgs:
		return Result{}, fmt.Errorf("%w: %d arguments", ErrLimits, len(job.Args))
	case len(job.Env) > MaxArgs:
		return Result{}, fmt.Errorf("%w: %d environment variables", ErrLimits, len(job.Env))
	}
	env := make([][2]string, 0, len(job.Env))
	for _, kv := range job.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || strings.ContainsRune(kv, 0) {
			return Result{}, fmt.Errorf("%w: environment variable %q is not NAME=value", ErrLimits, kv)
		}
		env = append(env, [2]string{k, v})
	}
	fsc := wazero.NewFSConfig()
	if job.InputTree != nil {
		tree, err := inputTree(job.InputTree)
		if err != nil {
			// The buyer's input, not this machine, is at fault: every machine ends the
			// job the same way, so its provider can post that and be paid for it.
			return Result{Status: StatusInvalid, Reason: firstLine(err.Error())}, nil
		}
		fsc = fsc.WithFSMount(tree, "/input")
	} else {
		fsc = fsc.WithFSMount(fstest.MapFS{"input": &fstest.MapFile{Data: job.Input, Mode: 0o444, ModTime: epoch}}, "/")
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopped := s.stopped
	rt, err := s.runtime()
	if err != nil {
		return Result{}, err
	}
	k, err := s.compile(ctx, rt, job.Module, sum)
	var invalid invalidError
	switch {
	case errors.As(err, &invalid):
		return Result{Status: StatusInvalid, Reason: string(invalid)}, nil
	case err != nil:
		return Result{}, err
	}
	defer s.release(k)
	stderr := &cappedWriter{limit: stderrCap}
	var stdout *cappedWriter
	start := time.Now()
	if s.started != nil {
		s.started()
	}
	capped := func(status Status, reason string, cause error) {
		if stopped != nil {
			stopped(Result{Status: status, Reason: reason, Stdout: stdout.bytes(), Stderr: stderr.bytes(), Elapsed: time.Since(start)})
		}
		cancel(cause)
	}
	stdout = &cappedWriter{limit: job.Limits.OutputBytes, over: func() {
		capped(StatusOutputTooLarge, fmt.Sprintf("wrote more than its output cap of %d bytes", job.Limits.OutputBytes), errOutputCap)
	}}
	var out *outputFS
	var outDir string
	if job.Limits.Tree.Bytes > 0 {
		if outDir, err = os.MkdirTemp("", "daoli-output-"); err != nil {
			return Result{}, fmt.Errorf("output directory: %w", err)
		}
		defer os.RemoveAll(outDir)
		out = newOutputFS(outDir, job.Limits.Tree, func(reason string) { capped(StatusOutputTooLarge, reason, errOutputCap) })
		fsc = fsc.(sysfs.FSConfig).WithSysFSMount(out, "/output")
	}
	rng := rand.NewChaCha8(job.Seed)
	var tick int64
	mcfg := wazero.NewModuleConfig().
		WithName("").
		WithArgs(append([]string{"job"}, job.Args...)...).
		WithStdin(bytes.NewReader(job.Input)).
		WithStdout(stdout).
		WithStderr(stderr).
		WithFSConfig(fsc).
		WithRandSource(rng).
		WithWalltime(func() (int64, int32) { return epoch.Unix(), 0 }, sys.ClockResolution(time.Microsecond)).
		WithNanotime(func() int64 {
			// Monotonic time advances by a fixed step per reading, so loops that wait on
			// it end, and every run sees the same readings.
			tick += int64(time.Microsecond)
			return tick
		}, sys.ClockResolution(time.Microsecond)).
		WithNanosleep(func(int64) {}).
		WithStartFunctions() // _start is called below, once the memory is known to fit
	for _, kv := range env {
		mcfg = mcfg.WithEnv(kv[0], kv[1])
	}
	tctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	go runningClock(tctx, job.Limits.WallTime, func() {
		if stopped != nil {
			capped(StatusTimeout, fmt.Sprintf("still running after its wall-time cap of %v", job.Limits.WallTime), errWallTime)
		}
		stop(errWallTime)
	})
	start = time.Now()
	mem := &jobMemory{limit: job.Limits.MemoryBytes}
	mod, err := rt.InstantiateModule(experimental.WithMemoryAllocator(tctx, mem), k.compiled, mcfg)
	if err == nil {
		if mem.overAtStart {
			mod.Close(context.Background())
			return Result{Status: StatusMemory, Reason: fmt.Sprintf("needs more memory at its start than its cap of %d bytes", job.Limits.MemoryBytes)}, nil
		}
		_, err = mod.ExportedFunction("_start").Call(tctx)
	}
	elapsed := time.Since(start)
	if mod != nil {
		mod.Close(context.Background())
	}
	res := Result{Stdout: stdout.bytes(), Stderr: stderr.bytes(), Elapsed: elapsed}
	var exit *sys.ExitError
	switch {
	case out != nil && out.reason() != "":
		// Before a clean exit: a job may ignore the failed write.
		res.Status, res.Reason = StatusOutputTooLarge, out.reason()
	case err == nil:
		res.Status = StatusOK
	case stdout.overflow:
		res.Status, res.Reason = StatusOutputTooLarge, fmt.Sprintf("wrote more than its output cap of %d bytes", job.Limits.OutputBytes)
	case errors.Is(context.Cause(tctx), errWallTime):
		res.Status, res.Reason = StatusTimeout, fmt.Sprintf("still running after its wall-time cap of %v", job.Limits.WallTime)
	case ctx.Err() != nil:
		return Result{}, context.Cause(ctx)
	case errors.As(err, &exit) && exit.ExitCode() == 0:
		res.Status = StatusOK
	case errors.As(err, &exit):
		res.Status, res.ExitCode = StatusFailed, exit.ExitCode()
		res.Reason = fmt.Sprintf("exited with code %d", exit.ExitCode())
		if last := lastLine(res.Stderr); last != "" {
			res.Reason += ": " + last
		}
		if outOfMemory(res.Stderr) {
			res.Status = StatusMemory
			res.Reason = fmt.Sprintf("ran out of memory under its cap of %d bytes", job.Limits.MemoryBytes)
		}
	default:
		res.Status, res.Reason = StatusFailed, "trapped: "+firstLine(err.Error())
		if outOfMemory(res.Stderr) {
			res.Status = StatusMemory
			res.Reason = fmt.Sprintf("ran out of memory under its cap of %d bytes", job.Limits.MemoryBytes)
		}
	}
	if res.Status == StatusOK && out != nil {
		switch res.Tree, err = PackDir(outDir, int64(job.Limits.Tree.Bytes)); {
		case errors.Is(err, ErrTreeSize):
			// Only a way round the count of bytes written could leave this; the files
			// are not read.
			res.Status, res.Reason, res.Tree = StatusOutputTooLarge, fmt.Sprintf("left more than its cap of %d bytes in /output", job.Limits.Tree.Bytes), nil
		case errors.Is(err, ErrTreePath):
			// A cap on names or depth reached by a rename, which checks only the new
			// name, not the depth of what it moves.
			res.Status, res.Reason, res.Tree = StatusOutputTooLarge, "left in /output past its caps: "+firstLine(err.Error()), nil
		case err != nil:
			res.Status, res.Reason = StatusFailed, "left in /output what cannot be packed: "+firstLine(err.Error())
		case len(res.Tree) > terms.MaxBlob:
			// Its names and headers on top of the bytes it wrote.
			res.Status, res.Reason, res.Tree = StatusOutputTooLarge, fmt.Sprintf("left /output packed in %d bytes, over the network's limit of %d", len(res.Tree), terms.MaxBlob), nil
		}
	}
	return res, nil
}

// inputTree is a packed tree as the read-only file system mounted at /input.
func inputTree(packed []byte) (fstest.MapFS, error) {
	entries, err := UnpackTree(packed)
	if err != nil {
		return nil, fmt.Errorf("input tree: %w", err)
	}
	m := make(fstest.MapFS, len(entries))
	for _, e := range entries {
		if e.Dir {
			m[e.Path] = &fstest.MapFile{Mode: fs.ModeDir | 0o555, ModTime: epoch}
		} else {
			m[e.Path] = &fstest.MapFile{Data: e.Data, Mode: 0o444, ModTime: epoch}
		}
	}
	return m, nil
}

// compileContext lets wazero compile a module's functions on every core: a module
// not yet in the cache compiles in about half the time on two cores. (A worker runs
// at the lowest priority, so the cores it takes are idle ones.)
func compileContext(ctx context.Context) context.Context {
	return experimental.WithCompilationWorkers(ctx, runtime.GOMAXPROCS(0))
}

// clockTick is how often the running clock advances; a gap between ticks longer than
// clockGap means the process was stopped (paused by the governor, or the laptop slept)
// and counts as clockGap only.
const (
	clockTick = 10 * time.Millisecond
	clockGap  = 250 * time.Millisecond
)

// runningClock calls expire once the job has been running for limit, counting only
// the time the process was actually running.
func runningClock(ctx context.Context, limit time.Duration, expire func()) {
	t := time.NewTicker(clockTick)
	defer t.Stop()
	last := time.Now()
	var ran time.Duration
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			// A long gap is a stop (or the machine asleep); it counts as one tick's
			// worth at most. Counting at least that much keeps a starved process's
			// clock moving.
			ran += min(now.Sub(last), clockGap)
			last = now
			if ran >= limit {
				expire()
				return
			}
		}
	}
}

var (
	errOutputCap = errors.New("output cap")
	errClosed    = errors.New("sandbox closed")
	errMissing   = errors.New("module not kept")
	errWallTime  = errors.New("wall-time cap")
)

// checkImports admits modules that import only WASI preview 1: anything else would
// fail at instantiation with a message about the host, not the job.
func checkImports(m wazero.CompiledModule) error {
	for _, f := range m.ImportedFunctions() {
		mod, name, _ := f.Import()
		if mod != wasi_snapshot_preview1.ModuleName {
			return fmt.Errorf("imports %s.%s: a job may import only %s", mod, name, wasi_snapshot_preview1.ModuleName)
		}
	}
	if len(m.ExportedFunctions()) == 0 || m.ExportedFunctions()["_start"] == nil {
		return errors.New("has no _start function: build it as a WASI command (GOOS=wasip1, or wasm32-wasi)")
	}
	return nil
}

// outOfMemory recognizes the runtimes' own words for a failed memory.grow: Go's,
// Rust's and C's allocators abort with these.
func outOfMemory(stderr []byte) bool {
	for _, s := range []string{"out of memory", "memory allocation of", "Cannot allocate memory"} {
		if bytes.Contains(stderr, []byte(s)) {
			return true
		}
	}
	return false
}

// lastLine is the job's last words on standard error, cut to a readable length.
func lastLine(b []byte) string {
	b = bytes.TrimRight(b, "\n")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func firstLine(s string) string {
	if i := bytes.IndexByte([]byte(s), '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// cappedWriter keeps up to limit bytes and notes, once, that more came.
type cappedWriter struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	limit    int
	overflow bool
	over     func()
}

func (w *cappedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	room := w.limit - w.buf.Len()
	if len(p) <= room {
		defer w.mu.Unlock()
		return w.buf.Write(p)
	}
	w.buf.Write(p[:max(room, 0)])
	first := !w.overflow
	w.overflow = true
	w.mu.Unlock()
	// Outside the lock: the callback may read what was written.
	if first && w.over != nil {
		w.over()
	}
	return 0, io.ErrShortWrite
}

func (w *cappedWriter) bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.buf.Bytes())
}

// ModuleHash names a module in the content directory and the compilation cache.
func ModuleHash(module []byte) [32]byte { return sha256.Sum256(module) }
