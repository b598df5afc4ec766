package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/daolicloud/daoli/assets"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/control"
	"github.com/daolicloud/daoli/node/gpu"
	"github.com/daolicloud/daoli/node/light"
	"github.com/daolicloud/daoli/node/market"
	"github.com/daolicloud/daoli/node/market/terms"
)

// Job defaults: what a run of an example job needs at most, with room to spare on a
// slow laptop.
const (
	DefaultJobMemoryMiB = 256
	DefaultJobWallTime  = 60 * time.Second
	DefaultJobOutputMax = 16 << 20
	DefaultJobDeadline  = 5 * time.Minute
	// DefaultJobOutputFiles caps the files a job that writes to /output may leave
	// there.
	DefaultJobOutputFiles = 10_000
	// DefaultProviderPrice is what a provider asks per core-second of a deal's
	// wall-time limit, in the smallest unit.
	DefaultProviderPrice = 1
)

// jobDesk is the buyer's side of the market for the control API and the app: it turns
// a job request (a template or a module file) into a deal.
type jobDesk struct{ node *light.Node }

var _ control.Market = jobDesk{}

// ErrJobRequest: a job request that cannot be run as it is.
var ErrJobRequest = errors.New("job request")

func (d jobDesk) RunJob(ctx context.Context, req control.JobRequest) (chain.Hash, error) {
	spec, err := d.spec(req)
	if err != nil {
		return chain.Hash{}, fmt.Errorf("%w: %w", control.ErrBadRequest, err)
	}
	return d.node.OpenDeal(ctx, spec)
}

// spec reads the files a control API request names and makes it a deal to open.
func (d jobDesk) spec(req control.JobRequest) (light.JobSpec, error) {
	o := jobOrder{Template: req.Template, GPU: req.GPU, Args: req.Args, Env: req.Env, MaxPrice: req.MaxPrice,
		Limits: chain.DealLimits{MemoryMiB: req.MemoryMiB, WallTimeMs: req.WallTimeMs, OutputMax: req.OutputMax, OutputFiles: req.OutputFiles}}
	var err error
	if req.Template == "" {
		if o.Module, err = os.ReadFile(req.ModulePath); err != nil {
			return light.JobSpec{}, fmt.Errorf("%w: read the module: %w", ErrJobRequest, err)
		}
	}
	if req.InputPath != "" {
		if o.Input, o.InputTree, err = ReadInput(req.InputPath); err != nil {
			return light.JobSpec{}, err
		}
	}
	if req.Deadline != "" {
		if o.Deadline, err = time.ParseDuration(req.Deadline); err != nil || o.Deadline <= 0 {
			return light.JobSpec{}, fmt.Errorf("%w: deadline %q is not a duration such as 5m", ErrJobRequest, req.Deadline)
		}
	}
	return o.spec(d.node.Params())
}

// jobOrder is a job to buy as the CLI (through the control API) and the app's Buy
// screen ask for it, its files read.
type jobOrder struct {
	Template string // an example job's name, or "" to run Module
	// GPU makes it a GPU job for the webgpu executor: Module is a GPU manifest, and a
	// Template names the example's GPU module (assets.GPUJob).
	GPU           bool
	Module, Input []byte
	InputTree     bool // Input is a packed directory (compute.PackTree), the job's /input
	Args          []string
	Env           []string // NAME=value
	MaxPrice      uint64
	Deadline      time.Duration    // how long a provider has to post the result; 0 takes DefaultJobDeadline
	Limits        chain.DealLimits // a zero field takes its default
}

