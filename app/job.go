package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/control"
	"github.com/daolicloud/daoli/node/market/terms"
)

var jobUsage = fmt.Sprintf(`Usage:
  daoli job run <template|file.wasm> [--in FILE|DIR] [--out DIR] [--env K=V]...
                [--memory MIB] [--time D] [--arg A]... [--max-price N] [--deadline D]
                                               buy a run of a job and wait for its output
  daoli job run <template|file.wasm> --each 'DIR/*.ext' | --tasks N [--attempts K]
                [--arg A]... [--out DIR]       a batch: one task per file, or N tasks
                                               ({task} in an argument is the task's
                                               index); results in DIR, one folder each
  daoli job list                               the jobs this node bought
  daoli job show ID [--out DIR]                one job or batch in full; with --out, its
                                               result (a batch's: every task's) written
                                               into DIR again
  daoli job cancel ID                          withdraw a job no provider took yet, or
                                               every task of a batch nobody took
The templates are the example jobs: %s. --in gives the job a
file (its standard input) or a folder (read-only under /input). Without --out the
job's standard output is printed; with it, DIR (new or empty) gets the files stdout
and stderr, and the job gets a writable /output whose files land in DIR/output.
--gpu (implied by a file.gpu.json) runs a GPU job on a provider's GPU: the file is a
GPU manifest, or the template's GPU module (%s), --in a folder of its inputs.
Every command takes --data DIR and --json, and talks to the running node (daoli or
daoli node). Bad input exits with 2, before anything is paid.
`, exampleJobNames(), exampleGPUJobNames())

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func cmdJob(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, jobUsage)
		return 2
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("daoli job "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c cliFlags
	c.register(fs, false)
	var jargs, env stringList
	input := fs.String("in", "", "input file (the job's standard input and /input) or folder (the job's /input)")
	fs.StringVar(input, "input", "", "the same as --in")
	fs.Var(&jargs, "arg", "an argument for the job (repeat for more)")
	fs.Var(&env, "env", "NAME=value in the job's environment (repeat for more)")
	memory := fs.Uint64("memory", DefaultJobMemoryMiB, "the job's memory cap, in MiB")
	wall := fs.Duration("time", DefaultJobWallTime, "the job's running-time cap")
	maxPrice := fs.Uint64("max-price", 100, "the most to pay, in the smallest unit")
	deadline := fs.String("deadline", DefaultJobDeadline.String(), "how long a provider has to post the result")
	gpuJob := fs.Bool("gpu", false, "the module is a GPU job (a .gpu.json manifest), or the template's GPU module: run by a provider's GPU")
	out := fs.String("out", "", "write stdout, stderr and the job's /output files into this new or empty folder; a batch's results to this folder")
	var bf batchFlags
	bf.register(fs)
	// A command's one positional argument may come before its flags.
	var pos []string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		pos, args = args[:1], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage(err)
	}
	pos = append(pos, fs.Args()...)
	want := map[string]int{"run": 1, "list": 0, "show": 1, "cancel": 1}
	n, known := want[sub]
	switch {
	case sub == "help" || sub == "-h" || sub == "--help":
		fmt.Fprint(stdout, jobUsage)
		return 0
	case !known:
		fmt.Fprintf(stderr, "daoli job: unknown command %q\n%s", sub, jobUsage)
		return 2
	case len(pos) != n:
		fmt.Fprintf(stderr, "daoli job %s: want %d argument(s), got %d\n%s", sub, n, len(pos), jobUsage)
		return 2
	}
	if err := bf.check(*input); err != nil {
		fmt.Fprintf(stderr, "daoli job %s: %v\n", sub, err)
		return 2
	}
	// What run was given is checked before the node is asked anything.
	var req control.JobRequest
	var outDir string
	if sub == "run" {
		jobOut := *out
		if bf.set() {
			jobOut = "" // a batch's folder of results, which runBatch makes
		}
		var err error
		if req, outDir, err = jobRequest(pos[0], *input, jobOut, jargs, env, *memory, *wall); err != nil {
			fmt.Fprintln(stderr, "daoli job run:", err)
			return 2
		}
		req.GPU = *gpuJob || strings.HasSuffix(pos[0], ".gpu.json")
		if bf.set() && *out != "" {
			if _, err := outFolder(*out); err != nil {
				fmt.Fprintln(stderr, "daoli job run:", err)
				return 2
			}
		}
	}
	dir, err := c.dataDir()
	if err != nil {
		fmt.Fprintln(stderr, "daoli job:", err)
		return 1
	}
	cl, err := control.Dial(dir)
	if err != nil {
		fmt.Fprintf(stderr, "daoli job: %v\nStart the app or `daoli node` first.\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	switch sub {
	case "list":
		js, err := cl.Jobs(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "daoli job list:", err)
			return 1
		}
		if c.json {
			return exitJSON(stdout, js)
		}
		batches, inBatch, err := listBatches(ctx, cl, stdout)
		if err != nil {
			fmt.Fprintln(stderr, "daoli job list:", err)
			return 1
		}
		if len(js) == 0 && batches == 0 {
			fmt.Fprintln(stdout, "No jobs yet. Buy one with: daoli job run pi")
		}
		for _, j := range js {
			if !inBatch[j.ID] { // a batch's deals are in its line
				fmt.Fprintf(stdout, "%s  %-9s %s\n", j.ID.Short(), j.Phase, describeJob(j))
			}
		}
		return 0
	case "show", "cancel":
		if sub == "cancel" && *out != "" {
			fmt.Fprintln(stderr, "daoli job cancel: --out is for run and show")
			return 2
		}
		if id, ok, err := findBatch(ctx, cl, pos[0]); err != nil || ok {
			if err != nil {
				fmt.Fprintf(stderr, "daoli job %s: %v\n", sub, err)
				return 1
			}
			return batchCommand(ctx, cl, sub, id, *out, c.json, stdout, stderr)
		}
		id, err := chain.ParseHash(pos[0])
		if err != nil {
			if id, err = findJob(ctx, cl, pos[0]); err != nil {
				fmt.Fprintf(stderr, "daoli job %s: %v\n", sub, err)
				return 1
			}
		}
		var j control.JobView
		if sub == "show" {
			j, err = cl.Job(ctx, id)
		} else {
			j, err = cl.CancelJob(ctx, id)
		}
		if err != nil {
			fmt.Fprintf(stderr, "daoli job %s: %v\n", sub, err)
			return 1
		}
		if c.json && *out == "" {
			return exitJSON(stdout, j)
		}
		if !c.json {
			printJob(stdout, j)
		}
		if *out != "" {
			return showResult(ctx, cl, j, *out, stdout, stderr)
		}
		return 0
	}
	if bf.set() {
		req.MaxPrice, req.Deadline = *maxPrice, *deadline
		v, err := runBatch(ctx, cl, req, &bf, *out, stderr)
		if c.json && v.ID != (chain.Hash{}) {
			exitJSON(stdout, v)
		}
		if err != nil {
			fmt.Fprintln(stderr, "daoli job run:", err)
			return 1
		}
		return 0
	}
	req.MaxPrice, req.Deadline = *maxPrice, *deadline
	j, err := runJob(ctx, cl, req, outDir, stdout, stderr)
	if c.json && j.ID != (chain.Hash{}) {
		exitJSON(stdout, j)
	}
	if err != nil {
		fmt.Fprintln(stderr, "daoli job run:", err)
		if errors.Is(err, control.ErrBadRequest) && j.ID == (chain.Hash{}) {
			return 2 // refused before the deal was opened: nothing was paid
		}
		return 1
	}
	return 0
}

