package light

import (
	"cmp"
	"fmt"
	"slices"
	"sync"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/market"
	"github.com/daolicloud/daoli/node/store"
)

// DealBook is a light node's replica of the market's deals, stepped from verified
// blocks with chain.StepDeal, the rule Apply uses: it is what lets the ledger record a
// deal's payouts exactly without the chain's state. It keeps every live deal (any of
// them may be offered to this node) and the closed ones this node took part in.
// Changes made while blocks are being applied stay pending until the store has them.
type DealBook struct {
	mu      sync.Mutex
	me      keys.Address
	deals   map[chain.Hash]*chain.Deal
	pending map[chain.Hash]*chain.Deal // nil deletes
	// sales are the accepts seen in the last market.PriceWindow epochs, oldest
	// first; newSales those of the blocks being applied.
	sales, newSales []market.Sale
}

// NewDealBook returns an empty book for the node of address me.
func NewDealBook(me keys.Address) *DealBook {
	return &DealBook{me: me, deals: map[chain.Hash]*chain.Deal{}, pending: map[chain.Hash]*chain.Deal{}}
}

func loadDealBook(st *store.Store, me keys.Address) (*DealBook, error) {
	b := NewDealBook(me)
	err := st.ForEachDeal(func(id chain.Hash, v []byte) error {
		d, err := chain.DecodeDeal(v)
		if err != nil || d.ID != id {
			return fmt.Errorf("%w: deal %s: %v", ErrCorrupt, id.Short(), err)
		}
		b.deals[id] = d
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load deals: %w", err)
	}
	// The accepts of the deals kept (the live ones and this node's) are the sales
	// known at start; the others closed before it and are not kept.
	for _, d := range b.deals {
		if d.Accepted > 0 && d.Price > 0 {
			b.sales = append(b.sales, market.Sale{Epoch: d.Accepted, Charge: d.Price, WallTimeMs: d.Open.Limits.WallTimeMs})
		}
	}
	slices.SortFunc(b.sales, func(x, y market.Sale) int { return cmp.Compare(x.Epoch, y.Epoch) })
	return b, nil
}

// Sales lists the accepts seen in the last market.PriceWindow epochs, oldest first.
func (b *DealBook) Sales() []market.Sale {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.sales)
}

func (b *DealBook) get(id chain.Hash) *chain.Deal {
	if d, ok := b.pending[id]; ok {
		return d
	}
	return b.deals[id]
}

func (b *DealBook) open(id chain.Hash, from keys.PublicKey, o *chain.DealOpen, e uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d := &chain.Deal{ID: id, Buyer: keys.AddressOf(from), Open: *o, Opened: e, Phase: chain.PhaseOpen, Escrow: o.MaxPrice + o.BuyerDeposit}
	d.Open.Args, d.Open.Mediators = slices.Clone(o.Args), slices.Clone(o.Mediators)
	b.pending[id] = d
}

// step applies a market transaction of a verified block to its deal and returns the
// deal's payouts. A deal opened before the book began is unknown and skipped.
func (b *DealBook) step(tx *chain.Tx, body chain.Body, e uint64, me keys.Address) []chain.Payout {
	id := chain.DealOf(body)
	if id.IsZero() {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	cur := b.get(id)
	if cur == nil {
		return nil
	}
	d := cloneDeal(cur)
	out := chain.StepDeal(d, tx.From, body, e)
	if cur.Phase == chain.PhaseOpen && d.Phase == chain.PhaseAccepted {
		b.newSales = append(b.newSales, market.Sale{Epoch: e, Charge: d.Price, WallTimeMs: d.Open.Limits.WallTimeMs})
	}
	if d.Phase == chain.PhaseClosed && d.Buyer != me && d.Provider != me && keys.AddressOf(d.Mediator) != me {
		b.pending[id] = nil
	} else {
		b.pending[id] = d
	}
	return out
}

// writes are the pending changes in the store's form.
func (b *DealBook) writes() []store.DealWrite {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]store.DealWrite, 0, len(b.pending))
	for id, d := range b.pending {
		w := store.DealWrite{ID: id}
		if d != nil {
			w.Value = chain.EncodeDeal(d)
		}
		out = append(out, w)
	}
	return out
}

// commit makes the pending changes the book's, once the store holds them; discard
// drops them when it does not.
func (b *DealBook) commit() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, d := range b.pending {
		if d == nil {
			delete(b.deals, id)
		} else {
			b.deals[id] = d
		}
	}
	clear(b.pending)
	b.sales = append(b.sales, b.newSales...)
	b.newSales = b.newSales[:0]
	if n := len(b.sales); n > 0 {
		newest := b.sales[n-1].Epoch
		i := 0
		for i < n && b.sales[i].Epoch+market.PriceWindow <= newest {
			i++
		}
		b.sales = slices.Delete(b.sales, 0, i)
	}
}

func (b *DealBook) discard() {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.pending)
	b.newSales = b.newSales[:0]
}

// Deal returns a copy of the replica of deal id.
func (b *DealBook) Deal(id chain.Hash) (chain.Deal, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, ok := b.deals[id]
	if !ok {
		return chain.Deal{}, false
	}
	return *cloneDeal(d), true
}

// Mine lists the deals this node opened, in the order they opened.
func (b *DealBook) Mine() []chain.Deal {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []chain.Deal
	for _, d := range b.deals {
		if d.Buyer == b.me {
			out = append(out, *cloneDeal(d))
		}
	}
	slices.SortFunc(out, func(x, y chain.Deal) int {
		if x.Opened != y.Opened {
			return int(x.Opened) - int(y.Opened)
		}
		return slices.Compare(x.ID[:], y.ID[:])
	})
	return out
}

func cloneDeal(d *chain.Deal) *chain.Deal {
	c := *d
	c.Open.Args = slices.Clone(d.Open.Args)
	c.Open.Mediators = slices.Clone(d.Open.Mediators)
	c.Tried = slices.Clone(d.Tried)
	c.Payouts = slices.Clone(d.Payouts)
	return &c
}
