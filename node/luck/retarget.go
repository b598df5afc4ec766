package luck

import "github.com/daolicloud/daoli/node/chain"

// NextTarget is the admission target of the epoch after certified block h:
// Target × clamp(K*/Tickets, ½, 2), as chain.Retarget computes it. Only certified
// headers carry Tickets, so every node derives the same target. After genesis nothing
// has been observed yet, and epoch 1 keeps the genesis target.
func NextTarget(h *chain.Header, kstar uint32) chain.Hash {
	if h.Epoch == 0 {
		return h.Target
	}
	return chain.Retarget(h.Target, h.Tickets, kstar)
}
