package app

import (
	"context"
	"encoding/binary"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/assets"
	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/gpu"
)

// TestGPUWorker: `daoli gpu-worker --probe` names this machine's WebGPU adapter (Mesa's
// software one here, mesa-vulkan-drivers), and `daoli gpu-worker` runs the example
// GPU job collatz for node/gpu's Runner. Both are this test binary's own commands.
func TestGPUWorker(t *testing.T) {
	a, err := probeWebGPU(context.Background(), os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if a.Name == "" || a.Vendor == "" || a.Backend == "" || a.MaxBufferBytes == 0 {
		t.Errorf("adapter %+v", a)
	}
	mod, err := assets.GPUJob("collatz")
	if err != nil {
		t.Fatal(err)
	}
	start := make([]byte, 12)
	for i, n := range []uint32{27, 97, 871} {
		binary.LittleEndian.PutUint32(start[4*i:], n)
	}
	in, err := compute.PackTree([]compute.TreeEntry{{Path: "start.bin", Data: start}})
	if err != nil {
		t.Fatal(err)
	}
	r := &gpu.Runner{Exe: os.Args[0], Args: []string{"gpu-worker"}}
	res, err := r.Run(context.Background(), gpu.Job{Module: mod, InputTree: in, Limits: gpu.DefaultLimits})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != gpu.StatusOK || res.Adapter != a.String() {
		t.Fatalf("%v on %q: %s", res.Status, res.Adapter, res.Reason)
	}
	out, err := compute.UnpackTree(res.Tree)
	if err != nil || len(out) != 1 || out[0].Path != "steps.bin" {
		t.Fatalf("output %v %v", out, err)
	}
	for i, want := range []uint32{111, 118, 178} {
		if got := binary.LittleEndian.Uint32(out[0].Data[4*i:]); got != want {
			t.Errorf("steps[%d] = %d, want %d", i, got, want)
		}
	}
}

func TestProbeWebGPUFails(t *testing.T) {
	if _, err := probeWebGPU(context.Background(), "/nonexistent/daoli"); err == nil {
		t.Error("a probe of a missing binary succeeded")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	if _, err := probeWebGPU(ctx, os.Args[0]); err == nil || !strings.Contains(err.Error(), "probe the GPU") {
		t.Errorf("a probe past its context: %v", err)
	}
}

func TestGPURegistration(t *testing.T) {
	rtx := capacity.GPU{Vendor: "nvidia", PCIID: "10de:2684", Name: "GeForce RTX 4090", Memory: capacity.Known(uint64(24 << 30))}
	igpu := capacity.GPU{Vendor: "intel", PCIID: "8086:a780", Name: "UHD Graphics 770"}
	discrete := gpu.Adapter{Name: "NVIDIA GeForce RTX 4090", Vendor: "nvidia", Type: "discrete", Backend: "vulkan"}
	software := gpu.Adapter{Name: "llvmpipe (LLVM 15.0.6, 256 bits)", Vendor: "mesa", Type: "cpu", Backend: "vulkan"}
	for _, c := range []struct {
		name      string
		a         gpu.Adapter
		found     []capacity.GPU
		gpus      []string
		executors []string
	}{
		{"discrete with memory", discrete, []capacity.GPU{igpu, rtx},
			[]string{"NVIDIA GeForce RTX 4090 (nvidia, discrete, vulkan), 24 GiB", "intel 8086:a780 UHD Graphics 770"}, []string{chain.ExecutorWebGPU}},
		{"no memory known", gpu.Adapter{Name: "Intel UHD", Vendor: "intel", Type: "integrated", Backend: "vulkan"}, []capacity.GPU{igpu},
			[]string{"Intel UHD (intel, integrated, vulkan)"}, []string{chain.ExecutorWebGPU}},
		{"software adapter", software, []capacity.GPU{igpu}, []string{"intel 8086:a780 UHD Graphics 770"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			gpus, executors := gpuRegistration(c.a, c.found)
			if !slices.Equal(gpus, c.gpus) || !slices.Equal(executors, c.executors) {
				t.Errorf("got %q %q, want %q %q", gpus, executors, c.gpus, c.executors)
			}
		})
	}
}
