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
	"github.com/daolicloud/daoli/node/control"
	"github.com/daolicloud/daoli/node/market/terms"
)

var jobUsage = fmt.Sprintf(`Usage:
  daoli job run <template|file.wasm> [--input FILE] [--arg A]... [--max-price N]
                [--deadline D] [--out FILE]   buy a run of a job and wait for its output
  daoli job run <template|file.wasm> --each 'DIR/*.ext' | --tasks N [--attempts K]
                [--arg A]... [--out DIR]       a batch: one task per file, or N tasks
                                               ({task} in an argument is the task's
                                               index); results in DIR, one folder each
  daoli job list                               the jobs this node bought
  daoli job show ID                            one job or batch in full
  daoli job cancel ID                          withdraw a job no provider took yet, or
                                               every task of a batch nobody took
The templates are the example jobs: %s. Every command
takes --data DIR and --json, and talks to the running node (daoli or daoli node).
`, exampleJobNames())

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
	var jargs stringList
	input := fs.String("input", "", "input file (the job reads it on standard input and as /input)")
	fs.Var(&jargs, "arg", "an argument for the job (repeat for more)")
	maxPrice := fs.Uint64("max-price", 100, "the most to pay, in the smallest unit")
	deadline := fs.String("deadline", DefaultJobDeadline.String(), "how long a provider has to post the result")
	out := fs.String("out", "", "write the output to this file (default: standard output); a batch's results to this folder")
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
		if err := listBatches(ctx, cl, stdout); err != nil {
			fmt.Fprintln(stderr, "daoli job list:", err)
			return 1
		}
		if len(js) == 0 {
			fmt.Fprintln(stdout, "No jobs yet. Buy one with: daoli job run pi")
		}
		for _, j := range js {
			fmt.Fprintf(stdout, "%s  %-9s %s\n", j.ID.Short(), j.Phase, describeJob(j))
		}
		return 0
	case "show", "cancel":
		if id, ok, err := findBatch(ctx, cl, pos[0]); err != nil || ok {
			if err != nil {
				fmt.Fprintf(stderr, "daoli job %s: %v\n", sub, err)
				return 1
			}
			return batchCommand(ctx, cl, sub, id, c.json, stdout, stderr)
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
		if c.json {
			return exitJSON(stdout, j)
		}
		printJob(stdout, j)
		return 0
	}
	req := control.JobRequest{Args: jargs, MaxPrice: *maxPrice, Deadline: *deadline}
	if target := pos[0]; strings.HasSuffix(target, ".wasm") || strings.ContainsRune(target, os.PathSeparator) {
		if req.ModulePath, err = filepath.Abs(target); err != nil {
			fmt.Fprintln(stderr, "daoli job run:", err)
			return 1
		}
	} else {
		req.Template = target
	}
	if *input != "" {
		if req.InputPath, err = filepath.Abs(*input); err != nil {
			fmt.Fprintln(stderr, "daoli job run:", err)
			return 1
		}
	}
	if bf.set() {
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
	j, err := runJob(ctx, cl, req, *out, stdout, stderr)
	if c.json && j.ID != (chain.Hash{}) {
		exitJSON(stdout, j)
	}
	if err != nil {
		fmt.Fprintln(stderr, "daoli job run:", err)
		return 1
	}
	return 0
}

// ErrJobFailed: the deal closed without a result the buyer paid for.
var ErrJobFailed = errors.New("the job did not complete")

// runJob opens the deal, shows its progress on stderr, and writes the output.
func runJob(ctx context.Context, cl *control.Client, req control.JobRequest, out string, stdout, stderr io.Writer) (control.JobView, error) {
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
			return j, writeOutput(ctx, cl, j, out, stdout)
		}
		select {
		case <-ctx.Done():
			return j, fmt.Errorf("stopped waiting; the job goes on (daoli job show %s): %w", j.ID.Short(), ctx.Err())
		case <-tick.C:
		}
	}
}

func writeOutput(ctx context.Context, cl *control.Client, j control.JobView, out string, stdout io.Writer) error {
	path := out
	if path == "" {
		f, err := os.CreateTemp("", "daoli-output-*")
		if err != nil {
			return err
		}
		f.Close()
		path = f.Name()
		defer os.Remove(path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if _, err := cl.JobOutput(ctx, j.ID, abs); err != nil {
		return err
	}
	if out != "" {
		return nil
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return err
	}
	_, err = stdout.Write(data)
	return err
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
