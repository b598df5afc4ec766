//go:build !race

// Left out of race-detector builds, as node/compute's interpreter tests are: the
// race-built node processes' workers load the 30 MB module too slowly. make test runs it
// in a plain build after the race-detector run (Makefile).

package app

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/node/compute"
)

// TestInterpreterEndToEnd buys a run of a Ruby script with real processes: four
// daoli-trustee processes, a `daoli node` provider and a `daoli node` buyer that
// re-checks every result, driven by `daoli job run`. The module is the 30 MB Ruby
// interpreter with its standard library inside (bin/interp/ruby.wasm, which make test
// fetches, docs/compute.md §Interpreters); the script comes in the input folder, reads
// the data files next to it with the standard library and writes several files to
// /output. The provider runs it in its worker and is paid, the buyer's re-check
// agrees, the files land in the --out folder, and both ledgers add up to the balances
// the trustees prove.
//
// Epochs are 6 s, three times TestFilesEndToEnd's: the buyer re-runs the result within
// the reaction window (6 epochs), and starting the interpreter (30 MB of module and 75
// MB of compiled code to load, then Ruby's own start) on a loaded machine takes longer
// than 12 s.
func TestInterpreterEndToEnd(t *testing.T) {
	nodetest.Interpreter(t, "..")
	tn := startTrusteesWith(t, 4, "3s", "1500ms", "6s")
	cache := t.TempDir()
	// The interpreter's compiled code, which make interp compiles: the nodes load it
	// from the cache, as a provider does after its first job with it, and the test
	// does not spend a minute or two compiling it.
	seedCache(t, filepath.Join("..", "bin", "interp", "wasm-cache"), cache)
	provider := []string{"--wasm-cache", cache, "--price", "1", "--slots", "1"}
	m := startMarketOn(t, tn, slices.Concat(provider, []string{"--recheck", "1"}), provider)
	nodes, dump := m.nodes, m.dump
	buyer := nodes[0]
	// The provider's deposit is 8 times the charge of 20 (a 20 s cap at price 1).
	m.fund(200, 200)
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

	rubyIn := t.TempDir()
	for name, body := range map[string]string{
		"script.rb": `require "json"
counts = Dir.glob("/input/data/**/*.txt").sort.to_h { |p| [p.delete_prefix("/input/"), File.read(p).split.size] }
File.write("/output/counts.json", JSON.generate(counts))
Dir.mkdir("/output/upper")
counts.each_key { |k| File.write("/output/upper/#{File.basename(k)}", File.read("/input/#{k}").upcase) }
puts "#{counts.size} files, #{counts.values.sum} words, #{ARGV.first}"
`,
		"data/a.txt":     "b a b\n",
		"data/sub/c.txt": "x y\nz w\n",
	} {
		p := filepath.Join(rubyIn, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rubyOut := filepath.Join(t.TempDir(), "ruby")
	ruby, err := filepath.Abs(filepath.Join("..", "bin", "interp", "ruby.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ruby); err != nil {
		t.Fatalf("the Ruby interpreter: %v (make interp fetches it)", err)
	}
	// Moving 30 MB through the content store takes a while on a loaded machine.
	rcmd := daoliCmd("job", "run", ruby, "--in", rubyIn, "--out", rubyOut, "--arg", "/input/script.rb", "--arg", "done",
		"--memory", "512", "--time", "20s", "--max-price", "20", "--deadline", "30m", "--data", buyer.dir)
	rlog, err := rcmd.CombinedOutput()
	if err != nil || !strings.Contains(string(rlog), "Done: paid") || !strings.Contains(string(rlog), "(re-run here and matched)") {
		dump()
		t.Fatalf("the Ruby script: %v\n%s", err, rlog)
	}
	wantRuby := map[string]string{
		"stdout":             "2 files, 7 words, done\n",
		"stderr":             "",
		"output/counts.json": `{"data/a.txt":3,"data/sub/c.txt":4}`,
		"output/upper/a.txt": "B A B\n",
		"output/upper/c.txt": "X Y\nZ W\n",
	}
	if got := files(rubyOut); !equalFiles(got, wantRuby) {
		t.Errorf("the Ruby script wrote %q,\nwant %q", got, wantRuby)
	}

	for _, n := range nodes {
		n.reconcile(t)
	}
}

// seedCache copies the compiled modules under src (a compilation cache) into dst.
func seedCache(t *testing.T, src, dst string) {
	t.Helper()
	if err := compute.SeedCache(src, dst); err != nil {
		t.Fatalf("the interpreter's compiled code: %v (make interp makes it)", err)
	}
}
