package luck

import (
	"bytes"
	"fmt"
	"maps"
	"slices"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
)

// Selection is the outcome of an epoch's lottery.
type Selection struct {
	Winner       *Ticket          // nil when no valid ticket
	Payroll      []Ticket         // the next up to P luckiest, in order
	Tickets      uint32           // distinct valid tickets in the union, equivocators left out
	Equivocators []keys.PublicKey // keys dropped for two tickets in the union, sorted
}

// SelectWinner applies the winner-and-payroll rule (docs/rewards.md §Who wins) to the
// union of the candidate sets that a quorum of trustees reported. The tickets must have
// been verified against one lottery. The union is taken by ticket hash; a key with two
// different tickets in it equivocated and is dropped; the rest are ordered by Compare.
// The result depends only on the union, never on the order of the sets or tickets.
func SelectWinner(sets [][]Ticket, payroll int) (Selection, error) {
	var ref *chain.KeyBlock
	union := map[chain.Hash]Ticket{}
	byMiner := map[keys.PublicKey]chain.Hash{}
	dropped := map[keys.PublicKey]bool{}
	for _, set := range sets {
		for _, t := range set {
			kb := t.KeyBlock
			if ref == nil {
				ref = kb
			}
			if kb.ChainID != ref.ChainID || kb.Epoch != ref.Epoch || kb.Parent != ref.Parent {
				return Selection{}, fmt.Errorf("%w: epoch %d on %s and epoch %d on %s", ErrMixedLotteries, ref.Epoch, ref.Parent.Short(), kb.Epoch, kb.Parent.Short())
			}
			if h, ok := byMiner[kb.Miner]; ok && h != t.Hash {
				dropped[kb.Miner] = true
			}
			byMiner[kb.Miner] = t.Hash
			union[t.Hash] = t
		}
	}
	all := make([]Ticket, 0, len(union))
	for _, t := range union {
		if !dropped[t.KeyBlock.Miner] {
			all = append(all, t)
		}
	}
	slices.SortFunc(all, Compare)
	sel := Selection{
		Tickets:      uint32(len(all)),
		Equivocators: slices.SortedFunc(maps.Keys(dropped), func(a, b keys.PublicKey) int { return bytes.Compare(a[:], b[:]) }),
	}
	if len(all) == 0 {
		return sel, nil
	}
	sel.Winner = &all[0]
	sel.Payroll = all[1:min(len(all), 1+max(payroll, 0))]
	return sel, nil
}

// Luckiest is what an honest trustee reports from the tickets it admitted: distinct
// tickets by hash, both tickets of a key that made two dropped, the rest ordered by
// Compare, at most limit of them. The tickets must have been verified against one
// lottery.
func Luckiest(tickets []Ticket, limit int) []Ticket {
	byMiner := map[keys.PublicKey]chain.Hash{}
	dropped := map[keys.PublicKey]bool{}
	seen := map[chain.Hash]bool{}
	var distinct []Ticket
	for _, t := range tickets {
		if seen[t.Hash] {
			continue
		}
		seen[t.Hash] = true
		if h, ok := byMiner[t.KeyBlock.Miner]; ok && h != t.Hash {
			dropped[t.KeyBlock.Miner] = true
		}
		byMiner[t.KeyBlock.Miner] = t.Hash
		distinct = append(distinct, t)
	}
	out := slices.DeleteFunc(distinct, func(t Ticket) bool { return dropped[t.KeyBlock.Miner] })
	slices.SortFunc(out, Compare)
	return out[:min(len(out), max(limit, 0))]
}
