package compute

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/crc32"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/daolicloud/daoli/assets"
	"github.com/daolicloud/daoli/node/internal/frame"
	"github.com/daolicloud/daoli/node/market/terms"
)

// helperEnv makes the test binary run one job and print its output, so that a test can
// compare runs across processes.
const helperEnv = "DAOLI_COMPUTE_HELPER"

// workerEnv makes the test binary a `daoli worker`.
const workerEnv = "DAOLI_COMPUTE_WORKER"

// sharedCache is the compilation cache of every sandbox of the test binary, so each
// module is compiled once (compiling is slow under the race detector).
var sharedCache string

func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) == "stuck" {
		// A worker whose runtime a module holds: it starts, and never reports its cap.
		if kind, _, err := frame.Read(os.Stdin, maxWorkerMessage); err != nil || kind != frameJob {
			os.Exit(2)
		}
		_ = frame.Write(os.Stdout, frameStarted, nil)
		select {}
	}
	if os.Getenv(workerEnv) == "1" {
		os.Exit(WorkerMain(os.Stdin, os.Stdout, os.Stderr, os.Getenv(workerEnv+"_CACHE")))
	}
	if name := os.Getenv(helperEnv); name != "" {
		os.Exit(helperRun(name))
	}
	dir, err := os.MkdirTemp("", "daoli-compute-cache")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sharedCache = dir
	code := m.Run()
	os.RemoveAll(dir)
	if hostileDir != "" {
		os.RemoveAll(hostileDir)
	}
	os.Exit(code)
}

