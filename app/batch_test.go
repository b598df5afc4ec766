package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/batch"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/control"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/light"
	"github.com/daolicloud/daoli/node/market"
)

// TestBatchCommandLineErrors: a batch that cannot run is refused with exit 2 before
// the node is asked anything: the data directory has no node, and the error is the
// batch's, not "no node".
func TestBatchCommandLineErrors(t *testing.T) {
	dir := t.TempDir()
	empty := t.TempDir()
	if err := os.Mkdir(filepath.Join(empty, "sub.jpg"), 0o755); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(in, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := []string{"job", "run", "pi", "--data", dir}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--each", filepath.Join(empty, "*.png")}, "matches no file"},
		{[]string{"--each", filepath.Join(empty, "*.png", "x")}, "matches no file"},
		{[]string{"--each", filepath.Join(empty, "[")}, "syntax error in pattern"},
		{[]string{"--tasks", "0", "--attempts", "2"}, "--attempts is for a batch"},
		{[]string{"--tasks", "-3"}, "--tasks -3: give 1 to 1000"},
		{[]string{"--tasks", "1001"}, "--tasks 1001: give 1 to 1000"},
		{[]string{"--tasks", "2", "--each", in}, "not both"},
		{[]string{"--each", in, "--in", in}, "give no --in"},
		{[]string{"--tasks", "2", "--attempts", "11"}, "--attempts 11: give 1 to 10"},
		// The results folder is checked before the batch is bought, as a job's is.
		{[]string{"--tasks", "2", "--out", empty}, "give a new or empty folder"},
		{[]string{"--tasks", "2", "--out", filepath.Join(in, "results")}, "not a directory"},
	} {
		var out, errOut bytes.Buffer
		args := append(slices.Clone(run), tc.args...)
		if code := Main(args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut.String(), tc.want)
		}
	}
}

// TestBatchSpec: one task per input file, named after it, or N tasks named by index,
// {task} in the arguments replaced by the index.
func TestBatchSpec(t *testing.T) {
	dir := t.TempDir()
	var inputs []string
	for _, name := range []string{"a.txt", "b.txt"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("data of "+name), 0o644); err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, p)
	}
	job := light.JobSpec{Args: []string{"--seed={task}", "fixed"}, MaxPrice: 5}
	bs, err := batchSpec(job, "tool.wasm", inputs, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if bs.Name != "tool.wasm" || bs.Attempts != 2 || len(bs.Tasks) != 2 || bs.Tasks[1].Name != "b.txt" ||
		string(bs.Tasks[1].Input) != "data of b.txt" || !slices.Equal(bs.Tasks[1].Args, []string{"--seed=1", "fixed"}) {
		t.Fatalf("batch of files: %+v", bs)
	}
	bs, err = batchSpec(job, "pi", nil, 12, 0)
	if err != nil {
		t.Fatal(err)
	}
	if bs.Name != "pi" || len(bs.Tasks) != 12 || bs.Tasks[11].Name != "task-11" || bs.Tasks[3].Name != "task-03" ||
		bs.Tasks[3].Input != nil || bs.Tasks[11].Args[0] != "--seed=11" {
		t.Fatalf("batch of 12: %+v", bs.Tasks)
	}
	if _, err := batchSpec(job, "pi", []string{filepath.Join(dir, "gone.txt")}, 0, 0); err == nil {
		t.Fatal("a missing input file accepted")
	}
	folder, err := batchSpec(job, "pi", []string{dir}, 0, 0)
	if err != nil || len(folder.Tasks) != 1 || !folder.Tasks[0].InputTree || len(folder.Tasks[0].Input) == 0 {
		t.Fatalf("a folder as a task's input: %+v, %v", folder.Tasks, err)
	}
	shared := job
	shared.Input = []byte("the same for all")
	if bs, err := batchSpec(shared, "pi", nil, 3, 0); err != nil || string(bs.Tasks[2].Input) != "the same for all" || bs.Tasks[2].InputTree {
		t.Fatalf("tasks sharing the job's input: %+v, %v", bs.Tasks, err)
	}
}

