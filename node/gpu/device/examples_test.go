//go:build cgo && !windows

package device

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/daolicloud/daoli/assets"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/gpu"
)

// example is an example GPU job with its input, and its CPU twin's job.
type example struct {
	name  string
	gpu   gpu.Job
	cpu   compute.Job
	check gpu.Check
}

func loadExample(t testing.TB, name string, input map[string][]byte) example {
	t.Helper()
	mod, err := assets.GPUJob(name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := gpu.DecodeManifest(mod)
	if err != nil {
		t.Fatal(err)
	}
	twin, err := assets.Job(name)
	if err != nil {
		t.Fatal(err)
	}
	in := tree(t, input)
	return example{
		name:  name,
		gpu:   gpu.Job{Module: mod, InputTree: in, Limits: gpu.Limits{BufferBytes: 4 << 20, Dispatches: 16, DispatchTime: time.Minute, WallTime: 5 * time.Minute}},
		cpu:   compute.Job{Module: twin, InputTree: in, Limits: compute.Limits{MemoryBytes: 256 << 20, WallTime: 5 * time.Minute, OutputBytes: 1 << 10, Tree: compute.OutputTree{Bytes: 4 << 20, Files: 4}}},
		check: m.Check,
	}
}

// collatzInput: 262,144 numbers from 1,000,001 on, every path within 32 bits.
func collatzInput() map[string][]byte {
	start := make([]uint32, 262144)
	for i := range start {
		start[i] = uint32(1_000_001 + i)
	}
	return map[string][]byte{"start.bin": bytesOf(start)}
}

// matmulInput: two 256×256 matrices of values in [0, 1) from a fixed seed.
func matmulInput() map[string][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	mat := func() []byte {
		b := make([]byte, 4*256*256)
		for i := 0; i < len(b); i += 4 {
			binary.LittleEndian.PutUint32(b[i:], math.Float32bits(r.Float32()))
		}
		return b
	}
	return map[string][]byte{"a.f32": mat(), "b.f32": mat()}
}

func examples(t testing.TB) []example {
	return []example{loadExample(t, "collatz", collatzInput()), loadExample(t, "matmul", matmulInput())}
}

// TestExamplesMatchTheirTwins runs each example GPU job on the adapter and its CPU
// twin in the sandbox: the integer job's outputs are equal byte for byte, the float
// job's within its tolerance. The float job's outputs also differ somewhere, or
// the tolerance would be untested; where they are bit-equal the test says so.
func TestExamplesMatchTheirTwins(t *testing.T) {
	sb, err := compute.NewSandbox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	for _, ex := range examples(t) {
		t.Run(ex.name, func(t *testing.T) {
			g, err := runner().Run(context.Background(), ex.gpu)
			if err != nil {
				t.Fatal(err)
			}
			if g.Status != gpu.StatusOK {
				t.Fatalf("GPU: %v: %s", g.Status, g.Reason)
			}
			c, err := sb.Run(context.Background(), ex.cpu)
			if err != nil {
				t.Fatal(err)
			}
			if c.Status != compute.StatusOK {
				t.Fatalf("CPU: %v: %s %s", c.Status, c.Reason, c.Stderr)
			}
			if err := gpu.CompareOutputs(ex.check, c.Tree, g.Tree); err != nil {
				t.Fatalf("%s on %s against its CPU twin: %v", ex.name, g.Adapter, err)
			}
			if ex.check.Mode == gpu.CheckF32 {
				t.Logf("%s on %s: bit-equal to the CPU twin: %v", ex.name, g.Adapter, gpu.CompareOutputs(gpu.Check{Mode: gpu.CheckExact}, c.Tree, g.Tree) == nil)
				// Another adapter's rounding, one ulp off in every element, is
				// within the tolerance, and not exact.
				ulp := outputs(t, g.Tree)
				for name, data := range ulp {
					for i := 0; i < len(data); i += 4 {
						binary.LittleEndian.PutUint32(data[i:], binary.LittleEndian.Uint32(data[i:])+1)
					}
					ulp[name] = data
				}
				if err := gpu.CompareOutputs(ex.check, c.Tree, tree(t, ulp)); err != nil {
					t.Errorf("one ulp off: %v", err)
				}
				if err := gpu.CompareOutputs(gpu.Check{Mode: gpu.CheckExact}, c.Tree, tree(t, ulp)); err == nil {
					t.Error("one ulp off is exact")
				}
			}
			// A wrong buffer is caught: one element changed past the tolerance.
			bad := outputs(t, g.Tree)
			for name, data := range bad {
				v := math.Float32frombits(binary.LittleEndian.Uint32(data[400:]))
				binary.LittleEndian.PutUint32(data[400:], math.Float32bits(v*1.01+1))
				bad[name] = data
			}
			if err := gpu.CompareOutputs(ex.check, c.Tree, tree(t, bad)); err == nil {
				t.Error("a changed output passed the check")
			}
		})
	}
}

// BenchmarkExamples times each example on the WebGPU adapter (a new worker process,
// the device opened and the shader compiled, as every GPU job runs) against its CPU
// twin in the sandbox (the module compiled once and kept, as a provider's worker
// keeps it). docs/benchmarks.md has the figures.
func BenchmarkExamples(b *testing.B) {
	sb, err := compute.NewSandbox(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	for _, ex := range examples(b) {
		b.Run(ex.name+"/gpu", func(b *testing.B) {
			for b.Loop() {
				res, err := runner().Run(context.Background(), ex.gpu)
				if err != nil || res.Status != gpu.StatusOK {
					b.Fatal(err, res.Reason)
				}
			}
		})
		b.Run(ex.name+"/cpu", func(b *testing.B) {
			for b.Loop() {
				res, err := sb.Run(context.Background(), ex.cpu)
				if err != nil || res.Status != compute.StatusOK {
					b.Fatal(err, res.Reason)
				}
			}
		})
	}
}
