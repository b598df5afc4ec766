package compute

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"
	"time"
)

var treeLimits = Limits{MemoryBytes: 256 << 20, WallTime: time.Minute, OutputBytes: 1 << 20, Tree: OutputTree{Bytes: 1 << 20, Files: 100}}

func packTree(t testing.TB, entries ...TreeEntry) []byte {
	t.Helper()
	b, err := PackTree(entries)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func treeString(t testing.TB, packed []byte) string {
	t.Helper()
	entries, err := UnpackTree(packed)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		if e.Dir {
			fmt.Fprintf(&b, "%s/\n", e.Path)
		} else {
			fmt.Fprintf(&b, "%s: %q\n", e.Path, e.Data)
		}
	}
	return b.String()
}

// TestExamplesOverTrees: the C example (wasi-libc's dirent, stat and stdio) and the
// Rust one (std::fs) read a directory at /input and write files under /output, and
// two runs give byte-identical output trees.
func TestExamplesOverTrees(t *testing.T) {
	sb := newSandbox(t)
	a, b := []byte("one two\nthree\n"), []byte("z\ny\nz\n")
	input := packTree(t, TreeEntry{Path: "a.txt", Data: a}, TreeEntry{Path: "sub/b.txt", Data: b})
	for _, tc := range []struct {
		name, stdout, tree string
	}{
		{"linestat", "2 files, 5 lines\n", fmt.Sprintf("a.txt.stat: \"2 3 14 %08x a.txt\\n\"\nsub_b.txt.stat: \"3 3 6 %08x sub/b.txt\\n\"\n"+
			"summary.txt: \"lines words bytes crc32 name\\n2 3 14 %08[1]x a.txt\\n3 3 6 %08[2]x sub/b.txt\\n5 6 20 - total (2 files)\\n\"\n",
			crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b))},
		{"sortuniq", "2 files\n", "a.txt: \"1 one two\\n1 three\\n\"\nindex.txt: \"2 2 a.txt\\n3 2 sub/b.txt\\n\"\nsub/\nsub/b.txt: \"1 y\\n2 z\\n\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := Job{Module: job(t, tc.name), InputTree: input, Limits: treeLimits}
			res := run(t, sb, j)
			if res.Status != StatusOK || string(res.Stdout) != tc.stdout {
				t.Fatalf("%v %s: stdout %q\n%s", res.Status, res.Reason, res.Stdout, res.Stderr)
			}
			if got := treeString(t, res.Tree); got != tc.tree {
				t.Fatalf("output tree:\n%s\nwant:\n%s", got, tc.tree)
			}
			if again := run(t, sb, j); !bytes.Equal(again.Tree, res.Tree) {
				t.Fatal("a second run left a different output tree")
			}
		})
	}
}

// TestOutputCaps: a job that passes a cap of /output fails with that cap in its
// reason, even though it ignores its write errors and exits 0.
func TestOutputCaps(t *testing.T) {
	sb := newSandbox(t)
	mod := hostile(t, "outtree")
	small := treeLimits
	small.Tree = OutputTree{Bytes: 10_000, Files: 5}
	many := small
	many.Tree.Files = 100
	for _, tc := range []struct {
		args   []string
		limits Limits
		reason string
	}{
		{[]string{"bytes", "20000"}, small, "cap of 10000 bytes to /output"},
		{[]string{"hole", "10000000"}, small, "cap of 10000 bytes to /output"},
		{[]string{"pwhole", "10000000"}, small, "cap of 10000 bytes to /output"},
		{[]string{"files", "6"}, small, "cap of 5 files in /output"},
		{[]string{"deep", "40"}, many, fmt.Sprintf("deeper than its cap of %d levels", MaxTreeDepth)},
		{[]string{"name", "300"}, small, fmt.Sprintf("a name of 300 bytes in /output, over its cap of %d", MaxTreeName)},
		{[]string{"movedeep"}, many, fmt.Sprintf("is 33 deep, limit %d", MaxTreeDepth)},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			res := run(t, sb, Job{Module: mod, Args: tc.args, Limits: tc.limits})
			if res.Status != StatusOutputTooLarge || !strings.Contains(res.Reason, tc.reason) || res.Tree != nil {
				t.Fatalf("%v %q, want output-too-large %q", res.Status, res.Reason, tc.reason)
			}
		})
	}
	// Within the caps, the same job passes.
	for _, tc := range []struct {
		args   []string
		limits Limits
	}{{[]string{"bytes", "9000"}, small}, {[]string{"hole", "8999"}, small}, {[]string{"files", "5"}, small}, {[]string{"deep", "31"}, many}, {[]string{"name", "255"}, small}} {
		if res := run(t, sb, Job{Module: mod, Args: tc.args, Limits: tc.limits}); res.Status != StatusOK {
			t.Fatalf("%v: %v %s", tc.args, res.Status, res.Reason)
		}
	}
}

