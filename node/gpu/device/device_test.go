//go:build cgo && !windows

package device

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/gpu"
)

// The tests run jobs as the app does: through gpu.Runner, in worker processes, which
// here are this test binary started again with workerEnv set.
const workerEnv = "DAOLI_GPU_DEVICE_TEST_WORKER"

func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) == "1" {
		os.Exit(gpu.WorkerMain(os.Stdin, os.Stdout, os.Stderr, Executor{}))
	}
	os.Exit(m.Run())
}

func runner() *gpu.Runner {
	return &gpu.Runner{Exe: os.Args[0], Env: []string{workerEnv + "=1"}}
}

var testLimits = gpu.Limits{BufferBytes: 1 << 20, Dispatches: 64, DispatchTime: time.Minute, WallTime: 5 * time.Minute}

func manifest(t *testing.T, m gpu.Manifest) []byte {
	t.Helper()
	m.Version = gpu.Version
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func tree(t testing.TB, files map[string][]byte) []byte {
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

func outputs(t *testing.T, packed []byte) map[string][]byte {
	t.Helper()
	es, err := compute.UnpackTree(packed)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range es {
		if !e.Dir {
			files[e.Path] = bytes.Clone(e.Data) // not aliasing packed
		}
	}
	return files
}

func u32s(b []byte) []uint32 {
	v := make([]uint32, len(b)/4)
	for i := range v {
		v[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return v
}

func bytesOf(v []uint32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], x)
	}
	return b
}

const collatzWGSL = `
@group(0) @binding(0) var<storage, read> start: array<u32>;
@group(0) @binding(1) var<storage, read_write> steps: array<u32>;
@group(0) @binding(2) var<uniform> index: vec4<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
	let i = index.x * 256u + id.x;
	var n = start[i];
	var s = 0u;
	while (n > 1u) {
		if (n % 2u == 0u) { n = n / 2u; } else { n = 3u * n + 1u; }
		s = s + 1u;
	}
	steps[i] = s;
}`

func collatz(n uint32) uint32 {
	s := uint32(0)
	for n > 1 {
		if n%2 == 0 {
			n /= 2
		} else {
			n = 3*n + 1
		}
		s++
	}
	return s
}

// An integer job split into four dispatches by its index buffer gives the CPU's
// answer exactly.
func TestIntegerJob(t *testing.T) {
	start := make([]uint32, 1024)
	want := make([]uint32, len(start))
	for i := range start {
		start[i] = uint32(i + 1)
		want[i] = collatz(start[i])
	}
	job := gpu.Job{
		Module: manifest(t, gpu.Manifest{WGSL: collatzWGSL, Buffers: []gpu.Buffer{
			{Binding: 0, Size: 4096, Input: "start.bin"},
			{Binding: 1, Size: 4096, Output: "steps.bin"},
			{Binding: 2, Size: 16, Index: true},
		}, Dispatches: []gpu.Dispatch{{Workgroups: [3]uint32{4, 1, 1}, Repeat: 4}}, Check: gpu.Check{Mode: gpu.CheckExact}}),
		InputTree: tree(t, map[string][]byte{"start.bin": bytesOf(start)}),
		Limits:    testLimits,
	}
	res, err := runner().Run(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != gpu.StatusOK {
		t.Fatalf("status %v: %s", res.Status, res.Reason)
	}
	if res.Dispatches != 4 || res.Adapter == "" {
		t.Errorf("dispatches %d, adapter %q", res.Dispatches, res.Adapter)
	}
	got := u32s(outputs(t, res.Tree)["steps.bin"])
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("steps[%d] = %d, want %d", i, got[i], want[i])
		}
	}
	want2 := tree(t, map[string][]byte{"steps.bin": bytesOf(want)})
	if err := gpu.CompareOutputs(gpu.Check{Mode: gpu.CheckExact}, want2, res.Tree); err != nil {
		t.Error(err)
	}
}

