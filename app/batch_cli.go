package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/daolicloud/daoli/node/batch"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/control"
)

// batchFlags are daoli job run's batch options.
type batchFlags struct {
	each     string
	tasks    int
	attempts int
	inputs   []string // the files each matched, absolute
}

func (b *batchFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.each, "each", "", "run one task per file or folder matching this pattern (quote it: 'DIR/*.png'); it is the task's input")
	fs.IntVar(&b.tasks, "tasks", 0, fmt.Sprintf("run this many tasks (1 to %d), each reading --in if given; %s in an --arg becomes each task's index, from 0", batch.MaxTasks, batch.TaskPlaceholder))
	fs.IntVar(&b.attempts, "attempts", 0, fmt.Sprintf("deals a batch's task gets at most before it counts as failed (default %d)", batch.DefaultAttempts))
}

func (b *batchFlags) set() bool { return b.each != "" || b.tasks != 0 }

// check refuses a batch that cannot run before the node is asked anything, and
// expands --each: nothing is opened for a pattern that matches no file.
func (b *batchFlags) check(input string) error {
	switch {
	case !b.set() && b.attempts != 0:
		return fmt.Errorf("--attempts is for a batch (--each or --tasks)")
	case !b.set():
		return nil
	case b.each != "" && b.tasks != 0:
		return fmt.Errorf("give --each or --tasks, not both")
	case input != "" && b.each != "":
		return fmt.Errorf("--each gives each task its input; give no --in")
	case b.attempts < 0 || b.attempts > batch.MaxAttempts:
		return fmt.Errorf("--attempts %d: give 1 to %d", b.attempts, batch.MaxAttempts)
	case b.each == "":
		if err := batch.CheckSize(b.tasks); err != nil {
			return fmt.Errorf("--tasks %d: give 1 to %d", b.tasks, batch.MaxTasks)
		}
		return nil
	}
	matches, err := filepath.Glob(b.each)
	if err != nil {
		return fmt.Errorf("--each %q: %w", b.each, err)
	}
	for _, m := range matches {
		if st, err := os.Stat(m); err != nil || !st.Mode().IsRegular() && !st.IsDir() {
			continue // a broken link or a device is no task's input
		}
		abs, err := filepath.Abs(m)
		if err != nil {
			return err
		}
		b.inputs = append(b.inputs, abs)
	}
	if len(b.inputs) == 0 {
		return fmt.Errorf("--each %q matches no file", b.each)
	}
	if err := batch.CheckSize(len(b.inputs)); err != nil {
		return fmt.Errorf("--each %q matches %d files; a batch has at most %d tasks", b.each, len(b.inputs), batch.MaxTasks)
	}
	return nil
}

// runBatch buys the batch, shows its one progress line on stderr as it changes, and
// once it is finished writes its results under out (default ./batch-ID), one folder
// per task.
func runBatch(ctx context.Context, cl *control.Client, job control.JobRequest, b *batchFlags, out string, stderr io.Writer) (control.BatchView, error) {
	resp, err := cl.RunBatch(ctx, control.BatchRequest{Job: job, Inputs: b.inputs, Tasks: b.tasks, Attempts: b.attempts})
	if err != nil {
		return control.BatchView{}, err
	}
	if out == "" {
		out = "batch-" + resp.ID.Short()
	}
	if out, err = filepath.Abs(out); err != nil {
		return control.BatchView{}, err
	}
	fmt.Fprintf(stderr, "Batch %s submitted; results go to %s.\n", resp.ID.Short(), out)
	last := ""
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		v, err := cl.Batch(ctx, resp.ID)
		if err != nil {
			return v, err
		}
		if line := batchLine(v); line != last {
			fmt.Fprintln(stderr, line)
			last = line
		}
		if v.Finished {
			r, err := cl.BatchResults(ctx, v.ID, out)
			if err != nil {
				return v, err
			}
			fmt.Fprintln(stderr, resultsLine(r, out))
			if v.Progress.Done != v.Progress.Tasks {
				return v, fmt.Errorf("%w: %d of %d tasks did not complete (daoli job show %s)", ErrJobFailed,
					v.Progress.Tasks-v.Progress.Done, v.Progress.Tasks, v.ID.Short())
			}
			return v, nil
		}
		select {
		case <-ctx.Done():
			return v, fmt.Errorf("stopped waiting; the batch goes on (daoli job show %s, daoli job cancel %s): %w", v.ID.Short(), v.ID.Short(), ctx.Err())
		case <-tick.C:
		}
	}
}

