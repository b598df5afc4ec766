package market

import (
	"context"
	"fmt"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/content"
	"github.com/daolicloud/daoli/node/market/terms"
)

// JobOf is the sandbox job deal d describes: the provider, the buyer's re-check and the
// mediator all run exactly this, seeded with the deal's ID, so their outputs agree bit
// for bit when everyone is honest.
func JobOf(d *chain.Deal, module, input []byte) compute.Job {
	l := d.Open.Limits
	return compute.Job{
		Module: module, Input: input, Args: d.Open.Args, Seed: d.ID,
		Limits: compute.Limits{
			MemoryBytes: min(l.MemoryMiB, compute.MaxMemoryBytes>>20) << 20,
			WallTime:    time.Duration(min(l.WallTimeMs, uint64(compute.MaxWallTime/time.Millisecond))) * time.Millisecond,
			OutputBytes: int(min(l.OutputMax, terms.MaxBlob)),
		},
	}
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

// OutputHash names a job's output (its standard output) in the content directory and
// in ResultPost.
func OutputHash(stdout []byte) chain.Hash { return chain.Hash(content.HashOf(stdout)) }

// Matches says whether a run of deal d's job gave the result its provider posted: the
// same output and the same status. The buyer's re-check and the mediator judge by it.
func Matches(d *chain.Deal, res compute.Result) bool {
	return OutputHash(res.Stdout) == d.Output && StatusOf(res.Status) == d.Status
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
