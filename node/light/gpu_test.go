package light

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/gpu"
	"github.com/daolicloud/daoli/node/keys"
)

// gpuInput packs the files of a GPU job's input tree.
func gpuInput(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var es []compute.TreeEntry
	for p, d := range files {
		es = append(es, compute.TreeEntry{Path: p, Data: d})
	}
	b, err := compute.PackTree(es)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exampleGPUJob(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../assets/jobs/" + name + "/" + name + ".gpu.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGPUDeals runs the example GPU jobs as deals on a four-trustee devnet, on the
// software adapter: each is offered to the provider that registered the webgpu
// executor, not to the one that runs WASI alone, run in a GPU worker process, and
// re-checked by the buyer, collatz byte for byte and matmul within its tolerance,
// then paid. A module that is no GPU manifest is refused before anything is escrowed.
func TestGPUDeals(t *testing.T) {
	dir, nf, _ := startDevnetWith(t, marketTiming)
	user := func(i int) *keys.Key { return userKey(t, dir, i) }
	buyer := startMarketNode(t, nf, user(0), func(mc *MarketConfig) { mc.Recheck, mc.GPU = RecheckAlways(), gpuRunner() })
	withGPU := startMarketNode(t, nf, user(1), func(mc *MarketConfig) {
		mc.Executors, mc.GPU = []string{chain.ExecutorWebGPU}, gpuRunner()
		mc.Spec.GPUs = []string{"llvmpipe (mesa, cpu, vulkan)"}
	})
	plain := startMarketNode(t, nf, user(2), nil)
	noGPU := startMarketNode(t, nf, user(3), func(mc *MarketConfig) { mc.Recheck = RecheckAlways() })
	poll(t, "every node synced", func() bool {
		for _, n := range []*Node{buyer, withGPU, plain, noGPU} {
			if n.Height() < 2 || len(n.trusteePeers()) == 0 {
				return false
			}
		}
		return true
	})
	provide(t, withGPU)
	provide(t, plain)
	if err := noGPU.SetProviding(false); err != nil {
		t.Fatal(err)
	}

	starts := make([]byte, 4*262144)
	for i := range 262144 {
		binary.LittleEndian.PutUint32(starts[4*i:], uint32(i+1))
	}
	mat := func(f func(i int) float32) []byte {
		b := make([]byte, 262144)
		for i := range 65536 {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f(i)))
		}
		return b
	}
	limits := chain.DealLimits{MemoryMiB: 64, WallTimeMs: 10_000, OutputMax: 4 << 20, OutputFiles: 1}
	for _, tc := range []struct {
		name  string
		input map[string][]byte
	}{
		{"collatz", map[string][]byte{"start.bin": starts}},
		{"matmul", map[string][]byte{"a.f32": mat(func(i int) float32 { return float32(i%7) / 3 }), "b.f32": mat(func(i int) float32 { return float32(i%5) / 7 })}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := JobSpec{Module: exampleGPUJob(t, tc.name), Input: gpuInput(t, tc.input), InputTree: true, Executor: chain.ExecutorWebGPU,
				MaxPrice: 20, BuyerDeposit: 20, Deadline: 12, Limits: limits}
			id, err := buyer.OpenDeal(context.Background(), spec)
			if err != nil {
				t.Fatal(err)
			}
			j := waitOutcome(t, buyer, id)
			if j.Deal.Outcome != chain.OutcomePaid || j.Deal.Provider != withGPU.Address() || !j.Checked {
				t.Fatalf("%s: %s by %s, checked %v (the GPU provider is %s)", tc.name, j.Deal.Outcome, j.Deal.Provider, j.Checked, withGPU.Address())
			}
			out, err := buyer.JobResult(context.Background(), id)
			if err != nil || len(out.Tree) == 0 {
				t.Fatalf("%s: output tree of %d bytes, %v", tc.name, len(out.Tree), err)
			}
		})
	}

	// A buyer whose node has no GPU runner cannot re-run the job: it accepts the
	// result unchecked.
	spec := JobSpec{Module: exampleGPUJob(t, "collatz"), Input: gpuInput(t, map[string][]byte{"start.bin": starts[:64]}), InputTree: true,
		Executor: chain.ExecutorWebGPU, MaxPrice: 20, BuyerDeposit: 20, Deadline: 12, Limits: limits}
	id, err := noGPU.OpenDeal(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if j := waitOutcome(t, noGPU, id); j.Deal.Outcome != chain.OutcomePaid || j.Checked {
		t.Fatalf("buyer without a GPU runner: %s, checked %v; want paid unchecked", j.Deal.Outcome, j.Checked)
	}

	wasm, err := os.ReadFile("testdata/echo.wasm")
	if err != nil {
		t.Fatal(err)
	}
	_, err = buyer.OpenDeal(context.Background(), JobSpec{Module: wasm, Executor: chain.ExecutorWebGPU, MaxPrice: 20, Deadline: 12, Limits: limits})
	if !errors.Is(err, gpu.ErrManifest) {
		t.Fatalf("a WASM module as a GPU job: %v, want gpu.ErrManifest", err)
	}
}
