package chain

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/daolicloud/daoli/node/keys"
)

// matchDeals is the solver: after a block's transactions, every open deal whose offer
// lapsed is withdrawn from that provider (which is set aside until it registers again),
// and every open deal without an offer is offered to the cheapest provider that fits,
// ties going to the most senior. Deals are served in the order they opened. It is part
// of the state transition, so anyone can re-check it, and it moves no coins.
func matchDeals(s *State, e uint64) {
	m := s.Market()
	if len(m.Live) == 0 {
		return
	}
	providers := map[keys.Address]*Provider{}
	load := func(a keys.Address) *Provider {
		if p, ok := providers[a]; ok {
			return p
		}
		p, _ := s.Provider(a)
		providers[a] = &p
		return &p
	}
	var order []*Provider // every provider, cheapest then most senior first
	changed := map[keys.Address]bool{}
	for _, id := range m.Live {
		d, _ := s.Deal(id)
		if d.Phase != PhaseOpen {
			continue
		}
		dirty := false
		if !d.Provider.IsZero() && e > d.Offered+AcceptWindow {
			p := load(d.Provider)
			p.Deals = slices.DeleteFunc(p.Deals, func(h Hash) bool { return h == id })
			p.Away = true
			changed[p.Address] = true
			d.Tried = append(d.Tried, d.Provider)
			d.Provider = keys.Address{}
			dirty = true
		}
		if d.Provider.IsZero() && e <= d.Open.Deadline {
			if order == nil {
				order = make([]*Provider, 0, len(m.Providers))
				for _, a := range m.Providers {
					order = append(order, load(a))
				}
				slices.SortStableFunc(order, func(a, b *Provider) int {
					return cmp.Or(cmp.Compare(a.Price, b.Price), cmp.Compare(a.Seniority, b.Seniority))
				})
			}
			p, reason := choose(order, &d)
			if p != nil {
				p.Deals = append(p.Deals, id)
				changed[p.Address] = true
				d.Provider, d.Offered, d.Reason = p.Address, e, ""
				dirty = true
			} else if reason != d.Reason {
				d.Reason = reason
				dirty = true
			}
		}
		if dirty {
			s.setDeal(&d)
		}
	}
	for a := range changed {
		s.setProvider(providers[a])
	}
}

// choose is the first provider of order (cheapest first) that fits deal d, or, when
// none does, the reason in words, naming the nearest miss.
func choose(order []*Provider, d *Deal) (*Provider, string) {
	if len(order) == 0 {
		return nil, "no provider is registered"
	}
	l := d.Open.Limits
	ex := d.Open.ExecutorName()
	var exec, mem, timed, priced int
	var most, longest uint64
	var cheapest uint64
	for _, p := range order {
		if !slices.Contains(p.Executors, ex) {
			continue
		}
		exec++
		most = max(most, p.Spec.MemoryMiB)
		if p.Spec.MemoryMiB < l.MemoryMiB {
			continue
		}
		mem++
		longest = max(longest, p.Spec.longestWallTime())
		if p.Spec.longestWallTime() < l.WallTimeMs {
			continue
		}
		timed++
		charge, ok := Charge(p.Price, l)
		if !ok || charge > d.Open.MaxPrice {
			if ok && (cheapest == 0 || charge < cheapest) {
				cheapest = charge
			}
			continue
		}
		priced++
		if p.Address == d.Buyer || slices.Contains(d.Tried, p.Address) || slices.Contains(d.Open.Avoid, p.Address) || p.Away || int(p.Slots) <= len(p.Deals) {
			continue
		}
		return p, ""
	}
	switch {
	case exec == 0:
		return nil, fmt.Sprintf("no provider runs %s modules", ex)
	case mem == 0:
		return nil, fmt.Sprintf("no provider offers %d MiB of memory (the most offered is %d MiB)", l.MemoryMiB, most)
	case timed == 0:
		return nil, fmt.Sprintf("no provider that offers the memory runs a job for %s (the longest offered is %s)", msText(l.WallTimeMs), msText(longest))
	case priced == 0:
		return nil, fmt.Sprintf("the price is too low: the cheapest provider that fits asks %d, the maximum price is %d", cheapest, d.Open.MaxPrice)
	}
	return nil, fmt.Sprintf("all %d providers that fit are busy, paused, left out by the buyer, or let this deal's offer lapse", priced)
}

// longestWallTime is the longest wall-time limit of a deal the provider takes.
func (s ProviderSpec) longestWallTime() uint64 {
	if s.MaxWallTimeMs == 0 {
		return MaxDealWallTimeMs
	}
	return s.MaxWallTimeMs
}

// msText is a duration in milliseconds as people read it: "90 s", "1500 ms".
func msText(ms uint64) string {
	if ms%1000 == 0 {
		return fmt.Sprintf("%d s", ms/1000)
	}
	return fmt.Sprintf("%d ms", ms)
}
