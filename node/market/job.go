package market

import (
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