// jobRequest checks what `daoli job run` was given and makes it a request: the
// module or template, the input's path, the output folder (absolute, new or empty),
// the environment and the caps. An error is the user's to fix; nothing was sent.
func jobRequest(target, input, out string, args, env []string, memoryMiB uint64, wall time.Duration) (control.JobRequest, string, error) {
	req := control.JobRequest{Args: args, Env: env, MemoryMiB: memoryMiB, WallTimeMs: uint64(wall / time.Millisecond)}
	var err error
	if strings.HasSuffix(target, ".wasm") || strings.HasSuffix(target, ".gpu.json") || strings.ContainsRune(target, os.PathSeparator) || strings.ContainsRune(target, '/') {
		if req.ModulePath, err = filepath.Abs(target); err != nil {
			return req, "", err
		}
		if info, err := os.Stat(req.ModulePath); err != nil || !info.Mode().IsRegular() {
			return req, "", fmt.Errorf("the module %s is not a file", target)
		}
	} else {
		req.Template = target
	}
	if input != "" {
		if req.InputPath, err = filepath.Abs(input); err != nil {
			return req, "", err
		}
		if _, err := os.Stat(req.InputPath); err != nil {
			return req, "", fmt.Errorf("the input: %w", err)
		}
	}
	if err := chain.CheckEnv(env); err != nil {
		return req, "", fmt.Errorf("--env: %w", err)
	}
	switch {
	case memoryMiB == 0 || memoryMiB > chain.MaxDealMemoryMiB:
		return req, "", fmt.Errorf("--memory %d: give 1 to %d MiB", memoryMiB, chain.MaxDealMemoryMiB)
	case wall <= 0 || wall > chain.MaxDealWallTimeMs*time.Millisecond:
		return req, "", fmt.Errorf("--time %v: give a duration up to %v, such as 30s", wall, chain.MaxDealWallTimeMs*time.Millisecond)
	case wall%time.Millisecond != 0:
		return req, "", fmt.Errorf("--time %v: give whole milliseconds", wall)
	}
	if out == "" {
		return req, "", nil
	}
	dir, err := outFolder(out)
	if err != nil {
		return req, "", err
	}
	req.OutputFiles = DefaultJobOutputFiles
	return req, dir, nil
}

