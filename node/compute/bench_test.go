package compute

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// The sandbox against the same Go source compiled for this machine: the job time of
// Mandelbrot and Monte-Carlo π, run by a native binary (one process start included,
// about a millisecond) and in the sandbox (compilation excluded, cached). The ratio is
// the overhead a provider pays for isolation. Both runs get the same arguments and
// their outputs pass the same check: the same PNG bytes from both (the render has no
// randomness), and a π estimate from the same number of samples (the native run
// draws its seed from the machine).
func BenchmarkSandboxVsNative(b *testing.B) {
	for _, tc := range benchJobs {
		native := filepath.Join(b.TempDir(), tc.label)
		build := exec.Command("go", "build", "-trimpath", "-o", native, "../../assets/jobs/"+tc.name)
		if out, err := build.CombinedOutput(); err != nil {
			b.Fatalf("build native %s: %v\n%s", tc.name, err, out)
		}
		var nativeOut []byte
		b.Run(tc.label+"/native", func(b *testing.B) {
			for b.Loop() {
				out, err := exec.Command(native, tc.args...).Output()
				if err != nil {
					b.Fatal(err)
				}
				checkOutput(b, tc.name, tc.args, out)
				nativeOut = out
			}
		})
		if !tc.inProcess {
			continue
		}
		b.Run(tc.label+"/sandbox", func(b *testing.B) {
			sb := newSandbox(b)
			j := Job{Module: job(b, tc.name), Args: tc.args, Limits: benchLimits}
			run(b, sb, j) // compile once; the loop measures runs
			b.ResetTimer()
			for b.Loop() {
				res := run(b, sb, j)
				if res.Status != StatusOK {
					b.Fatalf("%v %s", res.Status, res.Reason)
				}
				checkOutput(b, tc.name, tc.args, res.Stdout)
				if tc.same && nativeOut != nil && !bytes.Equal(res.Stdout, nativeOut) {
					b.Fatalf("the sandbox wrote %d bytes, the native build %d other bytes", len(res.Stdout), len(nativeOut))
				}
			}
		})
	}
}

var benchLimits = Limits{MemoryBytes: 512 << 20, WallTime: time.Minute, OutputBytes: 16 << 20}

// benchJobs are the jobs the sandbox is measured with: the example module, its
// arguments, whether its output does not depend on the seed (same), and whether it is
// also run in this process, with closure checks (the large ones take seconds there).
// The large ones show how the worker's fixed cost (its start and the module's
// loading) weighs on a longer job.
var benchJobs = []struct {
	label, name string
	args        []string
	same        bool
	inProcess   bool
}{
	{"mandelbrot", "mandelbrot", []string{"512", "512"}, true, true},
	{"pi", "pi", []string{"20000000"}, false, true},
	{"mandelbrot-2048", "mandelbrot", []string{"2048", "512"}, true, false},
	{"pi-200M", "pi", []string{"200000000"}, false, false},
}

// checkOutput is the check both runs of a job pass: a PNG of the size asked for, or
// an estimate of π from the number of samples asked for.
func checkOutput(t testing.TB, name string, args []string, out []byte) {
	t.Helper()
	switch name {
	case "mandelbrot":
		img, err := png.Decode(bytes.NewReader(out))
		if size := args[0]; err != nil || strconv.Itoa(img.Bounds().Dx()) != size || strconv.Itoa(img.Bounds().Dy()) != size {
			t.Fatalf("not a %s-pixel PNG: %v", size, err)
		}
	case "pi":
		var samples string
		var inside int
		var pi float64
		if _, err := fmt.Sscanf(string(out), "samples %s\ninside %d\npi %f\n", &samples, &inside, &pi); err != nil || samples != args[0] || math.Abs(pi-math.Pi) > 0.01 {
			t.Fatalf("not an estimate of π from %s samples: %q", args[0], out)
		}
	default:
		t.Fatalf("no check for %s", name)
	}
}

// BenchmarkCompile compares compiling a module afresh with loading it from the on-disk
// cache, as a provider does for a module it has run before.
func BenchmarkCompile(b *testing.B) {
	mod := job(b, "mandelbrot")
	j := Job{Module: mod, Args: []string{"1", "1"}, Limits: testLimits}
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			dir, err := os.MkdirTemp(b.TempDir(), "cache")
			if err != nil {
				b.Fatal(err)
			}
			runOnce(b, dir, j)
		}
	})
	b.Run("cached", func(b *testing.B) {
		dir := b.TempDir()
		warm, err := NewSandbox(dir)
		if err != nil {
			b.Fatal(err)
		}
		run(b, warm, j)
		warm.Close()
		for b.Loop() {
			// A new sandbox on the same directory: the in-memory part is empty, so the
			// module comes from disk, as after a restart.
			runOnce(b, dir, j)
		}
	})
}

// runOnce runs j, which must succeed, in a new sandbox on the cache directory dir, and
// closes the sandbox.
func runOnce(b *testing.B, dir string, j Job) {
	b.Helper()
	sb, err := NewSandbox(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	if res, err := sb.Run(context.Background(), j); err != nil || res.Status != StatusOK {
		b.Fatal(err, res.Reason)
	}
}

// BenchmarkTreeJob: the C and Rust examples over a folder of 100 text files of 10 KB
// each, read from /input and written to /output, in this process (with wazero's
// closure checks, as a re-check or a mediation runs), the module compiled once. Each
// run includes unpacking the input tree, making and packing the output directory.
func BenchmarkTreeJob(b *testing.B) {
	var entries []TreeEntry
	total := 0
	for i := range 100 {
		var text bytes.Buffer
		for l := 0; text.Len() < 10_000; l++ {
			fmt.Fprintf(&text, "line %d of file %d, word %d\n", l%37, i, (l*7919)%101)
		}
		total += text.Len()
		entries = append(entries, TreeEntry{Path: fmt.Sprintf("dir%d/f%03d.txt", i%4, i), Data: text.Bytes()})
	}
	input, err := PackTree(entries)
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"linestat", "sortuniq"} {
		b.Run(name, func(b *testing.B) {
			sb := newSandbox(b)
			j := Job{Module: job(b, name), InputTree: input, Limits: Limits{MemoryBytes: 256 << 20, WallTime: time.Minute,
				OutputBytes: 1 << 20, Tree: OutputTree{Bytes: 16 << 20, Files: 1000}}}
			run(b, sb, j)
			b.SetBytes(int64(total))
			b.ResetTimer()
			for b.Loop() {
				if res := run(b, sb, j); res.Status != StatusOK || len(res.Tree) == 0 {
					b.Fatalf("%v %s", res.Status, res.Reason)
				}
			}
		})
	}
}