// spec is the one place a job request becomes the deal to open: the example's module,
// the deadline in the network's epochs, the limits' defaults.
func (o jobOrder) spec(p chain.Params) (light.JobSpec, error) {
	spec := light.JobSpec{Module: o.Module, Input: o.Input, InputTree: o.InputTree, Args: o.Args, Env: o.Env, MaxPrice: o.MaxPrice, Limits: o.Limits}
	if o.Template != "" && o.GPU {
		m, err := assets.GPUJob(o.Template)
		if err != nil {
			return spec, fmt.Errorf("%w: no example GPU job %q (the GPU examples are %s)", ErrJobRequest, o.Template, exampleGPUJobNames())
		}
		spec.Module = m
	} else if o.Template != "" {
		m, err := assets.Job(o.Template)
		if err != nil {
			return spec, fmt.Errorf("%w: no example job %q (the examples are %s)", ErrJobRequest, o.Template, exampleJobNames())
		}
		spec.Module = m
	}
	if o.GPU {
		spec.Executor = chain.ExecutorWebGPU
		// A GPU job's outputs are files under /output: the deal allows the ones its
		// manifest names. A module that is no manifest is refused by OpenDeal, in words.
		if m, err := gpu.DecodeManifest(spec.Module); err == nil && spec.Limits.OutputFiles == 0 {
			for _, b := range m.Buffers {
				if b.Output != "" {
					spec.Limits.OutputFiles++
				}
			}
		}
	}
	if o.MaxPrice == 0 {
		return spec, fmt.Errorf("%w: the maximum price must be above zero", ErrJobRequest)
	}
	deadline := o.Deadline
	if deadline <= 0 {
		deadline = DefaultJobDeadline
	}
	cycle := time.Duration(p.CycleMs) * time.Millisecond
	spec.Deadline = uint64((deadline + cycle - 1) / cycle)
	if spec.Limits.MemoryMiB == 0 {
		spec.Limits.MemoryMiB = DefaultJobMemoryMiB
	}
	if spec.Limits.WallTimeMs == 0 {
		spec.Limits.WallTimeMs = uint64(DefaultJobWallTime / time.Millisecond)
	}
	if spec.Limits.OutputMax == 0 {
		spec.Limits.OutputMax = DefaultJobOutputMax
	}
	return spec, nil
}

// ReadInput reads a job's input: a file as it is (the job's standard input), or a
// directory packed as a tree (the job's /input). A directory holding anything but
// files and directories, names the tree refuses, or more than the network carries is
// refused in words.
func ReadInput(path string) (data []byte, tree bool, err error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, false, fmt.Errorf("%w: the input: %w", ErrJobRequest, err)
	}
	if info.IsDir() {
		if data, err = compute.PackDir(path, terms.MaxBlob); err != nil {
			return nil, false, fmt.Errorf("%w: the input folder: %w", ErrJobRequest, err)
		}
		if len(data) > terms.MaxBlob {
			return nil, false, fmt.Errorf("%w: the input folder packs to %d bytes, more than the %d the network carries", ErrJobRequest, len(data), terms.MaxBlob)
		}
		return data, true, nil
	}
	if info.Size() > terms.MaxBlob {
		return nil, false, fmt.Errorf("%w: the input file holds %d bytes, more than the %d the network carries", ErrJobRequest, info.Size(), terms.MaxBlob)
	}
	if data, err = os.ReadFile(path); err != nil {
		return nil, false, fmt.Errorf("%w: the input: %w", ErrJobRequest, err)
	}
	return data, false, nil
}

func (d jobDesk) Jobs() []light.Job                       { return d.node.Jobs() }
func (d jobDesk) JobByID(id chain.Hash) (light.Job, bool) { return d.node.JobByID(id) }
func (d jobDesk) CancelJob(ctx context.Context, id chain.Hash) error {
	return d.node.CancelJob(ctx, id)
}
func (d jobDesk) JobOutput(ctx context.Context, id chain.Hash) ([]byte, error) {
	return d.node.JobOutput(ctx, id)
}
func (d jobDesk) JobResult(ctx context.Context, id chain.Hash) (market.Outputs, error) {
	return d.node.JobResult(ctx, id)
}

// exampleJobNames lists the example jobs of assets/jobs as the manifest names them.
func exampleJobNames() string {
	m, err := assets.JobManifest()
	if err != nil {
		// The manifest is embedded and checked by the assets tests.
		panic(fmt.Sprintf("example jobs: %v", err))
	}
	names := make([]string, len(m.Jobs))
	for i, j := range m.Jobs {
		names[i] = j.Name
	}
	return strings.Join(names, ", ")
}

// exampleGPUJobNames lists the example GPU jobs (assets/jobs), for messages.
func exampleGPUJobNames() string {
	m, err := assets.JobManifest()
	if err != nil {
		panic(fmt.Sprintf("example jobs: %v", err))
	}
	names := make([]string, len(m.GPUJobs))
	for i, j := range m.GPUJobs {
		names[i] = j.Name
	}
	return strings.Join(names, ", ")
}