// outFolder checks --out before anything is bought: a new or empty folder, in a
// folder that exists, so that writing the results replaces nothing.
func outFolder(out string) (string, error) {
	dir, err := filepath.Abs(out)
	if err != nil {
		return "", err
	}
	if err := compute.EmptyDir(dir); err != nil {
		return "", fmt.Errorf("--out: %w; give a new or empty folder, so nothing in it is replaced", err)
	}
	if parent := filepath.Dir(dir); parent != dir {
		if info, err := os.Stat(parent); err != nil || !info.IsDir() {
			return "", fmt.Errorf("--out: %s is not a folder", parent)
		}
	}
	return dir, nil
}

// ErrJobFailed: the deal closed without a result the buyer paid for.
var ErrJobFailed = errors.New("the job did not complete")

// runJob opens the deal, shows its progress on stderr, and writes the result: into
// outDir when one is given, else the job's standard output to stdout and its
// standard error to stderr. A run that ended other than ok is an error with its
// reason, after what it left is written.
func runJob(ctx context.Context, cl *control.Client, req control.JobRequest, outDir string, stdout, stderr io.Writer) (control.JobView, error) {
	resp, err := cl.RunJob(ctx, req)
	if err != nil {
		return control.JobView{}, err
	}
	fmt.Fprintf(stderr, "Job %s submitted.\n", resp.ID.Short())
	last := ""
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		j, err := cl.Job(ctx, resp.ID)
		if err != nil {
			return j, err
		}
		if line := describeJob(j); line != last {
			fmt.Fprintln(stderr, line)
			last = line
		}
		if j.Phase == terms.Closed {
			if !terms.Delivered(j.Outcome) {
				return j, fmt.Errorf("%w: %s", ErrJobFailed, describeJob(j))
			}
			return j, writeResult(ctx, cl, j, outDir, stdout, stderr)
		}
		select {
		case <-ctx.Done():
			return j, fmt.Errorf("stopped waiting; the job goes on (daoli job show %s): %w", j.ID.Short(), ctx.Err())
		case <-tick.C:
		}
	}
}

