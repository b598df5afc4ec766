package market

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/gpu"
)

func matmulModule(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../../assets/jobs/matmul/matmul.gpu.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func packTree(t *testing.T, files map[string][]byte) []byte {
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

func f32s(vs ...float32) []byte {
	b := make([]byte, 262144)
	for i, v := range vs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func gpuOpen() *chain.DealOpen {
	return &chain.DealOpen{Module: chain.Hash{1}, Input: chain.Hash{2}, InputTree: true, Executor: chain.ExecutorWebGPU,
		Limits: chain.DealLimits{MemoryMiB: 16, WallTimeMs: 10_000, OutputMax: 1 << 20, OutputFiles: 1}, MaxPrice: 50, Deadline: 9}
}

func TestCheckGPUDeal(t *testing.T) {
	mod := matmulModule(t)
	in := packTree(t, map[string][]byte{"a.f32": f32s(1), "b.f32": f32s(2)})
	for _, tc := range []struct {
		name   string
		module []byte
		input  []byte
		edit   func(*chain.DealOpen)
		want   error
		text   string
	}{
		{"ok", mod, in, nil, nil, ""},
		{"not a manifest", []byte("\x00asm\x01\x00\x00\x00"), in, nil, gpu.ErrManifest, ""},
		{"missing input", mod, packTree(t, map[string][]byte{"a.f32": f32s(1)}), nil, gpu.ErrInput, `no input file "b.f32"`},
		{"one file", mod, in, func(o *chain.DealOpen) { o.InputTree = false }, gpu.ErrInput, "not one file"},
		{"no output files", mod, in, func(o *chain.DealOpen) { o.Limits.OutputFiles = 0 }, gpu.ErrLimits, "writes 1 output files, the deal allows 0"},
		{"output too small", mod, in, func(o *chain.DealOpen) { o.Limits.OutputMax = 262144 }, gpu.ErrLimits, "output tree is"},
		{"memory", mod, in, func(o *chain.DealOpen) { o.Limits.MemoryMiB = 0 }, gpu.ErrLimits, "over the deal's memory limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := gpuOpen()
			if tc.edit != nil {
				tc.edit(o)
			}
			err := CheckGPUDeal(o, tc.module, tc.input)
			if tc.want == nil && err != nil || tc.want != nil && (!errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text)) {
				t.Fatalf("CheckGPUDeal: %v, want %v %q", err, tc.want, tc.text)
			}
		})
	}
}

// TestMatchesGPU checks the buyer's re-check of a GPU job: an f32 job matches a
// posted result within its tolerance and not beyond it, an exact job only byte for
// byte, and the rest of the document and the status as with CPU jobs.
func TestMatchesGPU(t *testing.T) {
	mod := matmulModule(t)
	m, err := gpu.DecodeManifest(mod)
	if err != nil {
		t.Fatal(err)
	}
	m.Check = gpu.Check{Mode: gpu.CheckExact}
	exact, err := gpu.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	run := func(vs ...float32) compute.Result {
		return ResultOfGPU(gpu.Result{Status: gpu.StatusOK, Tree: packTree(t, map[string][]byte{"c.f32": f32s(vs...)})})
	}
	post := func(res compute.Result) (*chain.Deal, Outputs) {
		o := OutputsOf(res)
		return &chain.Deal{Open: *gpuOpen(), Output: o.Result.Hash(), Status: StatusOf(res.Status)}, o
	}
	near := run(1, 2, 3.00001)
	for _, tc := range []struct {
		name   string
		module []byte
		posted compute.Result
		rerun  compute.Result
		want   bool
	}{
		{"same", mod, near, near, true},
		{"within tolerance", mod, run(1, 2, 3), near, true},
		{"beyond tolerance", mod, run(1, 2, 3.1), near, false},
		{"exact differs", exact, run(1, 2, 3), near, false},
		{"exact same", exact, near, near, true},
		{"status", mod, ResultOfGPU(gpu.Result{Status: gpu.StatusTimeout, Reason: "watchdog"}), near, false},
		{"both timed out", mod, ResultOfGPU(gpu.Result{Status: gpu.StatusTimeout, Reason: "watchdog"}), ResultOfGPU(gpu.Result{Status: gpu.StatusTimeout, Reason: "watchdog"}), true},
		{"stdout added", mod, func() compute.Result { r := run(1, 2, 3); r.Stdout = []byte("x"); return r }(), near, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, o := post(tc.posted)
			got, err := MatchesGPU(d, tc.module, o, tc.rerun)
			if err != nil || got != tc.want {
				t.Fatalf("MatchesGPU: %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
