package app

import (
	"context"
	"errors"
	"fmt"
	"os"
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

func (d jobDesk) spec(req control.JobRequest) (light.JobSpec, error) {
	var spec light.JobSpec
	var err error
	switch {
	case req.Template != "":
		if spec.Module, err = assets.Job(req.Template); err != nil {
			return spec, fmt.Errorf("%w: no example job %q (the examples are mandelbrot, pi, hash and wordcount)", ErrJobRequest, req.Template)
		}
	default:
		if spec.Module, err = os.ReadFile(req.ModulePath); err != nil {
			return spec, fmt.Errorf("%w: read the module: %w", ErrJobRequest, err)
		}
	}
	if req.InputPath != "" {
		if spec.Input, err = os.ReadFile(req.InputPath); err != nil {
			return spec, fmt.Errorf("%w: read the input: %w", ErrJobRequest, err)
		}
	}
	if req.MaxPrice == 0 {
		return spec, fmt.Errorf("%w: the maximum price must be above zero", ErrJobRequest)
	}
	deadline := DefaultJobDeadline
	if req.Deadline != "" {
		if deadline, err = time.ParseDuration(req.Deadline); err != nil || deadline <= 0 {
			return spec, fmt.Errorf("%w: deadline %q is not a duration such as 5m", ErrJobRequest, req.Deadline)
		}
	}
	cycle := time.Duration(d.node.Params().CycleMs) * time.Millisecond
	spec.Args, spec.MaxPrice = req.Args, req.MaxPrice
	spec.Deadline = uint64((deadline + cycle - 1) / cycle)
	spec.Limits = chain.DealLimits{MemoryMiB: req.MemoryMiB, WallTimeMs: req.WallTimeMs, OutputMax: req.OutputMax}
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