// showResult writes a finished job's result into out (new or empty) again, for
// `daoli job show ID --out DIR`: when writing it at the end of `daoli job run` failed,
// or the folder was lost. The result is fetched from the network again if this node
// no longer holds it.
func showResult(ctx context.Context, cl *control.Client, j control.JobView, out string, stdout, stderr io.Writer) int {
	dir, err := outFolder(out)
	if err != nil {
		fmt.Fprintln(stderr, "daoli job show:", err)
		return 2
	}
	if j.Output == nil {
		fmt.Fprintf(stderr, "daoli job show: job %s has no result to write (%s)\n", j.ID.Short(), describeJob(j))
		return 1
	}
	if err := writeResult(ctx, cl, j, dir, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "daoli job show:", err)
		return 1
	}
	return 0
}

func writeResult(ctx context.Context, cl *control.Client, j control.JobView, outDir string, stdout, stderr io.Writer) error {
	dir := outDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "daoli-result-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = filepath.Join(tmp, "result")
	}
	r, err := cl.JobResult(ctx, j.ID, dir)
	if err != nil {
		return err
	}
	if outDir != "" {
		fmt.Fprintf(stderr, "Wrote %s: stdout (%d bytes), stderr (%d bytes)", outDir, r.Stdout, r.Stderr)
		if r.Files > 0 {
			fmt.Fprintf(stderr, ", and %d files under output/", r.Files)
		}
		fmt.Fprintln(stderr, ".")
	} else {
		for _, f := range []struct {
			name string
			w    io.Writer
		}{{"stdout", stdout}, {"stderr", stderr}} {
			data, err := os.ReadFile(filepath.Join(dir, f.name))
			if err != nil {
				return err
			}
			if _, err := f.w.Write(data); err != nil {
				return err
			}
		}
	}
	if r.Status != "ok" {
		return fmt.Errorf("%w: the job ended %s: %s", ErrJobFailed, r.Status, r.Reason)
	}
	return nil
}

// describeJob says where a job is, in a line.
func describeJob(j control.JobView) string {
	prov := ""
	if j.Provider != nil {
		prov = j.Provider.String()
	}
	return terms.Progress(terms.Job{Phase: j.Phase, Outcome: j.Outcome, Provider: prov, Reason: j.Reason,
		Status: j.Status, Price: j.Price, Checked: j.Checked})
}

func printJob(w io.Writer, j control.JobView) {
	fmt.Fprintf(w, "Job       %s\nState     %s\n", j.ID, describeJob(j))
	fmt.Fprintf(w, "Module    %s\n", j.Module)
	if len(j.Arguments) > 0 {
		fmt.Fprintf(w, "Arguments %s\n", strings.Join(j.Arguments, " "))
	}
	fmt.Fprintf(w, "Price     %d (at most %d)\nOpened    height %d, result due by %d\n", j.Price, j.MaxPrice, j.Opened, j.Deadline)
	if j.Output != nil {
		fmt.Fprintf(w, "Output    %s (%s)\n", j.Output, j.Status)
	}
	for _, p := range j.Payouts {
		fmt.Fprintf(w, "Paid      %d to %s (%s)\n", p.Amount, p.To, p.Kind)
	}
	if j.Error != "" {
		fmt.Fprintf(w, "Problem   %s\n", j.Error)
	}
}

// findJob resolves the short ID that `daoli job list` prints.
func findJob(ctx context.Context, cl *control.Client, prefix string) (chain.Hash, error) {
	js, err := cl.Jobs(ctx)
	if err != nil {
		return chain.Hash{}, err
	}
	var found []chain.Hash
	for _, j := range js {
		if strings.HasPrefix(j.ID.String(), strings.ToLower(prefix)) {
			found = append(found, j.ID)
		}
	}
	switch len(found) {
	case 0:
		return chain.Hash{}, fmt.Errorf("no job %q (see daoli job list)", prefix)
	case 1:
		return found[0], nil
	}
	return chain.Hash{}, fmt.Errorf("%q names %d jobs; give more of the ID", prefix, len(found))
}

func exitJSON(w io.Writer, v any) int {
	if err := printJSON(w, v); err != nil {
		return 1
	}
	return 0
}