func helperRun(name string) int {
	mod, err := assets.Job(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sb, err := NewSandbox("")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	res, err := sb.Run(context.Background(), Job{Module: mod, Args: strings.Fields(os.Getenv(helperEnv + "_ARGS")), Seed: [32]byte{7}, Limits: testLimits})
	if err != nil || res.Status != StatusOK {
		fmt.Fprintln(os.Stderr, err, res.Status, res.Reason)
		return 1
	}
	os.Stdout.Write(res.Stdout)
	return 0
}

// testWorker runs jobs in worker processes that are this test binary (TestMain).
func testWorker() *Worker {
	return &Worker{Exe: os.Args[0], Args: []string{"-test.run=^$"}, Env: []string{workerEnv + "=1", workerEnv + "_CACHE=" + sharedCache}}
}

var testLimits = Limits{MemoryBytes: 256 << 20, WallTime: time.Minute, OutputBytes: 8 << 20}

func job(t testing.TB, name string) []byte {
	t.Helper()
	mod, err := assets.Job(name)
	if err != nil {
		t.Fatal(err)
	}
	return mod
}

func newSandbox(t testing.TB) *Sandbox {
	t.Helper()
	sb, err := NewSandbox(sharedCache)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb
}

func run(t testing.TB, sb *Sandbox, j Job) Result {
	t.Helper()
	res, err := sb.Run(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestExampleJobs(t *testing.T) {
	sb := newSandbox(t)
	input := []byte("the cat and the hat and the bat\n")
	tests := []struct {
		name  string
		args  []string
		input []byte
		check func(t *testing.T, out []byte)
	}{
		{"mandelbrot", []string{"64", "64"}, nil, func(t *testing.T, out []byte) {
			img, err := png.Decode(bytes.NewReader(out))
			if err != nil || img.Bounds().Dx() != 64 {
				t.Fatalf("not a 64-pixel PNG: %v", err)
			}
		}},
		{"pi", []string{"200000"}, nil, func(t *testing.T, out []byte) {
			var pi float64
			if _, err := fmt.Sscanf(string(out[bytes.Index(out, []byte("pi ")):]), "pi %f", &pi); err != nil || pi < 3.1 || pi > 3.2 {
				t.Fatalf("pi %v from %q", pi, out)
			}
		}},
		{"hash", []string{"1000"}, input, func(t *testing.T, out []byte) {
			h := sha256.Sum256(input)
			for range 999 {
				h = sha256.Sum256(h[:])
			}
			if want := fmt.Sprintf("rounds 1000\nsha256 %x\n", h); string(out) != want {
				t.Fatalf("got %q, want %q", out, want)
			}
		}},
		{"wordcount", []string{"2"}, input, func(t *testing.T, out []byte) {
			if want := "words 8\ndistinct 5\n3 the\n2 and\n"; string(out) != want {
				t.Fatalf("got %q, want %q", out, want)
			}
		}},
		// C with wasi-libc: stat, fopen and fread of the file /input.
		{"linestat", nil, input, func(t *testing.T, out []byte) {
			want := fmt.Sprintf("lines words bytes crc32 name\n1 8 32 %08x input\n1 8 32 - total (1 files)\n", crc32.ChecksumIEEE(input))
			if string(out) != want {
				t.Fatalf("got %q, want %q", out, want)
			}
		}},
		// Rust's std::fs: metadata and read of the file /input.
		{"sortuniq", []string{"2"}, []byte("b\na\nb\nc\n"), func(t *testing.T, out []byte) {
			if want := "input: 4 lines, 3 distinct\n2 b\n1 a\n"; string(out) != want {
				t.Fatalf("got %q, want %q", out, want)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, sb, Job{Module: job(t, tc.name), Args: tc.args, Input: tc.input, Limits: testLimits})
			if res.Status != StatusOK {
				t.Fatalf("%v: %s\n%s", res.Status, res.Reason, res.Stderr)
			}
			tc.check(t, res.Stdout)
		})
	}
}

// TestDeterminism: the same job and seed give the same bytes in this process, in
// another process, and a different seed gives other random numbers.
func TestDeterminism(t *testing.T) {
	sb := newSandbox(t)
	pi := Job{Module: job(t, "pi"), Args: []string{"100000"}, Seed: [32]byte{7}, Limits: testLimits}
	a, b := run(t, sb, pi), run(t, sb, pi)
	if a.Status != StatusOK || !bytes.Equal(a.Stdout, b.Stdout) {
		t.Fatalf("two runs differ: %q / %q", a.Stdout, b.Stdout)
	}
	pi.Seed[0] = 8
	if c := run(t, sb, pi); bytes.Equal(c.Stdout, a.Stdout) {
		t.Fatalf("another seed gave the same points: %q", c.Stdout)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=pi", helperEnv+"_ARGS=100000")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper process: %v", err)
	}
	if !bytes.Equal(out, a.Stdout) {
		t.Fatalf("another process computed %q, this one %q", out, a.Stdout)
	}
	m := Job{Module: job(t, "mandelbrot"), Args: []string{"48", "100"}, Limits: testLimits}
	x, y := run(t, sb, m), run(t, newSandbox(t), m)
	if !bytes.Equal(x.Stdout, y.Stdout) {
		t.Fatal("two Mandelbrot renders differ")
	}
	// The outputs of the embedded modules are pinned: a later build of the node must
	// re-execute a deal to the same bytes. They change only when `make jobs` builds
	// new modules (new sources or a new Go release), which then get new hashes.
	if want := "samples 100000\ninside 78605\npi 3.1442000000\n"; string(a.Stdout) != want {
		t.Errorf("pi with seed 7: %q, want %q", a.Stdout, want)
	}
	if got, want := fmt.Sprintf("%x", sha256.Sum256(x.Stdout)), "02432b5bd7263ce23f7a3e6226a6d9ff198701de6171a97078fd3e437306a94b"; got != want {
		t.Errorf("Mandelbrot 48 × 100: PNG of %d bytes with SHA-256 %s, want %s", len(x.Stdout), got, want)
	}
}

var (
	hostileOnce sync.Once
	hostileDir  string
	hostileErr  error
)

// hostile builds the hostile test modules once per test binary.
func hostile(t *testing.T, name string) []byte {
	t.Helper()
	hostileOnce.Do(func() {
		hostileDir, hostileErr = os.MkdirTemp("", "daoli-hostile")
		if hostileErr != nil {
			return
		}
		dirs, _ := filepath.Glob("testdata/hostile/*")
		for _, d := range dirs {
			cmd := exec.Command("go", "build", "-o", filepath.Join(hostileDir, filepath.Base(d)+".wasm"), "./"+d)
			cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				hostileErr = fmt.Errorf("build %s: %v\n%s", d, err, out)
				return
			}
		}
	})
	if hostileErr != nil {
		t.Fatal(hostileErr)
	}
	b, err := os.ReadFile(filepath.Join(hostileDir, name+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHostileModules: modules that misbehave fail with a reason and the host is fine.
func TestHostileModules(t *testing.T) {
	sb := newSandbox(t)
	limits := Limits{MemoryBytes: 64 << 20, WallTime: 2 * time.Second, OutputBytes: 1 << 20}
	tests := []struct {
		name   string
		module func(t *testing.T) []byte
		status Status
		reason string
	}{
		{"infinite loop", func(t *testing.T) []byte { return hostile(t, "loop") }, StatusTimeout, "wall-time cap"},
		{"memory bomb", func(t *testing.T) []byte { return hostile(t, "membomb") }, StatusMemory, "out of memory"},
		{"huge output", func(t *testing.T) []byte { return hostile(t, "bigout") }, StatusOutputTooLarge, "output cap"},
		{"host file", func(t *testing.T) []byte { return hostile(t, "hostfile") }, StatusFailed, "exited with code 3"},
		{"socket", func(t *testing.T) []byte { return hostile(t, "socket") }, StatusFailed, "exited with code 3"},
		{"random bytes", func(*testing.T) []byte { return []byte("not wasm at all") }, StatusInvalid, "does not compile"},
		{"truncated module", func(t *testing.T) []byte { return job(t, "pi")[:5000] }, StatusInvalid, "does not compile"},
		{"empty module", func(*testing.T) []byte { return []byte("\x00asm\x01\x00\x00\x00") }, StatusInvalid, "no _start"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			lim := limits
			if tc.status != StatusTimeout {
				lim.WallTime = time.Minute // only the loop should meet the wall-time cap, however loaded the machine
			}
			res := run(t, sb, Job{Module: tc.module(t), Limits: lim})
			if res.Status != tc.status || !strings.Contains(res.Reason, tc.reason) {
				t.Fatalf("status %v %q; want %v %q\nstderr: %s", res.Status, res.Reason, tc.status, tc.reason, res.Stderr)
			}
			if len(res.Stdout) > limits.OutputBytes {
				t.Fatalf("kept %d bytes of output", len(res.Stdout))
			}
			if bytes.Contains(res.Stdout, []byte("root:")) || bytes.Contains(res.Stdout, []byte("connected")) || bytes.Contains(res.Stdout, []byte("listening")) {
				t.Fatalf("escaped the sandbox: %q", res.Stdout)
			}
			t.Logf("%v after %v: %s", res.Status, time.Since(start).Round(time.Millisecond), res.Reason)
		})
	}
	// The host is unharmed: a normal job still runs in the same sandbox.
	if res := run(t, sb, Job{Module: job(t, "pi"), Args: []string{"1000"}, Limits: testLimits}); res.Status != StatusOK {
		t.Fatalf("after the hostile modules: %v %s", res.Status, res.Reason)
	}
}

func TestLimitsRefused(t *testing.T) {
	sb := newSandbox(t)
	pi := job(t, "pi")
	for _, tc := range []Job{
		{Module: pi, Limits: Limits{WallTime: time.Second, OutputBytes: 1}},
		{Module: pi, Limits: Limits{MemoryBytes: 1 << 20, OutputBytes: 1}},
		{Module: pi, Limits: Limits{MemoryBytes: 1 << 20, WallTime: time.Second}},
		{Module: pi, Limits: Limits{MemoryBytes: 8 << 30, WallTime: time.Second, OutputBytes: 1}},
		{Module: pi, Limits: testLimits, Input: make([]byte, terms.MaxBlob+1)},
		{Module: pi, Limits: testLimits, Args: make([]string, MaxArgs+1)},
	} {
		if _, err := sb.Run(context.Background(), tc); !errors.Is(err, ErrLimits) {
			t.Errorf("limits %+v: %v", tc.Limits, err)
		}
	}
}

// TestCheck: a buyer's check refuses what a run would refuse as invalid, and takes
// every example job; a module that passed is remembered, one that failed is not.
func TestCheck(t *testing.T) {
	sb := newSandbox(t)
	tests := []struct {
		name   string
		module func(t *testing.T) []byte
		reason string // empty: the module passes
	}{
		{"pi", func(t *testing.T) []byte { return job(t, "pi") }, ""},
		{"mandelbrot", func(t *testing.T) []byte { return job(t, "mandelbrot") }, ""},
		{"socket", func(t *testing.T) []byte { return hostile(t, "socket") }, ""},
		{"random bytes", func(*testing.T) []byte { return []byte("not wasm at all") }, "does not compile"},
		{"truncated module", func(t *testing.T) []byte { return job(t, "pi")[:5000] }, "does not compile"},
		{"empty module", func(*testing.T) []byte { return []byte("\x00asm\x01\x00\x00\x00") }, "no _start"},
		{"too large", func(*testing.T) []byte { return make([]byte, terms.MaxBlob+1) }, "limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mod := tc.module(t)
			for range 2 {
				err := sb.Check(context.Background(), mod)
				switch {
				case tc.reason == "" && err != nil:
					t.Fatal(err)
				case tc.reason != "" && (!errors.Is(err, ErrInvalidModule) || !strings.Contains(err.Error(), tc.reason)):
					t.Fatalf("got %v; want %v mentioning %q", err, ErrInvalidModule, tc.reason)
				}
			}
			if got, want := sb.passed.has(ModuleHash(mod)), tc.reason == ""; got != want {
				t.Fatalf("remembered %v; want %v", got, want)
			}
		})
	}
}

func TestModuleSetBounded(t *testing.T) {
	var m moduleSet
	for i := range checkedMax + 10 {
		m.add([32]byte{byte(i), byte(i >> 8)})
		if len(m.set) > checkedMax {
			t.Fatalf("%d entries after %d adds", len(m.set), i+1)
		}
	}
	last := checkedMax + 9
	if !m.has([32]byte{byte(last), byte(last >> 8)}) {
		t.Fatal("the latest module is forgotten")
	}
}

// TestSandboxKeepsModules: a sandbox keeps the modules it ran last compiled, up to
// keptModules, dropping the one used longest ago; a kept module runs by its hash
// alone, one not kept is errMissing.
func TestSandboxKeepsModules(t *testing.T) {
	sb := newSandbox(t)
	names := []string{"pi", "hash", "wordcount", "mandelbrot"}
	args := map[string][]string{"pi": {"1000"}, "mandelbrot": {"16", "16"}}
	sums := map[string][32]byte{}
	for _, n := range append(names, "pi") { // pi again: now the latest used
		m := job(t, n)
		sums[n] = ModuleHash(m)
		if res := run(t, sb, Job{Module: m, Args: args[n], Input: []byte("a b"), Limits: testLimits}); res.Status != StatusOK {
			t.Fatalf("%s: %v %s", n, res.Status, res.Reason)
		}
	}
	if got := len(sb.kept()); got != keptModules {
		t.Fatalf("%d modules kept, want %d", got, keptModules)
	}
	extra := hostile(t, "bigout")
	run(t, sb, Job{Module: extra, Limits: Limits{MemoryBytes: 64 << 20, WallTime: time.Minute, OutputBytes: 1024}})
	kept := map[[32]byte]bool{}
	for _, h := range sb.kept() {
		kept[h] = true
	}
	// hash was used longest ago: dropped for the fifth module.
	if len(kept) != keptModules || kept[sums["hash"]] || !kept[sums["pi"]] || !kept[ModuleHash(extra)] {
		t.Fatalf("kept %d modules; hash kept %v, pi %v, the new one %v", len(kept), kept[sums["hash"]], kept[sums["pi"]], kept[ModuleHash(extra)])
	}
	if res, err := sb.run(context.Background(), Job{Args: []string{"1000"}, Limits: testLimits}, sums["pi"]); err != nil || res.Status != StatusOK {
		t.Fatalf("pi by its hash: %v %v %s", err, res.Status, res.Reason)
	}
	if _, err := sb.run(context.Background(), Job{Limits: testLimits}, sums["hash"]); !errors.Is(err, errMissing) {
		t.Fatalf("a dropped module by its hash: %v", err)
	}
}

// TestMemoryCapAtStart: a module whose memory starts above the job's cap does not
// start.
func TestMemoryCapAtStart(t *testing.T) {
	res := run(t, newSandbox(t), Job{Module: job(t, "pi"), Args: []string{"1000"}, Limits: Limits{MemoryBytes: 1 << 20, WallTime: time.Minute, OutputBytes: 1024}})
	if res.Status != StatusMemory || !strings.Contains(res.Reason, "at its start") {
		t.Fatalf("%v %s", res.Status, res.Reason)
	}
}
