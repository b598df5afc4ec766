package luck

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/dcc"
	"github.com/daolicloud/daoli/node/keys"
)

// Equivocation is the proof that a key made two different tickets for one epoch.
type Equivocation struct {
	Miner keys.PublicKey
	A, B  *chain.KeyBlock
}

// Pool holds a trustee's admitted tickets of one epoch: at most one per key, taken
// only while the DCC window admits. It is not safe for concurrent use.
type Pool struct {
	lottery      Lottery
	window       dcc.Window
	tickets      map[keys.PublicKey]Ticket
	equivocators map[keys.PublicKey]Equivocation
}

// NewPool returns an empty pool for lottery l, admitting while window w allows (the
// window opened at the trustee's own receipt of B_{e−1}).
func NewPool(l Lottery, w dcc.Window) (*Pool, error) {
	if w.Epoch() != l.Epoch {
		return nil, fmt.Errorf("%w: window of epoch %d, lottery of epoch %d", ErrWrongWindow, w.Epoch(), l.Epoch)
	}
	return &Pool{
		lottery:      l,
		window:       w,
		tickets:      map[keys.PublicKey]Ticket{},
		equivocators: map[keys.PublicKey]Equivocation{},
	}, nil
}

// Lottery returns the lottery the pool admits for.
func (p *Pool) Lottery() Lottery { return p.lottery }

// Window returns the DCC window the pool admits in.
func (p *Pool) Window() dcc.Window { return p.window }

// Add admits kb, received at local reading now. Cheap checks come first so a flood of
// late, repeated or misdirected tickets costs no signature or VRF check. A second,
// different valid ticket from one key drops both and ignores the key for the epoch.
func (p *Pool) Add(kb *chain.KeyBlock, now time.Duration) (Ticket, error) {
	if err := p.lottery.checkFields(kb); err != nil {
		return Ticket{}, err
	}
	if !p.window.MayAdmit(now) {
		return Ticket{}, fmt.Errorf("%w: δ = %v, Φ + Δ = %v", ErrTooLate, p.window.Age(now), p.window.Phi()+p.window.Delta())
	}
	if _, ok := p.equivocators[kb.Miner]; ok {
		return Ticket{}, fmt.Errorf("%w: key %s already ignored", ErrEquivocation, kb.Miner.String()[:8])
	}
	h := kb.Hash()
	old, had := p.tickets[kb.Miner]
	if had && old.Hash == h {
		return Ticket{}, fmt.Errorf("%w: %s", ErrDuplicate, h.Short())
	}
	// Verify before judging equivocation, so nobody can get a key ignored by forging
	// a ticket in its name.
	t, err := p.lottery.Verify(kb)
	if err != nil {
		return Ticket{}, err
	}
	if had {
		delete(p.tickets, kb.Miner)
		p.equivocators[kb.Miner] = Equivocation{Miner: kb.Miner, A: old.KeyBlock, B: kb}
		return Ticket{}, fmt.Errorf("%w: key %s", ErrEquivocation, kb.Miner.String()[:8])
	}
	p.tickets[kb.Miner] = t
	return t, nil
}

// AddEncoded decodes a KeyBlock and admits it.
func (p *Pool) AddEncoded(data []byte, now time.Duration) (Ticket, error) {
	kb, err := chain.DecodeKeyBlock(data)
	if err != nil {
		return Ticket{}, err
	}
	return p.Add(kb, now)
}

// Len is the number of admitted tickets.
func (p *Pool) Len() int { return len(p.tickets) }

// Tickets returns the admitted tickets, luckiest first.
func (p *Pool) Tickets() []Ticket {
	out := slices.Collect(maps.Values(p.tickets))
	slices.SortFunc(out, Compare)
	return out
}

// Best returns the n luckiest admitted tickets: a trustee's report carries P+1.
func (p *Pool) Best(n int) []Ticket {
	all := p.Tickets()
	return all[:min(max(n, 0), len(all))]
}

// Equivocations returns the proofs of the keys ignored this epoch, ordered by key.
func (p *Pool) Equivocations() []Equivocation {
	out := slices.Collect(maps.Values(p.equivocators))
	slices.SortFunc(out, func(a, b Equivocation) int { return bytes.Compare(a.Miner[:], b.Miner[:]) })
	return out
}