// TestOutputSealed: /output makes no links, lists in name order, and shows fixed
// times; a job without an /output cap has none.
func TestOutputSealed(t *testing.T) {
	sb := newSandbox(t)
	mod := hostile(t, "outtree")
	res := run(t, sb, Job{Module: mod, Args: []string{"link"}, Limits: treeLimits})
	if res.Status != StatusOK || len(res.Stdout) != 0 || treeString(t, res.Tree) != "a: \"\"\n" {
		t.Fatalf("link: %v %q, tree %q", res.Status, res.Stdout, treeString(t, res.Tree))
	}
	res = run(t, sb, Job{Module: mod, Args: []string{"list"}, Limits: treeLimits})
	if want := "a 1 2026-01-01\nb 1 2026-01-01\nc 1 2026-01-01\n"; res.Status != StatusOK || string(res.Stdout) != want {
		t.Fatalf("list: %v %s %q, want %q", res.Status, res.Reason, res.Stdout, want)
	}
	res = run(t, sb, Job{Module: mod, Args: []string{"files", "1"}, Limits: testLimits})
	if res.Status != StatusOK || res.Tree != nil {
		t.Fatalf("without /output: %v %s, tree %q", res.Status, res.Reason, res.Tree)
	}
}

// TestWorkerTrees: a job with an input tree, environment and /output runs in a worker
// process to the same output tree as in this process.
func TestWorkerTrees(t *testing.T) {
	j := Job{Module: job(t, "sortuniq"), InputTree: packTree(t, TreeEntry{Path: "in/x", Data: []byte("b\na\n")}),
		Env: []string{"A=1"}, Limits: treeLimits}
	p, err := testWorker().Start(j)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Wait(context.Background())
	if err != nil || res.Status != StatusOK {
		t.Fatalf("worker: %v %v %s", err, res.Status, res.Reason)
	}
	local := run(t, newSandbox(t), j)
	if local.Tree == nil || !bytes.Equal(res.Tree, local.Tree) {
		t.Fatalf("worker left %q, this process %q", res.Tree, local.Tree)
	}
}

func TestJobEnv(t *testing.T) {
	sb := newSandbox(t)
	res := run(t, sb, Job{Module: hostile(t, "outtree"), Args: []string{"env"}, Env: []string{"LANG=C", "EMPTY="}, Limits: testLimits})
	if res.Status != StatusOK || string(res.Stdout) != "LANG=C;EMPTY=\n" {
		t.Fatalf("%v %s: %q", res.Status, res.Reason, res.Stdout)
	}
	for _, env := range []string{"NOEQUALS", "=v", "A=\x00"} {
		if _, err := sb.Run(context.Background(), Job{Module: hostile(t, "outtree"), Env: []string{env}, Limits: testLimits}); !errors.Is(err, ErrLimits) {
			t.Errorf("env %q: %v", env, err)
		}
	}
}

// TestBadInputTree: a job whose input tree is malformed does not run, with the
// decoder's sentinel.
// TestBadInputTree: a malformed input tree ends the job invalid with the reason, the
// same on every machine, so a provider given one by a buyer posts that and is paid
// instead of failing to run it and losing its deposit.
func TestBadInputTree(t *testing.T) {
	sb := newSandbox(t)
	for _, tc := range []struct {
		tree []byte
		want error
	}{
		{rawTree(TreeEntry{Path: "../x"}), ErrTreePath},
		{rawTree(TreeEntry{Path: "/etc/passwd"}), ErrTreePath},
		{rawTree(TreeEntry{Path: "a"}, TreeEntry{Path: "a"}), ErrTreeDuplicate},
		{[]byte("not a tree"), ErrTreeFormat},
	} {
		res, err := sb.Run(context.Background(), Job{Module: job(t, "linestat"), InputTree: tc.tree, Limits: treeLimits})
		if err != nil || res.Status != StatusInvalid || !strings.Contains(res.Reason, tc.want.Error()) {
			t.Errorf("%q: %v, %s %q; want invalid, saying %v", tc.tree, err, res.Status, res.Reason, tc.want)
		}
	}
}

func TestInputAndTreeRefused(t *testing.T) {
	_, err := newSandbox(t).Run(context.Background(), Job{Module: job(t, "linestat"), Input: []byte("x"), InputTree: packTree(t, TreeEntry{Path: "a"}), Limits: treeLimits})
	if !errors.Is(err, ErrLimits) {
		t.Fatal(err)
	}
}

func TestTreeLimitsRefused(t *testing.T) {
	for _, tree := range []OutputTree{{Bytes: -1, Files: 1}, {Bytes: 1 << 30, Files: 1}, {Bytes: 100}, {Files: 3}, {Bytes: 1, Files: MaxOutputFiles + 1}} {
		l := testLimits
		l.Tree = tree
		if err := l.Validate(); !errors.Is(err, ErrLimits) {
			t.Errorf("%+v: %v", tree, err)
		}
	}
}
