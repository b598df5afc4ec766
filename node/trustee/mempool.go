package trustee

import (
	"fmt"
	"slices"
	"sync"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/ibft"
	"github.com/daolicloud/daoli/node/keys"
)

// MempoolLimits cap what the mempool holds, so that a flood of transactions costs a
// bounded amount of memory. Zero fields take the defaults below.
type MempoolLimits struct {
	MaxTxs       int // transactions in all
	MaxBytes     int // encoded bytes in all
	MaxPerSender int // pending transactions of one sender
}

// Default mempool caps.
const (
	DefaultMempoolTxs       = 10_000
	DefaultMempoolBytes     = 32 << 20
	DefaultMempoolPerSender = 64
)

func (l MempoolLimits) withDefaults() MempoolLimits {
	if l.MaxTxs <= 0 {
		l.MaxTxs = DefaultMempoolTxs
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMempoolBytes
	}
	if l.MaxPerSender <= 0 {
		l.MaxPerSender = DefaultMempoolPerSender
	}
	return l
}

// pending is one held transaction with the sender's state after it, so that the next
// nonce of the same sender is checked against it without replaying the queue.
type pending struct {
	tx    *chain.Tx
	hash  chain.Hash
	size  int
	after *chain.State
}

// queue is one sender's pending transactions, consecutive nonces from the account's.
type queue struct {
	seq uint64 // arrival order of the sender's oldest pending transaction; proposals go by it
	txs []pending
}

// Mempool holds valid transactions waiting for a block. Every transaction it admits
// applies to the committed state after the sender's earlier pending ones, so a
// proposal built from it is valid unless senders interfere with each other (the
// proposer re-checks). It is safe for concurrent use.
type Mempool struct {
	mu     sync.Mutex
	limits MempoolLimits
	state  *chain.State
	queues map[keys.Address]*queue
	hashes map[chain.Hash]bool
	count  int
	bytes  int
	seq    uint64
}

var _ ibft.Mempool = (*Mempool)(nil)

// NewMempool returns an empty mempool on the committed state st.
func NewMempool(st *chain.State, limits MempoolLimits) *Mempool {
	return &Mempool{limits: limits.withDefaults(), state: st, queues: map[keys.Address]*queue{}, hashes: map[chain.Hash]bool{}}
}

// Add admits tx. It returns ErrKnownTx for a transaction it holds, ErrNonce when the
// nonce is not the sender's next, ErrMempoolFull at a cap, and ErrInvalidTx (wrapping
// the chain's reason) when tx does not apply.
func (p *Mempool) Add(tx *chain.Tx) error {
	h := tx.Hash()
	size := len(chain.EncodeTx(tx))
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hashes[h] {
		return ErrKnownTx
	}
	from := tx.Sender()
	q := p.queues[from]
	base, next := p.state, p.state.Account(from).Nonce
	if q != nil {
		last := q.txs[len(q.txs)-1]
		base, next = last.after, last.tx.Nonce+1
	}
	switch {
	case tx.Nonce != next:
		return fmt.Errorf("%w: nonce %d, next is %d", ErrNonce, tx.Nonce, next)
	case p.count >= p.limits.MaxTxs || p.bytes+size > p.limits.MaxBytes:
		return fmt.Errorf("%w: %d transactions, %d bytes", ErrMempoolFull, p.count, p.bytes)
	case q != nil && len(q.txs) >= p.limits.MaxPerSender:
		return fmt.Errorf("%w: %d pending from %s", ErrMempoolFull, len(q.txs), from)
	}
	after, err := chain.ApplyTx(base, tx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidTx, err)
	}
	if q == nil {
		q = &queue{seq: p.seq}
		p.seq++
		p.queues[from] = q
	}
	q.txs = append(q.txs, pending{tx: tx, hash: h, size: size, after: after})
	p.hashes[h] = true
	p.count++
	p.bytes += size
	return nil
}

// NextNonce is the nonce of the next transaction from a, after its pending ones.
func (p *Mempool) NextNonce(a keys.Address) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if q := p.queues[a]; q != nil {
		return q.txs[len(q.txs)-1].tx.Nonce + 1
	}
	return p.state.Account(a).Nonce
}

// Len is the number of held transactions.
func (p *Mempool) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count
}

// Has reports whether the mempool holds the transaction with hash h.
func (p *Mempool) Has(h chain.Hash) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hashes[h]
}

// Payload returns transactions that apply in order on st, at most maxBytes in all:
// senders in the order they arrived, each sender's transactions in nonce order. A
// transaction that no longer applies ends its sender's share of this payload.
func (p *Mempool) Payload(st *chain.State, maxBytes int) []chain.Tx {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []chain.Tx
	size := 0
	for _, q := range p.ordered() {
		for _, pt := range q.txs {
			if size+pt.size > maxBytes {
				break
			}
			next, err := chain.ApplyTx(st, pt.tx)
			if err != nil {
				break
			}
			st = next
			out = append(out, *pt.tx)
			size += pt.size
		}
	}
	return out
}

func (p *Mempool) ordered() []*queue {
	qs := make([]*queue, 0, len(p.queues))
	for _, q := range p.queues {
		qs = append(qs, q)
	}
	slices.SortFunc(qs, func(a, b *queue) int { return cmpUint(a.seq, b.seq) })
	return qs
}

// Update moves the mempool to the committed state st: it drops the transactions a
// block included (their nonces are used) and those that no longer apply.
func (p *Mempool) Update(st *chain.State) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state = st
	for from, q := range p.queues {
		base := st
		nonce := st.Account(from).Nonce
		kept := q.txs[:0]
		for _, pt := range q.txs {
			if pt.tx.Nonce < nonce {
				p.drop(pt)
				continue
			}
			after, err := chain.ApplyTx(base, pt.tx)
			if err != nil || len(kept) == 0 && pt.tx.Nonce != nonce {
				p.drop(pt)
				continue
			}
			pt.after, base = after, after
			kept = append(kept, pt)
		}
		if len(kept) == 0 {
			delete(p.queues, from)
			continue
		}
		q.txs = kept
	}
}

func (p *Mempool) drop(pt pending) {
	delete(p.hashes, pt.hash)
	p.count--
	p.bytes -= pt.size
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
