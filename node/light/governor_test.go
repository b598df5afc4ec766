package light

import (
	"context"
	"crypto/sha256"
	"os"
	"testing"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/gpu"
	"github.com/daolicloud/daoli/node/gpu/device"
	"github.com/daolicloud/daoli/node/internal/fuzzbudget"
)

// workerEnv makes the test binary a `daoli worker` (compute.WorkerMain) with the
// variable's value as its module cache.
const workerEnv = "DAOLI_LIGHT_WORKER"

// gpuWorkerEnv makes the test binary a `daoli gpu-worker` (gpu.WorkerMain with the
// WebGPU executor), as gpu.Runner starts it.
const gpuWorkerEnv = "DAOLI_LIGHT_GPU_WORKER"

func TestMain(m *testing.M) {
	if dir := os.Getenv(workerEnv); dir != "" {
		os.Exit(compute.WorkerMain(os.Stdin, os.Stdout, os.Stderr, dir))
	}
	if os.Getenv(gpuWorkerEnv) != "" {
		os.Exit(gpu.WorkerMain(os.Stdin, os.Stdout, os.Stderr, device.Executor{}))
	}
	fuzzbudget.Run(m)
}

// TestNodeMinerHoldsGate: the miner a node makes works on the gate's cores only and
// parks every worker at a closed gate, so the governor's cores and duty apply to it.
func TestNodeMinerHoldsGate(t *testing.T) {
	gate := capacity.NewGate(nil)
	gate.Apply(capacity.Decision{Run: true, Cores: 1, Duty: 1, Reason: "Sharing: 1 of 3 cores at full duty, idle for 10 min"})
	m := newMiner(Config{Gate: gate, MinerWorkers: 3})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := m.Mine(ctx, make([]byte, sha256.BlockSize), chain.Hash{}) // a zero target admits nothing
		done <- err
	}()
	defer func() { cancel(); <-done }()

	poll(t, "two of three workers parked beyond the gate's one core", func() bool {
		return gate.Parked() == 2 && m.Stats().Attempts > 0
	})
	gate.Pause("Paused: you are using the computer")
	poll(t, "every worker parked at the closed gate", func() bool { return gate.Parked() == 3 })
	frozen := m.Stats().Attempts
	gate.Apply(capacity.Decision{Run: true, Cores: 3, Duty: 1, Reason: "Sharing: 3 of 3 cores at full duty, idle for 10 min"})
	poll(t, "every worker hashing", func() bool { return gate.Parked() == 0 && m.Stats().Attempts > frozen })
}

// TestFuzzMinimizeBounded: this binary's fuzz targets run with the bounded
// minimization of node/internal/fuzzbudget.
func TestFuzzMinimizeBounded(t *testing.T) { fuzzbudget.CheckBounded(t) }

// gpuRunner runs GPU jobs in this test binary as a GPU worker, on the machine's
// adapter (Mesa's software one here).
func gpuRunner() *gpu.Runner {
	return &gpu.Runner{Exe: os.Args[0], Args: []string{"-test.run=^$"}, Env: []string{gpuWorkerEnv + "=1"}}
}
