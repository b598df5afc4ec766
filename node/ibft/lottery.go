package ibft

import (
	"bytes"
	"slices"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
)

// The winner-and-payroll rule of DESIGN §3.3, kept here rather than imported from
// node/luck so the consensus core depends only on node/chain; both must agree on the
// order (luck, then ticket hash) and on dropping a key with two tickets.

// ticket is a verified KeyBlock with its luck and hash.
type ticket struct {
	kb   *chain.KeyBlock
	luck chain.Luck
	hash chain.Hash
}

// compareTickets orders tickets luckiest first; the ticket hash breaks ties so the
// order is total.
func compareTickets(a, b ticket) int {
	if c := bytes.Compare(a.luck[:], b.luck[:]); c != 0 {
		return c
	}
	return bytes.Compare(a.hash[:], b.hash[:])
}

// selection is the outcome of the rule on a union of tickets.
type selection struct {
	winner  *chain.KeyBlock
	payroll []chain.KeyBlock
	tickets uint32 // distinct valid tickets drawn from, the header's Tickets
}

// selectWinner applies the rule to the union of sets: the union by ticket hash, keys
// with two different tickets in it dropped, the rest ordered by compareTickets; the
// first wins and the next up to payroll are paid. The result depends only on the
// union, never on the order of the sets.
func selectWinner(sets [][]ticket, payroll int) selection {
	union := map[chain.Hash]ticket{}
	byMiner := map[keys.PublicKey]chain.Hash{}
	dropped := map[keys.PublicKey]bool{}
	for _, set := range sets {
		for _, t := range set {
			if h, ok := byMiner[t.kb.Miner]; ok && h != t.hash {
				dropped[t.kb.Miner] = true
			}
			byMiner[t.kb.Miner] = t.hash
			union[t.hash] = t
		}
	}
	all := make([]ticket, 0, len(union))
	for _, t := range union {
		if !dropped[t.kb.Miner] {
			all = append(all, t)
		}
	}
	slices.SortFunc(all, compareTickets)
	sel := selection{tickets: uint32(len(all))}
	if len(all) == 0 {
		return sel
	}
	sel.winner = all[0].kb
	for _, t := range all[1:min(len(all), 1+payroll)] {
		sel.payroll = append(sel.payroll, *t.kb)
	}
	return sel
}

// luckiest keeps at most limit tickets of one set, luckiest first, after dropping keys
// that hold two different tickets: what an honest trustee reports.
func luckiest(set []ticket, limit int) []ticket {
	byMiner := map[keys.PublicKey]chain.Hash{}
	dropped := map[keys.PublicKey]bool{}
	seen := map[chain.Hash]bool{}
	var distinct []ticket
	for _, t := range set {
		if seen[t.hash] {
			continue
		}
		seen[t.hash] = true
		if h, ok := byMiner[t.kb.Miner]; ok && h != t.hash {
			dropped[t.kb.Miner] = true
		}
		byMiner[t.kb.Miner] = t.hash
		distinct = append(distinct, t)
	}
	out := slices.DeleteFunc(distinct, func(t ticket) bool { return dropped[t.kb.Miner] })
	slices.SortFunc(out, compareTickets)
	return out[:min(len(out), limit)]
}

// matches reports whether block b carries exactly sel's winner, payroll and count.
func (sel selection) matches(b *chain.Block) bool {
	if chain.WinnerHash(sel.winner) != chain.WinnerHash(b.Winner) || sel.tickets != b.Header.Tickets || len(sel.payroll) != len(b.Payroll) {
		return false
	}
	for i := range sel.payroll {
		if sel.payroll[i].Hash() != b.Payroll[i].Hash() {
			return false
		}
	}
	return true
}
