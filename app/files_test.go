package app

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/control"
)

// TestFilesEndToEnd buys runs of the C and the Rust example over a folder of inputs
// with real processes: four daoli-trustee processes, three `daoli node` providers
// with one slot each, and a `daoli node` buyer that re-checks every result, driven by
// `daoli job run --in DIR --out DIR`. Each job reads several files and writes several,
// is paid, and its output files land in the --out folder. Two providers run the same
// job and post the same digest; a provider that posts a wrong output is fined, and the
// mediator's re-execution gives the honest providers' digest again (the same
// standard output, standard error and output tree, byte for byte). A run that writes
// past its /output cap ends limit with the cap in its reason, and is paid. A deal
// longer than any provider takes (--max-time) waits, saying so.
func TestFilesEndToEnd(t *testing.T) {
	cache := t.TempDir()
	common := []string{"--wasm-cache", cache, "--price", "1", "--slots", "1", "--max-time", "30s"}
	m := startMarket(t, slices.Concat(common, []string{"--recheck", "1"}), common, common, common)
	tn, nodes, dump := m.tn, m.nodes, m.dump
	buyer, providers := nodes[0], nodes[1:]
	m.fund(400, 200)

	in := t.TempDir()
	for name, body := range map[string]string{
		"a.txt":             "b\na\nb\n",
		"notes/c.txt":       "x y\nz\n",
		"notes/deep/d.txt":  "1\n2\n3\n4\n",
		"notes/empty/.keep": "",
	} {
		p := filepath.Join(in, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// run is `daoli job run` as a user types it; it returns the exit code and the
	// progress it printed.
	run := func(module, out string, extra ...string) (int, string) {
		args := append([]string{"job", "run", module, "--in", in, "--out", out, "--time", "10s", "--max-price", "20",
			"--deadline", "2m", "--data", buyer.dir}, extra...)
		cmd := daoliCmd(args...)
		var progress bytes.Buffer
		cmd.Stdout, cmd.Stderr = &progress, &progress
		err := cmd.Run()
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			t.Fatalf("daoli job run: %v", err)
		}
		return cmd.ProcessState.ExitCode(), progress.String()
	}
	files := func(dir string) map[string]string {
		t.Helper()
		got := map[string]string{}
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			got[filepath.ToSlash(rel)] = string(data)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bc := buyer.client(t)
	jobs := func() []control.JobView {
		t.Helper()
		js, err := bc.Jobs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return js
	}

	// The C example twice at once: each provider has one slot, so two run it.
	outs := []string{filepath.Join(t.TempDir(), "c1"), filepath.Join(t.TempDir(), "c2")}
	var wg sync.WaitGroup
	codes, logs := make([]int, 2), make([]string, 2)
	for i, out := range outs {
		wg.Go(func() { codes[i], logs[i] = run("linestat", out) })
	}
	wg.Wait()
	for i := range outs {
		if codes[i] != 0 || !strings.Contains(logs[i], "Done: paid") || !strings.Contains(logs[i], "(re-run here and matched)") {
			dump()
			t.Fatalf("linestat run %d: exit %d\n%s", i, codes[i], logs[i])
		}
	}
	c1, c2 := files(outs[0]), files(outs[1])
	table := "3 3 6 875de2d8 a.txt\n2 3 6 b9d713a9 notes/c.txt\n4 4 8 3fc1a5b3 notes/deep/d.txt\n0 0 0 00000000 notes/empty/.keep\n"
	wantC := map[string]string{
		"stdout":                        "4 files, 9 lines\n",
		"stderr":                        "",
		"output/a.txt.stat":             "3 3 6 875de2d8 a.txt\n",
		"output/notes_c.txt.stat":       "2 3 6 b9d713a9 notes/c.txt\n",
		"output/notes_deep_d.txt.stat":  "4 4 8 3fc1a5b3 notes/deep/d.txt\n",
		"output/notes_empty_.keep.stat": "0 0 0 00000000 notes/empty/.keep\n",
		"output/summary.txt":            "lines words bytes crc32 name\n" + table + "9 10 20 - total (4 files)\n",
	}
	if !equalFiles(c1, wantC) {
		t.Errorf("linestat wrote %q,\nwant %q", c1, wantC)
	}
	js := jobs()
	if len(js) != 2 || js[0].Provider == nil || js[1].Provider == nil || *js[0].Provider == *js[1].Provider ||
		js[0].Output == nil || js[1].Output == nil || *js[0].Output != *js[1].Output {
		t.Fatalf("two providers, two digests: %+v", js)
	}
	honest := *js[0].Output
	for name, body := range c1 {
		if c2[name] != body {
			t.Fatalf("the second provider's %s differs: %q, %q", name, c2[name], body)
		}
	}
	// Byte-identical output trees: pack both folders as the sandbox packs /output.
	t1, err1 := compute.PackDir(filepath.Join(outs[0], "output"), 1<<20)
	t2, err2 := compute.PackDir(filepath.Join(outs[1], "output"), 1<<20)
	if err1 != nil || err2 != nil || !bytes.Equal(t1, t2) {
		t.Fatalf("output trees: %v %v, equal %v", err1, err2, bytes.Equal(t1, t2))
	}

	// The Rust example: one output file per input, under the same path, and an index.
	rust := filepath.Join(t.TempDir(), "rust")
	if code, log := run("sortuniq", rust); code != 0 || !strings.Contains(log, "Done: paid") {
		dump()
		t.Fatalf("sortuniq: exit %d\n%s", code, log)
	}
	wantRust := map[string]string{
		"stdout":                   "4 files\n",
		"stderr":                   "",
		"output/a.txt":             "1 a\n2 b\n",
		"output/notes/c.txt":       "1 x y\n1 z\n",
		"output/notes/deep/d.txt":  "1 1\n1 2\n1 3\n1 4\n",
		"output/notes/empty/.keep": "",
		"output/index.txt":         "3 2 a.txt\n2 2 notes/c.txt\n4 4 notes/deep/d.txt\n0 0 notes/empty/.keep\n",
	}
	if got := files(rust); !equalFiles(got, wantRust) {
		t.Errorf("sortuniq wrote %q,\nwant %q", got, wantRust)
	}

	// A run past its /output cap ends limit, says which cap, and is paid.
	r, err := bc.RunJob(ctx, control.JobRequest{Template: "linestat", InputPath: in, MaxPrice: 20, Deadline: "2m",
		MemoryMiB: 64, WallTimeMs: 10_000, OutputMax: 100, OutputFiles: 10})
	if err != nil {
		t.Fatal(err)
	}
	var capped control.JobView
	waitUntil(t, "the capped run closed", func() bool {
		capped, err = bc.Job(ctx, r.ID)
		return err == nil && capped.Phase == "closed"
	}, dump)
	cappedDir := filepath.Join(t.TempDir(), "capped")
	res, err := bc.JobResult(ctx, r.ID, cappedDir)
	if capped.Outcome != "paid" || err != nil || res.Status != "limit" || !strings.Contains(res.Reason, "cap of 100 bytes to /output") || res.Files != 0 {
		dump()
		t.Fatalf("capped run: %s, %+v, %v", capped.Outcome, res, err)
	}

	// A deal over every provider's advertised limit waits with the reason, and is
	// withdrawn.
	r, err = bc.RunJob(ctx, control.JobRequest{Template: "linestat", InputPath: in, MaxPrice: 80, Deadline: "2m",
		MemoryMiB: 64, WallTimeMs: 60_000, OutputMax: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var long control.JobView
	waitUntil(t, "the reason no provider takes a 60 s deal", func() bool {
		long, err = bc.Job(ctx, r.ID)
		return err == nil && long.Reason != ""
	}, dump)
	if long.Phase != "open" || long.Reason != "no provider that offers the memory runs a job for 60 s (the longest offered is 30 s)" {
		t.Fatalf("a deal over the providers' limit: %s, %q", long.Phase, long.Reason)
	}
	if _, err := bc.CancelJob(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the long deal withdrawn", func() bool {
		long, err = bc.Job(ctx, r.ID)
		return err == nil && long.Outcome == "withdrawn"
	}, dump)

	// A provider that posts a wrong output is fined; the mediator's re-execution
	// gives the honest digest.
	cheat := providers[0]
	providers[1].share(t, false)
	providers[2].share(t, false)
	cheat.restart(t, tn.networkFile, append(common, "--provider-fault", "wrong-output")...)
	waitUntil(t, "the cheating provider serving", func() bool { _, ok := cheat.status(); return ok }, dump)
	cheat.share(t, true)
	if code, log := run("linestat", filepath.Join(t.TempDir(), "cheat")); code != 1 || !strings.Contains(log, "the provider was fined") {
		dump()
		t.Fatalf("a wrong output: exit %d\n%s", code, log)
	}
	fined := jobs()[0]
	if fined.Outcome != "provider-fined" || fined.Verdict == nil || *fined.Verdict != honest || *fined.Output == honest {
		dump()
		t.Fatalf("the fined deal: %s, verdict %v, posted %v; the honest digest %s", fined.Outcome, fined.Verdict, fined.Output, honest)
	}
	for _, n := range nodes {
		n.reconcile(t)
	}
	for _, n := range nodes {
		n.stop(t)
	}
}

func equalFiles(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
