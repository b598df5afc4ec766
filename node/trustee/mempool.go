package trustee

import (
	"cmp"
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
// nonce of the same sender is checked against it without replaying the queue. The
// states the mempool derives are never hashed and never leave it (chain.CheckTx).
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
	// base is the sender's account in the committed state the queue was checked on,
	// and transfers tells that every transaction in it is a transfer (see Update).
	base      chain.Account
	transfers bool
}

// Mempool holds valid transactions waiting for a block. Every transaction it admits
// applies to the committed state after the sender's earlier pending ones, so a
// proposal built from it is valid unless senders interfere with each other (the
// proposer re-checks). It is safe for concurrent use.
type Mempool struct {
	mu      sync.Mutex
	chainID string
	limits  MempoolLimits
	state   *chain.State
	queues  map[keys.Address]*queue
	hashes  map[chain.Hash]bool
	count   int
	bytes   int
	seq     uint64
	// sigs spares the signature checks of a transaction the mempool re-applies (to
	// build a payload, after a commit) and of the block that carries it.
	sigs *keys.SigCache
}

var _ ibft.Mempool = (*Mempool)(nil)

// NewMempool returns an empty mempool on the committed state st.
func NewMempool(st *chain.State, limits MempoolLimits) *Mempool {
	return newMempool(st, limits, keys.NewSigCache(keys.DefaultSigCacheSize))
}

func newMempool(st *chain.State, limits MempoolLimits, sigs *keys.SigCache) *Mempool {
	return &Mempool{chainID: st.Params().ChainID, limits: limits.withDefaults(), state: st, queues: map[keys.Address]*queue{}, hashes: map[chain.Hash]bool{}, sigs: sigs}
}

// Add admits tx. It returns ErrKnownTx for a transaction it holds, ErrNonce when the
// nonce is not the sender's next, ErrMempoolFull at a cap, and ErrInvalidTx (wrapping
// the chain's reason) when tx does not apply.
func (p *Mempool) Add(tx *chain.Tx) error {
	h := tx.Hash()
	size := len(chain.EncodeTx(tx))
	// A full mempool refuses at once, before any costly check.
	if err := p.refuse(h, size); err != nil {
		return err
	}
	// The signature is the costly check and needs no state: done before the lock, it
	// lets transactions be admitted on several cores, and the check under the lock
	// finds it in the cache.
	if _, err := tx.ValidateBasicWith(p.chainID, p.sigs); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidTx, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hashes[h] {
		return ErrKnownTx
	}
	from := tx.Sender()
	q := p.queues[from]
	acct := p.state.Account(from)
	base, next := p.state, acct.Nonce
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
	after, err := chain.CheckTx(base, tx, p.sigs)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidTx, err)
	}
	if q == nil {
		q = &queue{seq: p.seq, base: acct, transfers: true}
		p.seq++
		p.queues[from] = q
	}
	q.txs = append(q.txs, pending{tx: tx, hash: h, size: size, after: after})
	q.transfers = q.transfers && tx.Kind == chain.KindTransfer
	p.hashes[h] = true
	p.count++
	p.bytes += size
	return nil
}

// refuse tells whether a transaction of hash h and size bytes is held already or
// cannot fit.
func (p *Mempool) refuse(h chain.Hash, size int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.hashes[h]:
		return ErrKnownTx
	case p.count >= p.limits.MaxTxs || p.bytes+size > p.limits.MaxBytes:
		return fmt.Errorf("%w: %d transactions, %d bytes", ErrMempoolFull, p.count, p.bytes)
	}
	return nil
}

// AddBatch admits txs in order as Add does, and returns Add's error for each, after
// checking all their signatures in one batch: a client that hands over many
// transactions at once pays about two thirds of the signature checks of adding them
// one by one.
func (p *Mempool) AddBatch(txs []*chain.Tx) []error {
	errs := make([]error, len(txs))
	p.mu.Lock()
	full := p.count >= p.limits.MaxTxs
	p.mu.Unlock()
	if full {
		for i := range errs {
			errs[i] = fmt.Errorf("%w: %d transactions", ErrMempoolFull, p.limits.MaxTxs)
		}
		return errs
	}
	bv := keys.NewCachedBatchVerifier(len(txs), p.sigs)
	for _, tx := range txs {
		if tx.ChainID == p.chainID {
			bv.Add(tx.From, tx.SignBytes(), tx.Sig)
		}
	}
	// The signatures that verify are remembered, and Add finds them; Add refuses the
	// others as it would have.
	bv.Verify()
	for i, tx := range txs {
		errs[i] = p.Add(tx)
	}
	return errs
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
			next, err := chain.CheckTx(st, pt.tx, p.sigs)
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
	slices.SortFunc(qs, func(a, b *queue) int { return cmp.Compare(a.seq, b.seq) })
	return qs
}

// Update moves the mempool to the committed state st: it drops the transactions a
// block included (their nonces are used) and those that no longer apply.
func (p *Mempool) Update(st *chain.State) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state = st
	for from, q := range p.queues {
		acct := st.Account(from)
		if q.transfers && acct == q.base {
			// The block left the sender's account as it was, so none of its
			// transactions went in, and transfers read nothing else that a block can
			// make them fail on: a credit to the recipient cannot overflow, since the
			// whole supply fits in 64 bits. They still apply in order on st, and
			// checking them again would cost one state update each.
			continue
		}
		base := st
		nonce := acct.Nonce
		kept := q.txs[:0]
		q.base, q.transfers = acct, true
		for _, pt := range q.txs {
			if pt.tx.Nonce < nonce {
				p.drop(pt)
				continue
			}
			after, err := chain.CheckTx(base, pt.tx, p.sigs)
			if err != nil || len(kept) == 0 && pt.tx.Nonce != nonce {
				p.drop(pt)
				continue
			}
			pt.after, base = after, after
			kept = append(kept, pt)
			q.transfers = q.transfers && pt.tx.Kind == chain.KindTransfer
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
