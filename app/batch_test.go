package app

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/daolicloud/daoli/node/light"
)

// TestBatchCommandLineErrors: a batch that cannot run is refused with exit 2 before
// the node is asked anything: the data directory has no node, and the error is the
// batch's, not "no node".
func TestBatchCommandLineErrors(t *testing.T) {
	dir := t.TempDir()
	empty := t.TempDir()
	if err := os.Mkdir(filepath.Join(empty, "sub.png"), 0o755); err != nil {
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
		{[]string{"--each", filepath.Join(empty, "[")}, "syntax error in pattern"},
		{[]string{"--tasks", "0", "--attempts", "2"}, "--attempts is for a batch"},
		{[]string{"--tasks", "-3"}, "--tasks -3: give 1 to 1000"},
		{[]string{"--tasks", "1001"}, "--tasks 1001: give 1 to 1000"},
		{[]string{"--tasks", "2", "--each", in}, "not both"},
		{[]string{"--tasks", "2", "--input", in}, "not --input"},
		{[]string{"--tasks", "2", "--attempts", "11"}, "--attempts 11: give 1 to 10"},
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
	if _, err := batchSpec(job, "pi", []string{dir}, 0, 0); err == nil {
		t.Fatal("a folder accepted as an input file")
	}
}
