//go:build !race && unix

// The interpreter's tests are left out of race-detector builds: wazero decoding and
// validating the 30 MB module is Go code the detector instruments, and in a race-built
// worker at nice 19 on the loaded machine loading it took over ten minutes, past the
// worker's bound, even from the compilation cache. make test runs them in a plain build
// after the race-detector run (Makefile).

package compute

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
)

// interpreter is the Ruby interpreter as a WASI command, about 30 MB with Ruby's
// standard library inside: bin/interp/ruby.wasm, which `make interp` fetches and
// builds (packaging/interp), and which `make test` and `make bench` make first.
//
// make interp also compiles it into bin/interp/wasm-cache, and this copies that into
// the test binary's shared compilation cache, so the test does not spend a minute or
// two compiling it. The worker loads it from the cache, as a provider's every job after
// its first with the interpreter does; BenchmarkInterpreterStart measures the cold
// compile.
func interpreter(t testing.TB) []byte {
	t.Helper()
	nodetest.Interpreter(t, filepath.Join("..", ".."))
	mod, err := os.ReadFile(filepath.Join("..", "..", "bin", "interp", "ruby.wasm"))
	if err != nil {
		t.Fatalf("the Ruby interpreter: %v (make interp fetches it)", err)
	}
	seedOnce.Do(func() { seedErr = SeedCache(filepath.Join("..", "..", "bin", "interp", "wasm-cache"), sharedCache) })
	if seedErr != nil {
		t.Fatalf("the interpreter's compiled code: %v (make interp makes it)", seedErr)
	}
	return mod
}

var (
	seedOnce sync.Once
	seedErr  error
)

var interpLimits = Limits{MemoryBytes: 1 << 30, WallTime: 5 * time.Minute, OutputBytes: 1 << 20, Tree: OutputTree{Bytes: 1 << 20, Files: 100}}

// interpScript reads the CSV files under /input/data with Ruby's standard library
// (csv is a bundled gem, json and digest default ones), writes a report to /output,
// and prints what the job sees of its clock, randomness and arguments, which must be
// the same on every machine.
const interpScript = `require "json"
require "digest"
rows = Dir.glob("/input/data/*.txt").sort.map do |path|
  words = File.read(path).split
  {file: File.basename(path), words: words.size, top: words.tally.max_by { |w, n| [n, w] }&.first,
   sha256: Digest::SHA256.hexdigest(File.read(path))}
end
Dir.mkdir("/output/per-file")
rows.each { |r| File.write("/output/per-file/#{r[:file]}.json", JSON.generate(r)) }
File.write("/output/report.json", JSON.pretty_generate({files: rows.size, words: rows.sum { |r| r[:words] }}))
puts "ARGV=#{ARGV.inspect} ENV=#{ENV["GREETING"]}"
puts "time=#{Time.now.utc} rand=#{Random.rand(1000)} version=#{RUBY_VERSION}"
`

func interpInput(t testing.TB) []byte {
	return packTree(t,
		TreeEntry{Path: "script.rb", Data: []byte(interpScript)},
		TreeEntry{Path: "data/a.txt", Data: []byte("the cat the hat\n")},
		TreeEntry{Path: "data/b.txt", Data: []byte("one two two\nthree three three\n")})
}

// TestInterpreter runs a Ruby script, in a worker process as a provider runs jobs:
// the interpreter reads the files under /input, writes a report under /output with
// the standard library, exits with the script's status, and two runs give the same
// bytes. An exception fails the job with Ruby's message in its reason.
func TestInterpreter(t *testing.T) {
	ruby := interpreter(t)
	w := testWorker()
	defer w.Close()
	runW := func(j Job) Result {
		t.Helper()
		p, err := w.Start(j)
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.Wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	j := Job{Module: ruby, InputTree: interpInput(t), Args: []string{"/input/script.rb", "x", "-y"},
		Env: []string{"GREETING=hi"}, Seed: [32]byte{9}, Limits: interpLimits}
	res := runW(j)
	if res.Status != StatusOK {
		t.Fatalf("%v %s\nstdout %s\nstderr %s", res.Status, res.Reason, res.Stdout, res.Stderr)
	}
	wantOut := "ARGV=[\"x\", \"-y\"] ENV=hi\ntime=2026-01-01 00:00:00 UTC rand="
	if !strings.HasPrefix(string(res.Stdout), wantOut) || !strings.HasSuffix(string(res.Stdout), " version=3.4.1\n") {
		t.Fatalf("stdout %q, want %q…", res.Stdout, wantOut)
	}
	got := treeString(t, res.Tree)
	for _, want := range []string{
		"per-file/\n",
		`per-file/a.txt.json: "{\"file\":\"a.txt\",\"words\":4,\"top\":\"the\",\"sha256\":\"`,
		`per-file/b.txt.json: "{\"file\":\"b.txt\",\"words\":6,\"top\":\"three\",\"sha256\":\"`,
		`report.json: "{\n  \"files\": 2,\n  \"words\": 10\n}"`,
	} {
		if !strings.Contains(got, want) {
			t.Fatalf("output tree:\n%s\nwant it to hold %q", got, want)
		}
	}
	again := runW(j)
	if string(again.Stdout) != string(res.Stdout) || string(again.Tree) != string(res.Tree) || string(again.Stderr) != string(res.Stderr) {
		t.Fatalf("a second run differs:\n%s\n%s", again.Stdout, res.Stdout)
	}

	fail := runW(Job{Module: ruby, Args: []string{"-e", `$stdout.puts "before"; raise ArgumentError, "boom"`}, Limits: interpLimits})
	if fail.Status != StatusFailed || fail.ExitCode != 1 || string(fail.Stdout) != "before\n" || !strings.Contains(string(fail.Stderr), "boom (ArgumentError)") {
		t.Fatalf("a raising script: %v %d %s\nstdout %q\nstderr %q", fail.Status, fail.ExitCode, fail.Reason, fail.Stdout, fail.Stderr)
	}
	exit := runW(Job{Module: ruby, Args: []string{"-e", "exit 3"}, Limits: interpLimits})
	if exit.Status != StatusFailed || exit.ExitCode != 3 {
		t.Fatalf("exit 3: %v %d %s", exit.Status, exit.ExitCode, exit.Reason)
	}
}
