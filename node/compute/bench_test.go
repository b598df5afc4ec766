package compute

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The sandbox against the same Go source compiled for this machine: the job time of
// Mandelbrot and Monte-Carlo π, run by a native binary (one process start included,
// about a millisecond) and in the sandbox (compilation excluded, cached). The ratio is
// the overhead a provider pays for isolation.
func BenchmarkSandboxVsNative(b *testing.B) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"mandelbrot", []string{"512", "512"}},
		{"pi", []string{"20000000"}},
	} {
		native := filepath.Join(b.TempDir(), tc.name)
		build := exec.Command("go", "build", "-trimpath", "-o", native, "../../assets/jobs/"+tc.name)
		if out, err := build.CombinedOutput(); err != nil {
			b.Fatalf("build native %s: %v\n%s", tc.name, err, out)
		}
		b.Run(tc.name+"/native", func(b *testing.B) {
			for b.Loop() {
				cmd := exec.Command(native, tc.args...)
				cmd.Stdout = nil
				if err := cmd.Run(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/sandbox", func(b *testing.B) {
			sb := newSandbox(b)
			j := Job{Module: job(b, tc.name), Args: tc.args, Limits: Limits{MemoryBytes: 512 << 20, WallTime: time.Minute, OutputBytes: 16 << 20}}
			run(b, sb, j) // compile once; the loop measures runs
			b.ResetTimer()
			for b.Loop() {
				if res := run(b, sb, j); res.Status != StatusOK {
					b.Fatalf("%v %s", res.Status, res.Reason)
				}
			}
		})
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
