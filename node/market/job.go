package market

import (
	"context"
	"fmt"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/market/terms"
)

// JobOf is the sandbox job deal d describes: the provider, the buyer's re-check and the
// mediator all run exactly this, seeded with the deal's ID, so their outputs agree bit
// for bit when everyone is honest. input is the deal's input: one file on standard
// input, or, when the deal says so, a packed tree mounted at /input. A deal whose
// limits allow output files has a writable /output of at most OutputMax bytes and
// OutputFiles files and directories.
func JobOf(d *chain.Deal, module, input []byte) compute.Job {
	l := d.Open.Limits
	out := int(min(l.OutputMax, terms.MaxBlob))
	job := compute.Job{
		Module: module, Args: d.Open.Args, Env: d.Open.Env, Seed: d.ID,
		Limits: compute.Limits{
			MemoryBytes: min(l.MemoryMiB, compute.MaxMemoryBytes>>20) << 20,
			WallTime:    time.Duration(min(l.WallTimeMs, uint64(compute.MaxWallTime/time.Millisecond))) * time.Millisecond,
			OutputBytes: out,
		},
	}
	if l.OutputFiles > 0 {
		job.Limits.Tree = compute.OutputTree{Bytes: out, Files: int(min(l.OutputFiles, compute.MaxOutputFiles))}
	}
	if d.Open.InputTree {
		job.InputTree = input
	} else {
		job.Input = input
	}
	return job
}

// StatusOf is the status a provider posts for a sandbox outcome.
func StatusOf(s compute.Status) chain.DealStatus {
	switch s {
	case compute.StatusOK:
		return chain.StatusOK
	case compute.StatusTimeout, compute.StatusMemory, compute.StatusOutputTooLarge:
		return chain.StatusLimit
	}
	return chain.StatusFailed
}

// Matches says whether a run of deal d's job gave the result its provider posted: the
// same result document (standard output, standard error, the output tree, the reason)
// and the same status. The buyer's re-check and the mediator judge by it.
func Matches(d *chain.Deal, res compute.Result) bool {
	return OutputsOf(res).Result.Hash() == d.Output && StatusOf(res.Status) == d.Status
}

// Fetch gets blob h of at most max bytes, from wherever the caller keeps or finds it.
type Fetch func(ctx context.Context, h chain.Hash, max int64) ([]byte, error)

// FetchJob gathers deal d's module and input with fetch and makes them the job JobOf
// describes: what the provider runs, the buyer re-checks and the mediator re-executes.
func FetchJob(ctx context.Context, d *chain.Deal, fetch Fetch) (compute.Job, error) {
	module, err := fetch(ctx, d.Open.Module, terms.MaxBlob)
	if err != nil {
		return compute.Job{}, fmt.Errorf("module: %w", err)
	}
	var input []byte
	if !d.Open.Input.IsZero() {
		if input, err = fetch(ctx, d.Open.Input, terms.MaxBlob); err != nil {
			return compute.Job{}, fmt.Errorf("input: %w", err)
		}
	}
	return JobOf(d, module, input), nil
}

// FetchOutputs gathers the result deal d's provider posted: its document and the
// standard output and tree it names, each checked against its hash (fetch does) and
// size, and the tree against the deal's caps.
func FetchOutputs(ctx context.Context, d *chain.Deal, fetch Fetch) (Outputs, error) {
	doc, err := fetch(ctx, d.Output, int64(MaxResult))
	if err != nil {
		return Outputs{}, fmt.Errorf("result: %w", err)
	}
	r, err := DecodeResult(doc)
	if err != nil {
		return Outputs{}, err
	}
	o := Outputs{Result: r}
	limit := min(d.Open.Limits.OutputMax, terms.MaxBlob)
	part := func(what string, p Part) ([]byte, error) {
		if p == (Part{}) {
			return nil, nil
		}
		if p.Size > limit {
			return nil, fmt.Errorf("%w: %s of %d bytes, over the deal's cap of %d", ErrResult, what, p.Size, limit)
		}
		b, err := fetch(ctx, p.Hash, int64(p.Size))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if uint64(len(b)) != p.Size {
			return nil, fmt.Errorf("%w: %s of %d bytes, the result says %d", ErrResult, what, len(b), p.Size)
		}
		return b, nil
	}
	if o.Stdout, err = part("standard output", r.Stdout); err != nil {
		return Outputs{}, err
	}
	if o.Tree, err = part("output tree", r.Tree); err != nil {
		return Outputs{}, err
	}
	if o.Tree != nil {
		if _, err := compute.UnpackTree(o.Tree); err != nil {
			return Outputs{}, fmt.Errorf("%w: output tree: %w", ErrResult, err)
		}
	}
	return o, nil
}