// A float job's result is within its tolerance of the CPU's float32 result.
func TestFloatJob(t *testing.T) {
	const wgsl = `
@group(0) @binding(0) var<storage, read_write> v: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
	let x = f32(id.x) * 0.01;
	v[id.x] = sin(x) * exp(-x * 0.1) + sqrt(x);
}`
	check := gpu.Check{Mode: gpu.CheckF32, Abs: 1e-5, Rel: 1e-5}
	job := gpu.Job{
		Module: manifest(t, gpu.Manifest{WGSL: wgsl, Buffers: []gpu.Buffer{{Binding: 0, Size: 4096, Output: "v.f32"}},
			Dispatches: []gpu.Dispatch{{Workgroups: [3]uint32{16, 1, 1}}}, Check: check}),
		Limits: testLimits,
	}
	res, err := runner().Run(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != gpu.StatusOK {
		t.Fatalf("status %v: %s", res.Status, res.Reason)
	}
	want := make([]byte, 4096)
	for i := 0; i < 1024; i++ {
		x := float32(i) * 0.01
		y := float32(math.Sin(float64(x)))*float32(math.Exp(float64(-x*0.1))) + float32(math.Sqrt(float64(x)))
		binary.LittleEndian.PutUint32(want[4*i:], math.Float32bits(y))
	}
	if err := gpu.CompareF32(check, want, outputs(t, res.Tree)["v.f32"]); err != nil {
		t.Error(err)
	}
}

// Hostile and broken jobs each end with a clear reason, and the runner runs the next
// job as before.
func TestHostileJobs(t *testing.T) {
	out := []gpu.Buffer{{Binding: 0, Size: 256, Output: "o"}}
	one := []gpu.Dispatch{{Workgroups: [3]uint32{1, 1, 1}}}
	exact := gpu.Check{Mode: gpu.CheckExact}
	// On every adapter this runs for hours: 2^32 invocations of a loop. (Mesa's
	// software adapter ends each loop after 65,535 iterations, docs/market.md; the
	// dispatch's size keeps it running all the same.)
	const endless = `
@group(0) @binding(0) var<storage, read_write> o: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
	var n = id.x;
	loop {
		n = n * 1664525u + 1013904223u;
		o[id.x % 64u] = n;
		if (n == 0xffffffffu && id.x == 0xffffffffu) { break; }
	}
}`
	cases := []struct {
		name   string
		job    gpu.Job
		status gpu.Status
		reason string
	}{
		{"invalid WGSL", gpu.Job{Module: manifest(t, gpu.Manifest{WGSL: "fn main( {", Buffers: out, Dispatches: one, Check: exact}), Limits: testLimits},
			gpu.StatusInvalid, "invalid WGSL shader"},
		{"no such entry point", gpu.Job{Module: manifest(t, gpu.Manifest{WGSL: endless, Entry: "other", Buffers: out, Dispatches: one, Check: exact}), Limits: testLimits},
			gpu.StatusInvalid, `entry point "other"`},
		{"bindings do not match", gpu.Job{Module: manifest(t, gpu.Manifest{WGSL: endless, Buffers: []gpu.Buffer{{Binding: 3, Size: 256, Output: "o"}}, Dispatches: one, Check: exact}), Limits: testLimits},
			gpu.StatusInvalid, "do not match the shader's bindings"},
		{"buffer over the cap", gpu.Job{Module: manifest(t, gpu.Manifest{WGSL: endless, Buffers: []gpu.Buffer{{Binding: 0, Size: 2 << 20, Output: "o"}}, Dispatches: one, Check: exact}), Limits: testLimits},
			gpu.StatusInvalid, "buffers of 2097152 bytes, cap 1048576"},
		{"input larger than its buffer", gpu.Job{Module: manifest(t, gpu.Manifest{WGSL: endless, Buffers: []gpu.Buffer{{Binding: 0, Size: 256, Input: "i", Output: "o"}}, Dispatches: one, Check: exact}),
			InputTree: tree(t, map[string][]byte{"i": make([]byte, 260)}), Limits: testLimits},
			gpu.StatusInvalid, `input file "i" of 260 bytes is larger than binding 0's 256`},
		{"endless loop", gpu.Job{Module: manifest(t, gpu.Manifest{WGSL: endless, Buffers: out, Dispatches: []gpu.Dispatch{{Workgroups: [3]uint32{65535, 1024, 1}}}, Check: exact}),
			Limits: gpu.Limits{BufferBytes: 1 << 20, Dispatches: 1, DispatchTime: 2 * time.Second, WallTime: time.Minute}},
			gpu.StatusTimeout, "dispatch 1 of 1 still running after the watchdog's 2s: the GPU worker was ended"},
	}
	r := runner()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := r.Run(context.Background(), c.job)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != c.status || !strings.Contains(res.Reason, c.reason) {
				t.Fatalf("got %v %q, want %v with %q", res.Status, res.Reason, c.status, c.reason)
			}
			t.Logf("%v: %s", res.Status, res.Reason)
			if strings.Contains(res.Reason, "\n") {
				t.Errorf("reason spans lines: %q", res.Reason)
			}
		})
	}
	// The provider is unharmed: the same runner runs a good job.
	TestIntegerJob(t)
}

