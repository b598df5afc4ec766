package app

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/assets"
	"github.com/daolicloud/daoli/node/chain"
)

// TestJobOrderSpec checks the one place a job request, from the CLI or the Buy screen,
// becomes the deal to open: the example's module, the deadline rounded up to whole
// epochs, and the defaults of the limits left out.
func TestJobOrderSpec(t *testing.T) {
	p := chain.Params{CycleMs: 2000}
	defaults := chain.DealLimits{MemoryMiB: DefaultJobMemoryMiB, WallTimeMs: uint64(DefaultJobWallTime / time.Millisecond), OutputMax: DefaultJobOutputMax}
	for _, c := range []struct {
		name     string
		o        jobOrder
		deadline uint64
		limits   chain.DealLimits
		example  bool
		err      error
	}{
		{"example, defaults", jobOrder{Template: "pi", MaxPrice: 5}, uint64(DefaultJobDeadline / (2 * time.Second)), defaults, true, nil},
		{"own module, rounded up", jobOrder{Module: []byte("m"), MaxPrice: 5, Deadline: 3 * time.Second}, 2, defaults, false, nil},
		{"limits kept", jobOrder{Module: []byte("m"), MaxPrice: 5, Deadline: 4 * time.Second, Limits: chain.DealLimits{MemoryMiB: 1, OutputMax: 7}},
			2, chain.DealLimits{MemoryMiB: 1, WallTimeMs: defaults.WallTimeMs, OutputMax: 7}, false, nil},
		{"no such example", jobOrder{Template: "nosuch", MaxPrice: 5}, 0, chain.DealLimits{}, false, ErrJobRequest},
		{"free", jobOrder{Template: "pi"}, 0, chain.DealLimits{}, false, ErrJobRequest},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec, err := c.o.spec(p)
			if !errors.Is(err, c.err) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			if err != nil {
				return
			}
			if spec.Deadline != c.deadline || spec.Limits != c.limits || spec.MaxPrice != c.o.MaxPrice {
				t.Errorf("spec = deadline %d, limits %+v, price %d; want %d, %+v, %d", spec.Deadline, spec.Limits, spec.MaxPrice, c.deadline, c.limits, c.o.MaxPrice)
			}
			if c.example == (string(spec.Module) == "m") || len(spec.Module) == 0 {
				t.Errorf("module of %d bytes, want the example's: %v", len(spec.Module), c.example)
			}
		})
	}
}

// TestJobTemplatesAreExamples: every template the Buy screen offers is an example job
// in assets/jobs, and the CLI's list of examples names every one of them.
func TestJobTemplatesAreExamples(t *testing.T) {
	names := exampleJobNames()
	for _, tpl := range jobTemplates {
		if _, err := assets.Job(tpl.Name); err != nil {
			t.Errorf("template %q: %v", tpl.Name, err)
		}
		if !strings.Contains(names, tpl.Name) {
			t.Errorf("template %q missing from the examples %q", tpl.Name, names)
		}
	}
	if !strings.Contains(jobUsage, names) {
		t.Errorf("daoli job's usage does not list the examples %q", names)
	}
}

// TestGPUJobOrder: a GPU order takes the template's GPU module, names the webgpu
// executor and allows the output files its manifest writes; an unknown GPU template
// is refused in words; `daoli job run` takes a .gpu.json as a GPU module.
func TestGPUJobOrder(t *testing.T) {
	p := chain.Params{CycleMs: 2000}
	want, err := assets.GPUJob("matmul")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := jobOrder{Template: "matmul", GPU: true, MaxPrice: 5}.spec(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(spec.Module) != string(want) || spec.Executor != chain.ExecutorWebGPU || spec.Limits.OutputFiles != 1 {
		t.Errorf("GPU matmul: module of %d bytes, executor %q, output files %d; want the GPU example, webgpu, 1", len(spec.Module), spec.Executor, spec.Limits.OutputFiles)
	}
	if spec, err := (jobOrder{Template: "matmul", MaxPrice: 5}).spec(p); err != nil || spec.Executor != "" || string(spec.Module) == string(want) {
		t.Errorf("CPU matmul: executor %q, %v", spec.Executor, err)
	}
	if _, err := (jobOrder{Template: "pi", GPU: true, MaxPrice: 5}).spec(p); !errors.Is(err, ErrJobRequest) || !strings.Contains(err.Error(), "the GPU examples are collatz, matmul") {
		t.Errorf("GPU pi: %v", err)
	}
	dir := t.TempDir()
	path := dir + "/c.gpu.json"
	if err := os.WriteFile(path, want, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	req, _, err := jobRequest("c.gpu.json", "", "", nil, nil, 1, time.Second)
	if err != nil || req.ModulePath != path || req.Template != "" {
		t.Errorf("jobRequest(c.gpu.json) = %+v, %v; want the module file", req, err)
	}
}
