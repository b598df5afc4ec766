package ibft

import (
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/luck"
)

// The winner-and-payroll rule (docs/rewards.md §Who wins) is luck.SelectWinner and a
// report's tickets are luck.Luckiest: consensus and everything else that reads a block
// use one implementation, checked there against a brute-force reference.

// selection is the outcome of the rule on the reports that justify a block.
type selection struct {
	luck.Selection
	// admitted is the header's Tickets: the median of the reports' admitted counts,
	// which f Byzantine reports among a quorum cannot move outside the honest ones'
	// range. The union of the reports holds at most a quorum times P+1 tickets, so its
	// size (Selection.Tickets) is no count of the epoch's tickets.
	admitted uint32
}

// matches reports whether block b carries exactly sel's winner, payroll and count.
func (sel selection) matches(b *chain.Block) bool {
	var winner *chain.KeyBlock
	if sel.Winner != nil {
		winner = sel.Winner.KeyBlock
	}
	if chain.WinnerHash(winner) != chain.WinnerHash(b.Winner) || sel.admitted != b.Header.Tickets || len(sel.Payroll) != len(b.Payroll) {
		return false
	}
	for i := range sel.Payroll {
		if sel.Payroll[i].Hash != b.Payroll[i].Hash() {
			return false
		}
	}
	return true
}

// winner is the selection's winning KeyBlock, or nil.
func (sel selection) winner() *chain.KeyBlock {
	if sel.Winner == nil {
		return nil
	}
	return sel.Winner.KeyBlock
}

// payroll is the selection's payroll as KeyBlocks, in order.
func (sel selection) payroll() []chain.KeyBlock {
	var out []chain.KeyBlock
	for _, t := range sel.Payroll {
		out = append(out, *t.KeyBlock)
	}
	return out
}