// A paused job submits no dispatch until it is resumed, and its result is the same.
func TestPauseHoldsTheNextDispatch(t *testing.T) {
	const wgsl = `
@group(0) @binding(0) var<storage, read_write> o: array<u32>;
@group(0) @binding(1) var<storage, read> index: array<u32>;
@compute @workgroup_size(1)
fn main() { o[index[0]] = index[0] + 100u; }`
	job := gpu.Job{
		Module: manifest(t, gpu.Manifest{WGSL: wgsl, Buffers: []gpu.Buffer{{Binding: 0, Size: 16, Output: "o"}, {Binding: 1, Size: 4, Index: true}},
			Dispatches: []gpu.Dispatch{{Workgroups: [3]uint32{1, 1, 1}, Repeat: 4}}, Check: gpu.Check{Mode: gpu.CheckExact}}),
		Limits: testLimits,
	}
	p, err := runner().Start(job)
	if err != nil {
		t.Fatal(err)
	}
	p.Pause()
	deadline := time.Now().Add(2 * time.Minute)
	for !p.Waiting() {
		if time.Now().After(deadline) {
			t.Fatal("the worker never asked to dispatch")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := p.Submitted(); n != 0 {
		t.Fatalf("%d dispatches submitted while paused", n)
	}
	p.Resume()
	res, err := p.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != gpu.StatusOK {
		t.Fatalf("status %v: %s", res.Status, res.Reason)
	}
	if got := u32s(outputs(t, res.Tree)["o"]); got[0] != 100 || got[3] != 103 {
		t.Errorf("output %v", got)
	}
}

func TestProbe(t *testing.T) {
	a, err := Probe()
	if errors.Is(err, gpu.ErrNoAdapter) {
		t.Fatal("no WebGPU adapter: install mesa-vulkan-drivers (packaging/build-deps.sh)")
	}
	if err != nil {
		t.Fatal(err)
	}
	if a.Name == "" || a.Vendor == "" || a.Backend == "unknown" || a.MaxBufferBytes < 128<<20 {
		t.Errorf("adapter %+v", a)
	}
	t.Logf("adapter: %s", a)
}

// Mesa's software adapter (lavapipe) ends every loop after 65,535 iterations, without
// an error: its compiler bounds loops (gallivm's LP_MAX_TGSI_LOOP_ITERATIONS) so that a
// shader cannot hang the CPU. Any other adapter runs the loop to its end. A job
// whose loops run longer gets a wrong result on lavapipe (docs/market.md, GPU jobs).
func TestSoftwareAdapterLoopBound(t *testing.T) {
	const wgsl = `
@group(0) @binding(0) var<storage, read_write> o: array<u32>;
@compute @workgroup_size(1)
fn main() {
	var c = 0u;
	loop {
		if (c >= 100000u) { break; }
		c = c + 1u;
	}
	o[0] = c;
}`
	job := gpu.Job{
		Module: manifest(t, gpu.Manifest{WGSL: wgsl, Buffers: []gpu.Buffer{{Binding: 0, Size: 4, Output: "o"}},
			Dispatches: []gpu.Dispatch{{Workgroups: [3]uint32{1, 1, 1}}}, Check: gpu.Check{Mode: gpu.CheckExact}}),
		Limits: testLimits,
	}
	res, err := runner().Run(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != gpu.StatusOK {
		t.Fatalf("status %v: %s", res.Status, res.Reason)
	}
	want := uint32(100000)
	if strings.HasPrefix(res.Adapter, "llvmpipe") {
		want = 65535
	}
	if got := u32s(outputs(t, res.Tree)["o"])[0]; got != want {
		t.Errorf("%s: the loop ran %d times, want %d", res.Adapter, got, want)
	}
}

// A GPU job follows the governor's GPU gate (capacity.Gate.Follow, as the provider
// holds its jobs): while the gate is closed it submits no dispatch, and when the GPU
// rules open it, it runs to the same result.
func TestJobFollowsTheGPUGate(t *testing.T) {
	job := gpu.Job{
		Module: manifest(t, gpu.Manifest{WGSL: collatzWGSL, Buffers: []gpu.Buffer{
			{Binding: 0, Size: 4096, Input: "start.bin"},
			{Binding: 1, Size: 4096, Output: "steps.bin"},
			{Binding: 2, Size: 16, Index: true},
		}, Dispatches: []gpu.Dispatch{{Workgroups: [3]uint32{4, 1, 1}, Repeat: 4}}, Check: gpu.Check{Mode: gpu.CheckExact}}),
		InputTree: tree(t, map[string][]byte{"start.bin": bytesOf([]uint32{27, 97, 871})}),
		Limits:    testLimits,
	}
	gate := capacity.NewGate(nil)
	gate.ApplyGPU(capacity.GPUDecision{Reason: "GPU paused: GPU at 90 °C, resumes below 70 °C"})
	p, err := runner().Start(job)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go gate.Follow(ctx, p)
	deadline := time.Now().Add(2 * time.Minute)
	for !p.Waiting() {
		if time.Now().After(deadline) {
			t.Fatal("the worker never asked to dispatch")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := p.Submitted(); n != 0 {
		t.Fatalf("%d dispatches submitted while the GPU gate is closed", n)
	}
	gate.ApplyGPU(capacity.GPUDecision{Run: true, Reason: "GPU sharing: idle for 10 min"})
	res, err := p.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != gpu.StatusOK || res.Dispatches != 4 {
		t.Fatalf("%v after %d dispatches: %s", res.Status, res.Dispatches, res.Reason)
	}
	if got := u32s(outputs(t, res.Tree)["steps.bin"])[:3]; got[0] != collatz(27) || got[1] != collatz(97) || got[2] != collatz(871) {
		t.Errorf("steps %v", got)
	}
}
