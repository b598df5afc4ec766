package peers

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/daolicloud/daoli/assets"
	"github.com/daolicloud/daoli/node/compute"
)

// WasmJob is one example module run on the same arguments and input by each runtime.
type WasmJob struct {
	Label string
	Name  string // the module's directory under assets/jobs
	Args  []string
	Stdin []byte            // standard input; nil for none
	Tree  map[string][]byte // the files of the directory /input; nil for none
	// Random: the output depends on the run's seed (π), so only its first line is
	// compared across runtimes.
	Random bool
}

// WasmJobs are the jobs measured: every example module of assets/jobs, each on an input
// that takes it a few hundred milliseconds natively. The text is generated, the same
// bytes every run.
func WasmJobs() []WasmJob {
	var text bytes.Buffer
	for l := 0; text.Len() < 2<<20; l++ {
		fmt.Fprintf(&text, "line %d of the text, word %d and word%d, again %d\n", l%101, (l*7919)%1009, l%13, l%7)
	}
	tree := map[string][]byte{}
	for i := range 200 {
		var f bytes.Buffer
		for l := 0; f.Len() < 20_000; l++ {
			fmt.Fprintf(&f, "line %d of file %d, word %d\n", l%37, i, (l*7919)%101)
		}
		tree[fmt.Sprintf("dir%d/file%03d.txt", i%4, i)] = f.Bytes()
	}
	return []WasmJob{
		{Label: "hash", Name: "hash", Args: []string{"100000"}, Stdin: text.Bytes()[:64<<10]},
		{Label: "linestat", Name: "linestat", Tree: tree},
		{Label: "mandelbrot", Name: "mandelbrot", Args: []string{"512", "512"}},
		{Label: "pi", Name: "pi", Args: []string{"20000000"}, Random: true},
		{Label: "sortuniq", Name: "sortuniq", Tree: tree},
		{Label: "wordcount", Name: "wordcount", Stdin: text.Bytes()},
	}
}

// WasmTimes are one job's medians in each runtime.
type WasmTimes struct {
	Label       string
	Native      time.Duration // the native process, its start included
	Node        time.Duration // Node.js: instantiating and running the compiled module
	NodeCompile time.Duration // Node.js: WebAssembly.compile, once
	Sandbox     time.Duration // Daoli's kept worker: the job sent, run and its result read
	SandboxRun  time.Duration // the module's run in the worker (compute.Result.Elapsed)
	// CPU time of the same runs (user and system, every thread): what the run cost,
	// whatever else the machine's cores were doing.
	NativeCPU, NodeCPU, SandboxCPU time.Duration
	OutputsAgree                   bool
}

// WasmDir holds a job's input files and the native builds.
type WasmDir struct {
	Root  string // the module root (assets/jobs is under it)
	Dir   string // scratch
	Nice  int    // the niceness the native and Node.js runs get, as the worker's
	Reps  int    // measured rounds; one more unmeasured first
	Node  string // node binary
	Clang string
	Rustc string
}

// RewritePaths makes a C or Rust example read dir/input and write dir/output instead
// of /input and /output when built natively: every string literal that starts with
// "/input or "/output gets dir in front. The examples take those paths as literals
// (WASI gives them as preopened directories); the rest of the source is unchanged.
func RewritePaths(src, dir string) string {
	src = strings.ReplaceAll(src, `"/input`, `"`+dir+`/input`)
	return strings.ReplaceAll(src, `"/output`, `"`+dir+`/output`)
}

