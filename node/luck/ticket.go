package luck

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
)

// Lottery is one epoch's draw: what every ticket for it commits to, and the target
// its work must meet.
type Lottery struct {
	ChainID string
	Epoch   uint64
	Parent  chain.Hash // hash of B_{e−1}
	Target  chain.Hash
	// Sigs, when set, is the node's cache of verified signatures and VRF proofs: a
	// ticket checked at the edge is not checked again on admission.
	Sigs *keys.SigCache
}

// LotteryAfter is the lottery of the epoch after certified block h.
func LotteryAfter(h *chain.Header, kstar uint32) Lottery {
	return Lottery{ChainID: h.ChainID, Epoch: h.Epoch + 1, Parent: h.Hash(), Target: NextTarget(h, kstar)}
}

// Ticket is a KeyBlock that verified, with its luck and its hash.
type Ticket struct {
	KeyBlock *chain.KeyBlock
	Luck     chain.Luck
	Hash     chain.Hash
}

// Compare orders tickets luckiest first: by luck, then, for equal luck, by KeyBlock
// hash, so that every node breaks ties the same way.
func Compare(a, b Ticket) int {
	if c := bytes.Compare(a.Luck[:], b.Luck[:]); c != 0 {
		return c
	}
	return bytes.Compare(a.Hash[:], b.Hash[:])
}

// Draft is an unsigned ticket with its VRF proof, waiting for an admitted nonce.
type Draft struct {
	KeyBlock *chain.KeyBlock
	Luck     chain.Luck
	Prefix   []byte // the fixed part of the work input, hashed once by the miner
}

// NewDraft builds key k's ticket for lottery l, paying to payout. The VRF proof is
// the expensive part and is made once per epoch; the nonce search then reuses Prefix.
func NewDraft(k *keys.Key, l Lottery, payout keys.Address) *Draft {
	kb, luck := chain.NewKeyBlock(k, l.ChainID, l.Epoch, l.Parent, payout)
	return &Draft{KeyBlock: kb, Luck: luck, Prefix: chain.WorkPrefix(l.ChainID, l.Epoch, l.Parent, kb.Miner, luck[:])}
}

// Seal sets the nonce and signs the ticket with k, which must be the draft's key.
func (d *Draft) Seal(k *keys.Key, nonce uint64) Ticket {
	if k.Public() != d.KeyBlock.Miner {
		panic("luck: sealing a draft with another key")
	}
	kb := *d.KeyBlock
	kb.Nonce = nonce
	kb.Sign(k)
	return Ticket{KeyBlock: &kb, Luck: d.Luck, Hash: kb.Hash()}
}

// maxTarget admits any work; Verify checks the work itself to name the failure.
var maxTarget = func() (h chain.Hash) {
	for i := range h {
		h[i] = 0xff
	}
	return h
}()

// Verify checks kb against the lottery: chain, epoch and parent, the signature, the
// VRF proof, and work at or below the target. The error names the first failure.
func (l Lottery) Verify(kb *chain.KeyBlock) (Ticket, error) {
	if err := l.checkFields(kb); err != nil {
		return Ticket{}, err
	}
	luck, err := kb.VerifyWith(l.ChainID, l.Epoch, l.Parent, maxTarget, l.Sigs)
	switch {
	case errors.Is(err, chain.ErrBadSignature):
		return Ticket{}, fmt.Errorf("%w: %w", ErrBadSignature, err)
	case errors.Is(err, keys.ErrBadProof):
		return Ticket{}, fmt.Errorf("%w: %w", ErrBadVRF, err)
	case err != nil:
		return Ticket{}, err
	}
	work := chain.Work(chain.WorkPrefix(l.ChainID, l.Epoch, l.Parent, kb.Miner, luck[:]), kb.Nonce)
	if !chain.Admitted(work, l.Target) {
		return Ticket{}, fmt.Errorf("%w: %w: work %s, target %s", ErrAboveTarget, chain.ErrBadKeyBlock, work.Short(), l.Target.Short())
	}
	return Ticket{KeyBlock: kb, Luck: luck, Hash: kb.Hash()}, nil
}

// Decode parses an encoded KeyBlock and verifies it against the lottery.
func (l Lottery) Decode(data []byte) (Ticket, error) {
	kb, err := chain.DecodeKeyBlock(data)
	if err != nil {
		return Ticket{}, err
	}
	return l.Verify(kb)
}

// checkFields compares what the ticket commits to, before any expensive check.
func (l Lottery) checkFields(kb *chain.KeyBlock) error {
	switch {
	case kb.ChainID != l.ChainID:
		return fmt.Errorf("%w: %w: %q", ErrWrongChain, chain.ErrBadKeyBlock, kb.ChainID)
	case kb.Epoch != l.Epoch:
		// Not wrapped as invalid: a node a block behind or ahead sees honest tickets so.
		return fmt.Errorf("%w: epoch %d, want %d", ErrWrongEpoch, kb.Epoch, l.Epoch)
	case kb.Parent != l.Parent:
		return fmt.Errorf("%w: %w: parent %s, want %s", ErrWrongParent, chain.ErrBadKeyBlock, kb.Parent.Short(), l.Parent.Short())
	}
	return nil
}
