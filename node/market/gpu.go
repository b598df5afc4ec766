package market

import (
	"fmt"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/gpu"
)

// CheckGPUDeal says in words why a webgpu deal o, with its module and input, is not
// one a provider runs: the module is not a GPU manifest within the format's caps, the
// input is not a tree that fills the manifest's input buffers, or the output files the
// manifest makes do not fit the deal's output caps. The buyer checks it at the edge,
// before anything is escrowed.
func CheckGPUDeal(o *chain.DealOpen, module, input []byte) error {
	m, err := gpu.DecodeManifest(module)
	if err != nil {
		return err
	}
	if len(input) > 0 && !o.InputTree {
		return fmt.Errorf("%w: a GPU job's input is a tree of files, not one file", gpu.ErrInput)
	}
	bufs, err := gpu.Buffers(m, input)
	if err != nil {
		return err
	}
	files := 0
	for _, b := range m.Buffers {
		if b.Output != "" {
			files++
		}
	}
	// The outputs are whole buffers, so their packed tree has a size known now.
	tree, err := gpu.Outputs(m, bufs)
	if err != nil {
		return err
	}
	l := o.Limits
	switch {
	case files > int(l.OutputFiles):
		return fmt.Errorf("%w: the manifest writes %d output files, the deal allows %d", gpu.ErrLimits, files, l.OutputFiles)
	case uint64(len(tree)) > l.OutputMax:
		return fmt.Errorf("%w: the manifest's output tree is %d bytes, the deal allows %d", gpu.ErrLimits, len(tree), l.OutputMax)
	case m.BufferBytes() > l.MemoryMiB<<20:
		return fmt.Errorf("%w: the manifest's buffers take %d bytes, over the deal's memory limit of %d MiB", gpu.ErrLimits, m.BufferBytes(), l.MemoryMiB)
	}
	return nil
}

// GPUJobOf is the GPU job deal d's job describes, under a runner's caps l: the deal's
// memory limit caps the buffers and its wall time the run, where they are tighter.
func GPUJobOf(d *chain.Deal, job compute.Job, l gpu.Limits) gpu.Job {
	l.BufferBytes = min(l.BufferBytes, d.Open.Limits.MemoryMiB<<20)
	l.WallTime = min(l.WallTime, job.Limits.WallTime)
	l.DispatchTime = min(l.DispatchTime, l.WallTime)
	return gpu.Job{Module: job.Module, InputTree: job.InputTree, Limits: l}
}

// ResultOfGPU is a GPU run as the result document records it, with the same statuses
// as a sandbox run: a timeout is the deal's limit, a shader that does not compile or
// fit, or a failed device, a failure.
func ResultOfGPU(r gpu.Result) compute.Result {
	res := compute.Result{Tree: r.Tree, Reason: r.Reason, Elapsed: r.Elapsed}
	switch r.Status {
	case gpu.StatusOK:
		res.Status = compute.StatusOK
	case gpu.StatusTimeout:
		res.Status = compute.StatusTimeout
	default:
		res.Status = compute.StatusFailed
	}
	return res
}

// MatchesGPU says whether a re-run res of webgpu deal d's job (module) agrees with
// the outputs its provider posted: the same status and, for a run that ended well, a
// document that differs from the re-run's at most in its output tree, whose files
// match the re-run's under the manifest's check — byte for byte for an exact job,
// within the tolerance for an f32 one. A failed or timed-out run matches only the
// same document, as with CPU jobs.
func MatchesGPU(d *chain.Deal, module []byte, posted Outputs, res compute.Result) (bool, error) {
	if StatusOf(res.Status) != d.Status {
		return false, nil
	}
	if res.Status != compute.StatusOK {
		return Matches(d, res), nil
	}
	m, err := gpu.DecodeManifest(module)
	if err != nil {
		return false, err
	}
	if err := gpu.CompareOutputs(m.Check, res.Tree, posted.Tree); err != nil {
		return false, nil
	}
	res.Tree = posted.Tree
	return OutputsOf(res).Result.Hash() == d.Output, nil
}