// BuildNative builds job name's source for this machine into d.Dir: Go with go build,
// C with clang -O2, Rust with rustc at opt-level 2, the flags of packaging/build-jobs.sh
// without the WebAssembly target.
func (d WasmDir) BuildNative(ctx context.Context, name string) (string, error) {
	src := filepath.Join(d.Root, "assets", "jobs", name)
	exe := filepath.Join(d.Dir, name+".native")
	var cmd *exec.Cmd
	rewrite := func(file string) (string, error) {
		raw, err := os.ReadFile(filepath.Join(src, file))
		if err != nil {
			return "", err
		}
		out := filepath.Join(d.Dir, name+"-"+file)
		return out, os.WriteFile(out, []byte(RewritePaths(string(raw), d.Dir)), 0o644)
	}
	switch {
	case exists(filepath.Join(src, "main.go")):
		cmd = exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", exe, "./assets/jobs/"+name)
		cmd.Dir = d.Root
	case exists(filepath.Join(src, "main.c")):
		file, err := rewrite("main.c")
		if err != nil {
			return "", fmt.Errorf("native %s: %w", name, err)
		}
		cmd = exec.CommandContext(ctx, d.Clang, "-O2", "-Wall", "-Werror", "-o", exe, file)
	case exists(filepath.Join(src, "main.rs")):
		file, err := rewrite("main.rs")
		if err != nil {
			return "", fmt.Errorf("native %s: %w", name, err)
		}
		cmd = exec.CommandContext(ctx, d.Rustc, "--edition", "2021", "-C", "opt-level=2", "-C", "codegen-units=1",
			"-C", "panic=abort", "-o", exe, file)
	default:
		return "", fmt.Errorf("native %s: no main.go, main.c or main.rs", name)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("native %s: %w\n%s", name, err, out)
	}
	return exe, nil
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// prepare writes the job's standard input and /input tree under d.Dir and returns
// their paths ("" for none), with the input directory empty of anything else.
func (d WasmDir) prepare(j WasmJob) (stdin, input string, err error) {
	if j.Stdin != nil {
		stdin = filepath.Join(d.Dir, j.Label+".stdin")
		if err := os.WriteFile(stdin, j.Stdin, 0o644); err != nil {
			return "", "", err
		}
	}
	input = filepath.Join(d.Dir, "input")
	if err := os.RemoveAll(input); err != nil {
		return "", "", err
	}
	if j.Tree == nil {
		return stdin, "", nil
	}
	for p, data := range j.Tree {
		f := filepath.Join(input, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return "", "", err
		}
		if err := os.WriteFile(f, data, 0o644); err != nil {
			return "", "", err
		}
	}
	return stdin, input, nil
}

// Measure runs the job Reps+1 times in each runtime, interleaved (native, Node.js,
// Daoli, then again), so that a change in the machine's load weighs on all three
// alike; the first round is not measured (it compiles the module into the worker and
// warms the caches). It returns the medians and whether the outputs agreed.
func (d WasmDir) Measure(ctx context.Context, w *compute.Worker, j WasmJob) (WasmTimes, error) {
	t := WasmTimes{Label: j.Label}
	module, err := Module(j.Name)
	if err != nil {
		return t, err
	}
	exe, err := d.BuildNative(ctx, j.Name)
	if err != nil {
		return t, err
	}
	stdin, input, err := d.prepare(j)
	if err != nil {
		return t, fmt.Errorf("%s: input: %w", j.Label, err)
	}
	job, err := sandboxJob(module, j)
	if err != nil {
		return t, err
	}
	var native, node, compile, kept, run, nativeCPU, nodeCPU, sbCPU []time.Duration
	var natOut, nodeOut, sbOut []byte
	for i := range d.Reps + 1 {
		nt, nc, out, err := d.runNative(ctx, exe, j, stdin)
		if err != nil {
			return t, err
		}
		natOut = out
		vt, vc, ct, out, err := d.runNode(ctx, module, j, stdin, input)
		if err != nil {
			return t, err
		}
		nodeOut = out
		kt, rt, kc, out, err := runSandbox(ctx, w, job, j)
		if err != nil {
			return t, err
		}
		sbOut = out
		if i > 0 {
			native, node, compile = append(native, nt), append(node, vt), append(compile, ct)
			kept, run = append(kept, kt), append(run, rt)
			nativeCPU, nodeCPU, sbCPU = append(nativeCPU, nc), append(nodeCPU, vc), append(sbCPU, kc)
		}
	}
	t.Native, t.Node, t.NodeCompile = Quantile(native, 0.5), Quantile(node, 0.5), Quantile(compile, 0.5)
	t.Sandbox, t.SandboxRun = Quantile(kept, 0.5), Quantile(run, 0.5)
	t.NativeCPU, t.NodeCPU, t.SandboxCPU = Quantile(nativeCPU, 0.5), Quantile(nodeCPU, 0.5), Quantile(sbCPU, 0.5)
	t.OutputsAgree = Agree(j, natOut, nodeOut, sbOut)
	if !t.OutputsAgree {
		return t, fmt.Errorf("%s: %w: native %q, node %q, sandbox %q", j.Label, ErrMismatch, head(natOut), head(nodeOut), head(sbOut))
	}
	return t, nil
}

func head(b []byte) []byte { return b[:min(len(b), 80)] }

// runNative runs exe once on the job's arguments and standard input (the file stdin,
// or none) and returns its wall time, the process's start included, its CPU time and
// its output.
func (d WasmDir) runNative(ctx context.Context, exe string, j WasmJob, stdin string) (time.Duration, time.Duration, []byte, error) {
	cmd := exec.CommandContext(ctx, exe, j.Args...)
	cmd.Dir = d.Dir
	if stdin != "" {
		f, err := os.Open(stdin)
		if err != nil {
			return 0, 0, nil, err
		}
		defer f.Close()
		cmd.Stdin = f
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := niced(cmd, d.Nice); err != nil {
		return 0, 0, nil, fmt.Errorf("native %s: %w", j.Label, err)
	}
	if err := cmd.Wait(); err != nil {
		return 0, 0, nil, fmt.Errorf("native %s: %w: %s", j.Label, err, stderr.Bytes())
	}
	took := time.Since(start)
	return took, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), stdout.Bytes(), nil
}

//go:embed wasi.mjs
var nodeRunner []byte

// NodeRuns is the Node.js runner's report (wasi.mjs).
type NodeRuns struct {
	CompileMs float64   `json:"compile_ms"`
	RunsMs    []float64 `json:"runs_ms"`
	CPUMs     []float64 `json:"cpu_ms"`
	Exit      int       `json:"exit"`
}

// ParseNodeRuns reads the runner's one line of JSON.
func ParseNodeRuns(out []byte) (NodeRuns, error) {
	var r NodeRuns
	if err := json.Unmarshal(bytes.TrimSpace(out), &r); err != nil {
		return r, fmt.Errorf("node runner: %w: %q", err, out)
	}
	if r.Exit != 0 {
		return r, fmt.Errorf("node runner: the module exited with %d", r.Exit)
	}
	if len(r.RunsMs) == 0 || len(r.CPUMs) != len(r.RunsMs) {
		return r, fmt.Errorf("node runner: %d runs, %d CPU times", len(r.RunsMs), len(r.CPUMs))
	}
	return r, nil
}

// nodeRuns is how many times the runner runs the module in one process: the first
// instance runs while V8 still compiles the module's hot functions with its optimizing
// tier, the second is measured.
const nodeRuns = 2

// runNode runs the module with Node.js's WASI (node:wasi, preview 1) in a new node
// process: compiled once, then instantiated and started nodeRuns times, each run timed
// inside the process. It returns the last run's wall and CPU time, the compile time
// and the output.
func (d WasmDir) runNode(ctx context.Context, module []byte, j WasmJob, stdin, input string) (run, cpu, compile time.Duration, out []byte, err error) {
	runner := filepath.Join(d.Dir, "wasi.mjs")
	wasm := filepath.Join(d.Dir, j.Name+".wasm")
	outFile := filepath.Join(d.Dir, j.Label+".node.out")
	if err = os.WriteFile(runner, nodeRunner, 0o644); err != nil {
		return 0, 0, 0, nil, err
	}
	if err := os.WriteFile(wasm, module, 0o644); err != nil {
		return 0, 0, 0, nil, err
	}
	// --single-threaded-gc: with V8's parallel and concurrent collector, node v20.20.2
	// crashed (SIGSEGV) in about half the processes that ran six instances of a module
	// with node:wasi here (sortuniq over 200 files, 4 of 8; also wordcount); with the
	// collector on the main thread, none of 16 did. Compilation stays concurrent.
	args := []string{"--no-warnings", "--single-threaded-gc", runner, wasm, fmt.Sprint(nodeRuns), or(stdin, "-"), or(input, "-"), outFile}
	cmd := exec.CommandContext(ctx, d.Node, append(args, j.Args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := niced(cmd, d.Nice); err != nil {
		return 0, 0, 0, nil, fmt.Errorf("node %s: %w", j.Label, err)
	}
	if err := cmd.Wait(); err != nil {
		return 0, 0, 0, nil, fmt.Errorf("node %s: %w: %s", j.Label, err, stderr.Bytes())
	}
	r, err := ParseNodeRuns(stdout.Bytes())
	if err != nil {
		return 0, 0, 0, nil, fmt.Errorf("node %s: %w: %s", j.Label, err, stderr.Bytes())
	}
	if len(r.RunsMs) != nodeRuns {
		return 0, 0, 0, nil, fmt.Errorf("node %s: %d runs, not %d", j.Label, len(r.RunsMs), nodeRuns)
	}
	out, err = os.ReadFile(outFile)
	ms := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	return ms(r.RunsMs[nodeRuns-1]), ms(r.CPUMs[nodeRuns-1]), ms(r.CompileMs), out, err
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// sandboxJob is the job as Daoli's market hands it to a worker: the module, the
// arguments, standard input, and the /input directory as a packed tree.
func sandboxJob(module []byte, j WasmJob) (compute.Job, error) {
	job := compute.Job{Module: module, Args: j.Args, Input: j.Stdin,
		Limits: compute.Limits{MemoryBytes: 512 << 20, WallTime: time.Minute, OutputBytes: 16 << 20}}
	if j.Tree == nil {
		return job, nil
	}
	names := make([]string, 0, len(j.Tree))
	for p := range j.Tree {
		names = append(names, p)
	}
	sort.Strings(names)
	var entries []compute.TreeEntry
	for _, p := range names {
		entries = append(entries, compute.TreeEntry{Path: p, Data: j.Tree[p]})
	}
	tree, err := compute.PackTree(entries)
	if err != nil {
		return job, fmt.Errorf("%s: pack input: %w", j.Label, err)
	}
	job.InputTree = tree
	return job, nil
}

// runSandbox runs the job once in Daoli's worker process w, as a provider does: after
// the first run the worker keeps the module compiled. It returns the time from sending
// the job to reading its result, the module's own running time (Result.Elapsed), the
// worker process's CPU time over the job (read from /proc from just after the job is
// sent) and the output.
func runSandbox(ctx context.Context, w *compute.Worker, job compute.Job, j WasmJob) (took, run, cpu time.Duration, out []byte, err error) {
	start := time.Now()
	p, err := w.Start(job)
	if err != nil {
		return 0, 0, 0, nil, fmt.Errorf("sandbox %s: %w", j.Label, err)
	}
	cpu0, cpuErr := ProcCPU(p.Pid())
	res, err := p.Wait(ctx)
	took = time.Since(start)
	if err != nil || res.Status != compute.StatusOK {
		return 0, 0, 0, nil, fmt.Errorf("sandbox %s: %v %v %s %s", j.Label, err, res.Status, res.Reason, res.Stderr)
	}
	cpu1, err := ProcCPU(p.Pid())
	if err != nil || cpuErr != nil {
		return 0, 0, 0, nil, fmt.Errorf("sandbox %s: worker CPU: %w", j.Label, errors.Join(cpuErr, err))
	}
	return took, res.Elapsed, cpu1 - cpu0, res.Stdout, nil
}

// Agree tells whether the runtimes' outputs are the same: byte for byte, or for a job
// whose output depends on its seed, the first line.
func Agree(j WasmJob, outs ...[]byte) bool {
	for _, o := range outs[1:] {
		a, b := o, outs[0]
		if j.Random {
			a, _, _ = bytes.Cut(a, []byte("\n"))
			b, _, _ = bytes.Cut(b, []byte("\n"))
		}
		if len(a) == 0 || !bytes.Equal(a, b) {
			return false
		}
	}
	return true
}

// Module is the example module name's bytes (assets/jobs).
func Module(name string) ([]byte, error) { return assets.Job(path.Base(name)) }