// cliNode is a control API backend for the CLI tests: a market of one batch that
// finishes at once, with one task done and one failed.
type cliNode struct {
	reqs []control.BatchRequest
}

func (*cliNode) Status() light.Status                           { return light.Status{} }
func (*cliNode) Balance(context.Context) (light.Account, error) { return light.Account{}, nil }
func (*cliNode) Ledger(uint64) ([]light.Entry, error)           { return nil, nil }
func (*cliNode) Summary(time.Time) (light.Summary, error)       { return light.Summary{}, nil }

// Jobs are the batch's two deals and one job of its own.
func (n *cliNode) Jobs() []light.Job {
	var js []light.Job
	for _, id := range []chain.Hash{{1}, {2}, {0x55}} {
		j, _ := n.JobByID(id)
		js = append(js, j)
	}
	return js
}
func (*cliNode) JobByID(id chain.Hash) (light.Job, bool) {
	if id != (chain.Hash{1}) && id != (chain.Hash{2}) && id != (chain.Hash{0x55}) {
		return light.Job{}, false
	}
	return light.Job{Deal: chain.Deal{ID: id, Phase: chain.PhaseClosed, Outcome: chain.OutcomePaid, Status: chain.StatusOK, Output: chain.Hash{9}}}, true
}
func (*cliNode) CancelJob(context.Context, chain.Hash) error { return light.ErrNoDeal }
func (n *cliNode) JobOutput(ctx context.Context, id chain.Hash) ([]byte, error) {
	o, err := n.JobResult(ctx, id)
	return o.Stdout, err
}
func (*cliNode) JobResult(_ context.Context, id chain.Hash) (market.Outputs, error) {
	o := market.Outputs{Stdout: []byte(fmt.Sprintf("output %d\n", id[0]))}
	o.Result.Stderr = []byte("stderr\n")
	return o, nil
}
func (*cliNode) RunJob(context.Context, control.JobRequest) (chain.Hash, error) {
	return chain.Hash{}, errors.New("not a batch")
}
func (*cliNode) Send(context.Context, keys.Address, uint64, uint64, string) (chain.Hash, error) {
	return chain.Hash{}, errors.New("no")
}
func (n *cliNode) RunBatch(_ context.Context, req control.BatchRequest) (chain.Hash, error) {
	n.reqs = append(n.reqs, req)
	return chain.Hash{0xba}, nil
}
func (n *cliNode) batch() *batch.Batch {
	b := &batch.Batch{ID: chain.Hash{0xba}, Name: "pi", Attempts: 1, Tasks: []batch.Task{{Name: "task-0"}, {Name: "task-1"}}}
	for i, st := range []chain.DealStatus{chain.StatusOK, chain.StatusFailed} {
		b.Opened(i, chain.Hash{byte(i + 1)}, 1)
		a := &b.Tasks[i].Tries[0]
		a.Phase, a.Outcome, a.Status, a.Output, a.Spent = chain.PhaseClosed, chain.OutcomePaid, st, chain.Hash{9}, 10
	}
	return b
}
func (n *cliNode) Batches() []light.BatchStatus { return []light.BatchStatus{{Batch: n.batch()}} }
func (n *cliNode) BatchByID(id chain.Hash) (light.BatchStatus, bool) {
	return light.BatchStatus{Batch: n.batch()}, id == chain.Hash{0xba}
}
func (*cliNode) CancelBatch(chain.Hash) error { return nil }

