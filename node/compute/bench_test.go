package compute

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
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
		native := filepath.Join(b.TempDir(), tc.name)
		build := exec.Command("go", "build", "-trimpath", "-o", native, "../../assets/jobs/"+tc.name)
		if out, err := build.CombinedOutput(); err != nil {
			b.Fatalf("build native %s: %v\n%s", tc.name, err, out)
		}
		var nativeOut []byte
		b.Run(tc.name+"/native", func(b *testing.B) {
			for b.Loop() {
				out, err := exec.Command(native, tc.args...).Output()
				if err != nil {
					b.Fatal(err)
				}
				tc.check(b, out)
				nativeOut = out
			}
		})
		b.Run(tc.name+"/sandbox", func(b *testing.B) {
			sb := newSandbox(b)
			j := Job{Module: job(b, tc.name), Args: tc.args, Limits: benchLimits}
			run(b, sb, j) // compile once; the loop measures runs
			b.ResetTimer()
			for b.Loop() {
				res := run(b, sb, j)
				if res.Status != StatusOK {
					b.Fatalf("%v %s", res.Status, res.Reason)
				}
				tc.check(b, res.Stdout)
				if tc.same && nativeOut != nil && !bytes.Equal(res.Stdout, nativeOut) {
					b.Fatalf("the sandbox wrote %d bytes, the native build %d other bytes", len(res.Stdout), len(nativeOut))
				}
			}
		})
	}
}

var benchLimits = Limits{MemoryBytes: 512 << 20, WallTime: time.Minute, OutputBytes: 16 << 20}

// benchJobs are the jobs the sandbox is measured with, their arguments and the check
// of their output; same says the output does not depend on the seed.
var benchJobs = []struct {
	name  string
	args  []string
	check func(testing.TB, []byte)
	same  bool
}{
	{"mandelbrot", []string{"512", "512"}, func(t testing.TB, out []byte) {
		img, err := png.Decode(bytes.NewReader(out))
		if err != nil || img.Bounds().Dx() != 512 || img.Bounds().Dy() != 512 {
			t.Fatalf("not a 512-pixel PNG: %v", err)
		}
	}, true},
	{"pi", []string{"20000000"}, func(t testing.TB, out []byte) {
		var samples, inside int
		var pi float64
		if _, err := fmt.Sscanf(string(out), "samples %d\ninside %d\npi %f\n", &samples, &inside, &pi); err != nil || samples != 20000000 || pi < 3.14 || pi > 3.143 {
			t.Fatalf("not an estimate of π from 20000000 samples: %q", out)
		}
	}, false},
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
			sb, err := NewSandbox(dir)
			if err != nil {
				b.Fatal(err)
			}
			if res, err := sb.Run(context.Background(), j); err != nil || res.Status != StatusOK {
				b.Fatal(err, res.Reason)
			}
			sb.Close()
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
			sb, err := NewSandbox(dir)
			if err != nil {
				b.Fatal(err)
			}
			if res, err := sb.Run(context.Background(), j); err != nil || res.Status != StatusOK {
				b.Fatal(err, res.Reason)
			}
			sb.Close()
		}
	})
}
