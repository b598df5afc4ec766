package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/gpu"
	"github.com/daolicloud/daoli/node/gpu/device"
)

// cmdGPUWorker is the GPU worker subprocess node/gpu's Runner starts: one job on
// standard input, its result on standard output (node/gpu/worker.go). With --probe it
// prints the machine's WebGPU adapter as JSON and exits: the node asks a process of
// its own, since opening a GPU driver may crash or hang.
func cmdGPUWorker(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("daoli gpu-worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	probe := fs.Bool("probe", false, "print the WebGPU adapter as JSON and exit")
	if err := fs.Parse(args); err != nil {
		return exitUsage(err)
	}
	if !*probe {
		return gpu.WorkerMain(os.Stdin, stdout, stderr, device.Executor{})
	}
	a, err := device.Probe()
	if err == nil {
		err = json.NewEncoder(stdout).Encode(a)
	}
	if err != nil {
		fmt.Fprintln(stderr, "daoli gpu-worker:", err)
		return 1
	}
	return 0
}

// gpuProbeWait bounds a probe: opening a device takes a fraction of a second, a
// driver that hangs does not hold the node's start.
const gpuProbeWait = 20 * time.Second

// probeWebGPU asks a gpu-worker process of exe for the machine's WebGPU adapter.
func probeWebGPU(ctx context.Context, exe string) (gpu.Adapter, error) {
	ctx, cancel := context.WithTimeout(ctx, gpuProbeWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "gpu-worker", "--probe")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		return gpu.Adapter{}, fmt.Errorf("probe the GPU: %w: %s", err, lines[len(lines)-1])
	}
	var a gpu.Adapter
	dec := json.NewDecoder(io.LimitReader(bytes.NewReader(out), 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return gpu.Adapter{}, fmt.Errorf("probe the GPU: %w", err)
	}
	if a.Name == "" || a.Type == "" {
		return gpu.Adapter{}, errors.New("probe the GPU: an adapter without a name or type")
	}
	return a, nil
}

// gpuRegistration is what a provider registers of its GPUs when WebGPU found adapter
// a: the adapter (name, vendor, type and backend from WebGPU, the memory from the
// capacity probe's GPU of that vendor, which WebGPU does not tell) first, then the
// capacity probe's other GPUs; and the WebGPU executor. A software adapter is the
// CPU, which the provider sells already: it registers no GPU executor.
func gpuRegistration(a gpu.Adapter, found []capacity.GPU) (gpus, executors []string) {
	if a.Type == "cpu" {
		for _, g := range found {
			gpus = append(gpus, gpuLabel(g))
		}
		return gpus, nil
	}
	entry, matched := a.String(), -1
	for i, g := range found {
		if g.Vendor == a.Vendor {
			if mem, ok := g.Memory.Get(); ok {
				entry += ", " + formatGiB(mem)
			}
			matched = i
			break
		}
	}
	gpus = []string{truncateText(entry, chain.MaxLabel)}
	for i, g := range found {
		if i != matched && len(gpus) < chain.MaxGPUs {
			gpus = append(gpus, gpuLabel(g))
		}
	}
	return gpus, []string{chain.ExecutorWebGPU}
}

// gpuLabel names a GPU as the capacity fingerprint does.
func gpuLabel(g capacity.GPU) string {
	return truncateText(strings.TrimSpace(g.Vendor+" "+g.PCIID+" "+g.Name), chain.MaxLabel)
}

func formatGiB(b uint64) string {
	return fmt.Sprintf("%.0f GiB", float64(b)/(1<<30))
}
