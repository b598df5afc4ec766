package trustee

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/store"
	"github.com/daolicloud/daoli/node/wire"
	"github.com/libp2p/go-libp2p/core/peer"
)

// submitWait bounds how long a KeyBlock submission waits for the state goroutine.
const submitWait = 5 * time.Second

func badInput(err error) error { return fmt.Errorf("%w: %w", p2p.ErrBadInput, err) }

// serveSync answers a height with the certified block at it.
func (t *Trustee) serveSync(_ context.Context, _ peer.ID, req []byte) ([]byte, error) {
	var r wire.SyncRequest
	if err := wire.Decode(req, &r, p2p.SyncRequestLimit); err != nil {
		return nil, badInput(err)
	}
	if r.Height == 0 || r.Height > t.tipv.Load().header.Epoch {
		return nil, fmt.Errorf("%w: block %d", ErrNotFound, r.Height)
	}
	b, err := t.store.Block(r.Height)
	if err != nil {
		return nil, notFound(r.Height, err)
	}
	cert, err := t.store.Cert(r.Height)
	if err != nil {
		return nil, notFound(r.Height, err)
	}
	set, _, err := t.store.TrusteeSet(r.Height)
	if err != nil {
		return nil, notFound(r.Height, err)
	}
	return wire.Encode(&wire.CertifiedBlock{Block: *b, Cert: *cert, Trustees: set}), nil
}

func notFound(h uint64, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: block %d", ErrNotFound, h)
	}
	return fmt.Errorf("block %d: %w", h, err)
}

// serveProof answers an address with its account at the certified tip and the proof
// against the tip's state root.
func (t *Trustee) serveProof(_ context.Context, _ peer.ID, req []byte) ([]byte, error) {
	var r wire.ProofRequest
	if err := wire.Decode(req, &r, p2p.ProofRequestLimit); err != nil {
		return nil, badInput(err)
	}
	tp := t.tipv.Load()
	acct, proof := tp.state.ProveAccount(r.Address)
	return wire.Encode(&wire.ProofResponse{Height: tp.header.Epoch, Account: acct, Proof: proof}), nil
}

// serveSubmit takes one transaction into the mempool, or one KeyBlock into the ticket
// pool, and relays what it accepted to the other trustees by gossip.
func (t *Trustee) serveSubmit(ctx context.Context, _ peer.ID, req []byte) ([]byte, error) {
	var r wire.SubmitRequest
	if err := wire.Decode(req, &r, p2p.SubmitRequestLimit); err != nil {
		return nil, badInput(err)
	}
	if err := r.ValidateBasic(); err != nil {
		return nil, badInput(err)
	}
	if r.Tx != nil {
		h, err := t.SubmitTx(ctx, r.Tx)
		if err != nil {
			return nil, err
		}
		return wire.Encode(&wire.SubmitResponse{Hash: h}), nil
	}
	h, err := t.SubmitKeyBlock(ctx, r.KeyBlock)
	if err != nil {
		return nil, err
	}
	return wire.Encode(&wire.SubmitResponse{Hash: h}), nil
}

// SubmitTx admits tx to the mempool and relays it. A transaction that is invalid in
// itself is an error wrapping p2p.ErrBadInput.
func (t *Trustee) SubmitTx(ctx context.Context, tx *chain.Tx) (chain.Hash, error) {
	if _, err := tx.ValidateBasicWith(t.chainID, t.sigs); err != nil {
		return chain.Hash{}, badInput(err)
	}
	if err := t.mempool.Add(tx); err != nil {
		return chain.Hash{}, err
	}
	t.metrics.mempool.Set(float64(t.mempool.Len()))
	t.relay(ctx, t.protos.Txs, chain.EncodeTx(tx))
	return tx.Hash(), nil
}

// SubmitKeyBlock admits kb to the ticket pool of the open epoch and relays it. A
// KeyBlock that is invalid in itself (of another chain, or with a signature that does
// not verify) is an error wrapping p2p.ErrBadInput; one for another epoch is not, since
// an honest miner's ticket may simply come late.
func (t *Trustee) SubmitKeyBlock(ctx context.Context, kb *chain.KeyBlock) (chain.Hash, error) {
	if kb.ChainID != t.chainID {
		return chain.Hash{}, badInput(fmt.Errorf("%w: KeyBlock of chain %q", wire.ErrBadRequest, kb.ChainID))
	}
	// The ticket pool checks the signature again, but finds it in the cache.
	if !t.sigs.Verify(kb.Miner, kb.SignBytes(), kb.Sig) {
		return chain.Hash{}, badInput(fmt.Errorf("%w: KeyBlock %s: %w", wire.ErrBadRequest, kb.Hash().Short(), chain.ErrBadSignature))
	}
	tp := t.tipv.Load()
	if kb.Epoch != tp.header.Epoch+1 || kb.Parent != tp.state.Tip() {
		return chain.Hash{}, fmt.Errorf("%w: KeyBlock for epoch %d, the open epoch is %d", wire.ErrBadRequest, kb.Epoch, tp.header.Epoch+1)
	}
	reply := make(chan error, 1)
	ctx, cancel := context.WithTimeout(ctx, submitWait)
	defer cancel()
	if !t.deliver(ctx, input{ticket: kb, recv: t.clock.Now(), reply: reply}) {
		return chain.Hash{}, ErrStopped
	}
	select {
	case err := <-reply:
		if err != nil {
			return chain.Hash{}, err
		}
	case <-ctx.Done():
		return chain.Hash{}, ctx.Err()
	case <-t.done:
		return chain.Hash{}, ErrStopped
	}
	t.relay(ctx, t.protos.KeyBlocks, chain.EncodeKeyBlock(kb))
	return kb.Hash(), nil
}

func (t *Trustee) relay(ctx context.Context, topic string, data []byte) {
	if err := t.net.Publish(ctx, topic, data); err != nil {
		t.log.Debug("relay", "topic", topic, "err", err)
	}
}

// serveClock answers with the trustee's time and certified height.
func (t *Trustee) serveClock(_ context.Context, _ peer.ID, req []byte) ([]byte, error) {
	var r wire.ClockRequest
	if err := wire.Decode(req, &r, p2p.ClockRequestLimit); err != nil {
		return nil, badInput(err)
	}
	return wire.Encode(&wire.ClockSample{Time: t.clock.Now().UnixNano(), Height: t.tipv.Load().header.Epoch}), nil
}
