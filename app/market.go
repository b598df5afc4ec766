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
	"github.com/daolicloud/daoli/node/control"
	"github.com/daolicloud/daoli/node/light"
)

// Job defaults: what a run of an example job needs at most, with room to spare on a
// slow laptop.
const (
	DefaultJobMemoryMiB = 256
	DefaultJobWallTime  = 60 * time.Second
	DefaultJobOutputMax = 16 << 20
	DefaultJobDeadline  = 5 * time.Minute
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
	o := jobOrder{Template: req.Template, Args: req.Args, MaxPrice: req.MaxPrice,
		Limits: chain.DealLimits{MemoryMiB: req.MemoryMiB, WallTimeMs: req.WallTimeMs, OutputMax: req.OutputMax}}
	var err error
	if req.Template == "" {
		if o.Module, err = os.ReadFile(req.ModulePath); err != nil {
			return light.JobSpec{}, fmt.Errorf("%w: read the module: %w", ErrJobRequest, err)
		}
	}
	if req.InputPath != "" {
		if o.Input, err = os.ReadFile(req.InputPath); err != nil {
			return light.JobSpec{}, fmt.Errorf("%w: read the input: %w", ErrJobRequest, err)
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
	Template      string // an example job's name, or "" to run Module
	Module, Input []byte
	Args          []string
	MaxPrice      uint64
	Deadline      time.Duration    // how long a provider has to post the result; 0 takes DefaultJobDeadline
	Limits        chain.DealLimits // a zero field takes its default
}

// spec is the one place a job request becomes the deal to open: the example's module,
// the deadline in the network's epochs, the limits' defaults.
func (o jobOrder) spec(p chain.Params) (light.JobSpec, error) {
	spec := light.JobSpec{Module: o.Module, Input: o.Input, Args: o.Args, MaxPrice: o.MaxPrice, Limits: o.Limits}
	if o.Template != "" {
		m, err := assets.Job(o.Template)
		if err != nil {
			return spec, fmt.Errorf("%w: no example job %q (the examples are %s)", ErrJobRequest, o.Template, exampleJobNames())
		}
		spec.Module = m
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

func (d jobDesk) Jobs() []light.Job                       { return d.node.Jobs() }
func (d jobDesk) JobByID(id chain.Hash) (light.Job, bool) { return d.node.JobByID(id) }
func (d jobDesk) CancelJob(ctx context.Context, id chain.Hash) error {
	return d.node.CancelJob(ctx, id)
}
func (d jobDesk) JobOutput(ctx context.Context, id chain.Hash) ([]byte, error) {
	return d.node.JobOutput(ctx, id)
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
