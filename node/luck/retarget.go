package luck

import (
	"slices"

	"github.com/daolicloud/daoli/node/chain"
)

// AdmittedCount is an epoch's admitted-ticket count from the counts stated in the
// reports that justify its block: their lower median. With f of at least 2f+1 counts
// false, at most f lie below it and at most f above, so it stays within the range of
// the honest counts. A report lists at most P+1 tickets, so the tickets a block can
// carry are no count of those admitted; retargeting and ExpectedWins read this one,
// the header's Tickets.
func AdmittedCount(counts []uint32) uint32 {
	if len(counts) == 0 {
		return 0
	}
	s := slices.Clone(counts)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// NextTarget is the admission target of the epoch after certified block h:
// Target × clamp(K*/Tickets, ½, 2), as chain.Retarget computes it, where Tickets is
// the epoch's AdmittedCount. Only certified headers carry Tickets, so every node
// derives the same target. After genesis nothing
// has been observed yet, and epoch 1 keeps the genesis target.
func NextTarget(h *chain.Header, kstar uint32) chain.Hash {
	if h.Epoch == 0 {
		return h.Target
	}
	return chain.Retarget(h.Target, h.Tickets, kstar)
}
