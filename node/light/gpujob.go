package light

import (
	"context"
	"errors"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/gpu"
	"github.com/daolicloud/daoli/node/market"
)

// gpuLimits are the caps of this node's GPU jobs.
func (m *agent) gpuLimits() gpu.Limits {
	if m.cfg.GPULimits == (gpu.Limits{}) {
		return gpu.DefaultLimits
	}
	return m.cfg.GPULimits
}

// runGPU runs webgpu deal d's job in a GPU worker process that follows the GPU gate:
// the provider's run r (whose stop kills it), or the buyer's re-check when r is nil.
func (m *agent) runGPU(ctx context.Context, d *chain.Deal, job compute.Job, r *providerRun) (compute.Result, error) {
	if m.cfg.GPU == nil {
		return compute.Result{}, ErrNoGPU
	}
	p, err := m.cfg.GPU.Start(market.GPUJobOf(d, job, m.gpuLimits()))
	if err != nil {
		return compute.Result{}, err
	}
	if r != nil {
		m.mu.Lock()
		r.gpu = p
		stopped := r.stopped
		m.mu.Unlock()
		if stopped {
			p.Kill()
		}
	}
	if g := m.cfg.GPUGate; g != nil {
		fctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			g.Follow(fctx, p)
		}()
		defer func() { cancel(); <-done }()
	}
	res, err := p.Wait(ctx)
	if err != nil {
		return compute.Result{}, err
	}
	return market.ResultOfGPU(res), nil
}

// recheckGPU re-runs webgpu deal d's job for its buyer and compares it with the posted
// outputs under the manifest's check. A node that cannot run GPU jobs (no runner, no
// adapter, a build without the executor) accepts the result unchecked.
func (m *agent) recheckGPU(ctx context.Context, d *chain.Deal, job compute.Job, posted market.Outputs) (ok, checked bool, err error) {
	res, err := m.runGPU(ctx, d, job, nil)
	switch {
	case errors.Is(err, ErrNoGPU) || errors.Is(err, gpu.ErrNoAdapter) || errors.Is(err, gpu.ErrNoExecutor):
		m.n.log.Info("GPU result accepted unchecked", "deal", d.ID.Short(), "err", err)
		return true, false, nil
	case err != nil:
		return false, false, err
	}
	ok, err = market.MatchesGPU(d, job.Module, posted, res)
	return ok, true, err
}