// batchLine is a batch's progress line, with what went wrong last if anything.
func batchLine(v control.BatchView) string {
	s := "Batch " + v.ID.Short() + ": " + v.Line
	if v.Cancelled && !v.Finished {
		s += " (cancelled: the tasks providers took finish)"
	}
	if v.Error != "" {
		s += " (problem: " + v.Error + ")"
	}
	return s
}

// findBatch resolves a batch ID or the short ID the lists print; ok is false when no
// batch has it (it may be a job's).
func findBatch(ctx context.Context, cl *control.Client, arg string) (id chain.Hash, ok bool, err error) {
	bs, err := cl.Batches(ctx)
	if err != nil {
		return id, false, err
	}
	var found []chain.Hash
	for _, b := range bs {
		if strings.HasPrefix(b.ID.String(), strings.ToLower(arg)) {
			found = append(found, b.ID)
		}
	}
	switch len(found) {
	case 0:
		return id, false, nil
	case 1:
		return found[0], true, nil
	}
	return id, false, fmt.Errorf("%q names %d batches; give more of the ID", arg, len(found))
}

// showBatch prints a batch and each task's state.
func printBatch(w io.Writer, v control.BatchView) {
	fmt.Fprintf(w, "Batch     %s\nRuns      %s\nState     %s\n", v.ID, v.Name, v.Line)
	if v.Cancelled {
		fmt.Fprintln(w, "Cancelled yes")
	}
	if v.Error != "" {
		fmt.Fprintf(w, "Problem   %s\n", v.Error)
	}
	for _, t := range v.Tasks {
		fmt.Fprintf(w, "  %-20s %-9s", t.Name, t.State)
		if t.Provider != nil {
			fmt.Fprintf(w, " on %s", t.Provider.String())
		}
		if t.Attempts > 1 {
			fmt.Fprintf(w, " (%d attempts)", t.Attempts)
		}
		if t.Why != "" {
			fmt.Fprintf(w, ": %s", t.Why)
		}
		fmt.Fprintln(w)
	}
}

// batchCommand runs show or cancel on a batch.
func batchCommand(ctx context.Context, cl *control.Client, sub string, id chain.Hash, out string, asJSON bool, stdout, stderr io.Writer) int {
	var v control.BatchView
	var err error
	if sub == "cancel" {
		v, err = cl.CancelBatch(ctx, id)
	} else {
		v, err = cl.Batch(ctx, id)
	}
	if err != nil {
		fmt.Fprintf(stderr, "daoli job %s: %v\n", sub, err)
		return 1
	}
	if asJSON && out == "" {
		return exitJSON(stdout, v)
	}
	if !asJSON {
		printBatch(stdout, v)
	}
	if out != "" {
		// The results written again: the tasks whose folders are there already are
		// left as they were, and the others written.
		dir, err := filepath.Abs(out)
		if err != nil {
			fmt.Fprintln(stderr, "daoli job show:", err)
			return 2
		}
		r, err := cl.BatchResults(ctx, id, dir)
		if err != nil {
			fmt.Fprintln(stderr, "daoli job show:", err)
			return 1
		}
		fmt.Fprintln(stderr, resultsLine(r, dir))
	}
	return 0
}

// listBatches prints one line per batch, with its counts, above the jobs, and returns
// how many there are and the deals they opened: the list shows those in their batch's
// line only.
func listBatches(ctx context.Context, cl *control.Client, stdout io.Writer) (int, map[chain.Hash]bool, error) {
	bs, err := cl.Batches(ctx)
	if err != nil {
		return 0, nil, err
	}
	deals := map[chain.Hash]bool{}
	for _, b := range bs {
		fmt.Fprintf(stdout, "%s  batch     %s: %s\n", b.ID.Short(), b.Name, b.Line)
		for _, t := range b.Tasks {
			for _, d := range t.Deals {
				deals[d] = true
			}
		}
	}
	return len(bs), deals, nil
}

// resultsLine says where a batch's results went, and which tasks' folders were there
// already and left as they were.
func resultsLine(r control.ResultsResponse, out string) string {
	line := fmt.Sprintf("%d results in %s.", len(r.Written), out)
	if len(r.Existed) > 0 {
		line += " Already there, left as they were: " + strings.Join(r.Existed, ", ") + "."
	}
	return line
}