// TestBatchCommandLine: daoli job run --tasks asks the node for the batch, prints its
// progress line, writes one folder per task with a result, and exits 1 when a task
// did not complete; daoli job list shows it as one line, its deals in no line of their
// own; daoli job show prints it, and with --out writes results again: a job's into a
// new folder, a batch's tasks that are not there yet.
func TestBatchCommandLine(t *testing.T) {
	dir := t.TempDir()
	n := &cliNode{}
	s, err := control.Serve(dir, n, control.Info{Market: n}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out := filepath.Join(t.TempDir(), "res")
	var stdout, stderr bytes.Buffer
	code := Main([]string{"job", "run", "pi", "--tasks", "2", "--arg", "{task}", "--attempts", "4", "--data", dir, "--out", out}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "1 done, 0 running, 0 waiting, 1 failed of 2; spent 20") ||
		!strings.Contains(stderr.String(), "2 results in "+out) || !strings.Contains(stderr.String(), "1 of 2 tasks did not complete") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	if len(n.reqs) != 1 || n.reqs[0].Tasks != 2 || n.reqs[0].Attempts != 4 || n.reqs[0].Job.Template != "pi" || n.reqs[0].Job.Args[0] != "{task}" {
		t.Fatalf("requests %+v", n.reqs)
	}
	for i := range 2 {
		got, err := os.ReadFile(filepath.Join(out, fmt.Sprintf("task-%d", i), "stdout"))
		if err != nil || string(got) != fmt.Sprintf("output %d\n", i+1) {
			t.Fatalf("task-%d/stdout: %q, %v", i, got, err)
		}
		if got, err := os.ReadFile(filepath.Join(out, fmt.Sprintf("task-%d", i), "stderr")); err != nil || string(got) != "stderr\n" {
			t.Fatalf("task-%d/stderr: %q, %v", i, got, err)
		}
	}
	stdout.Reset()
	if code := Main([]string{"job", "show", "ba", "--data", dir}, &stdout, &stderr); code != 0 ||
		!strings.Contains(stdout.String(), "task-1               failed   : the program failed") {
		t.Fatalf("show: exit %d\n%s", code, stdout.String())
	}
	// The list shows the batch as one line with its counts, and its deals only there.
	stdout.Reset()
	if code := Main([]string{"job", "list", "--data", dir}, &stdout, &stderr); code != 0 ||
		!strings.Contains(stdout.String(), "batch     pi: 1 done, 0 running, 0 waiting, 1 failed of 2") ||
		!strings.Contains(stdout.String(), (chain.Hash{0x55}).Short()) ||
		strings.Contains(stdout.String(), (chain.Hash{1}).Short()) || strings.Contains(stdout.String(), (chain.Hash{2}).Short()) ||
		strings.Count(stdout.String(), "\n") != 2 {
		t.Fatalf("list: exit %d\n%s", code, stdout.String())
	}
	// show --out writes a job's result again, into a new or empty folder only.
	again := filepath.Join(t.TempDir(), "again")
	stdout.Reset()
	stderr.Reset()
	if code := Main([]string{"job", "show", (chain.Hash{0x55}).String(), "--out", again, "--data", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("show --out: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if got, err := os.ReadFile(filepath.Join(again, "stdout")); err != nil || string(got) != "output 85\n" {
		t.Fatalf("show --out: stdout %q, %v", got, err)
	}
	if code := Main([]string{"job", "show", (chain.Hash{0x55}).String(), "--out", again, "--data", dir}, &stdout, &stderr); code != 2 {
		t.Fatalf("show --out into a folder with a result: exit %d", code)
	}
	// A batch's show --out writes the tasks not there yet, and names those that were.
	if err := os.RemoveAll(filepath.Join(out, "task-1")); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := Main([]string{"job", "show", "ba", "--out", out, "--data", dir}, &stdout, &stderr); code != 0 ||
		!strings.Contains(stderr.String(), "1 results in "+out+". Already there, left as they were: task-0.") {
		t.Fatalf("batch show --out: exit %d\n%s", code, stderr.String())
	}
	if got, err := os.ReadFile(filepath.Join(out, "task-1", "stdout")); err != nil || string(got) != "output 2\n" {
		t.Fatalf("task-1/stdout written again: %q, %v", got, err)
	}
	stdout.Reset()
	if code := Main([]string{"job", "cancel", "ba", "--data", dir}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "Batch     ba") {
		t.Fatalf("cancel: exit %d\n%s", code, stdout.String())
	}
}
