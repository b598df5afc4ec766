package light

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/content"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/wire"
	"github.com/libp2p/go-libp2p/core/peer"
)

// The plumbing the market's roles share: running a job, moving blobs through the
// content directory, proving state and sending transactions.

// runJob runs job in a worker process, or in this process when there is no worker.
// watch, when set, is handed the worker process before it is waited on, and what it
// returns is called once the process ended.
func (m *agent) runJob(ctx context.Context, job compute.Job, watch func(*compute.Process) (release func())) (compute.Result, error) {
	if m.cfg.Worker == nil {
		sb, err := m.sandbox()
		if err != nil {
			return compute.Result{}, err
		}
		return sb.Run(ctx, job)
	}
	p, err := m.cfg.Worker.Start(job)
	if err != nil {
		return compute.Result{}, err
	}
	if watch != nil {
		defer watch(p)()
	}
	return p.Wait(ctx)
}

// fetch gets a blob from this node's store or the trustees that keep it: those that
// serve the node first, then the rest of the set, dialed for it (the blob's owner
// asked its own trustees to keep it, which need not be this node's).
func (m *agent) fetch(ctx context.Context, h chain.Hash, maxSize int64) ([]byte, error) {
	f := &content.Fetcher{Req: m.n.net, Proto: m.n.rem.protos.Content, Store: m.cs,
		Punish: func(p peer.ID, reason string) { m.n.net.Penalize(p, p2p.PenaltyBadInput, reason) }}
	ctx, cancel := context.WithTimeout(ctx, fetchWait)
	defer cancel()
	ids := m.n.trusteePeers()
	for _, id := range m.n.setPeers() {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return f.Fetch(ctx, content.Hash(h), maxSize, ids, nil)
}

// hostOnTrustees asks the connected trustees to keep blob h, which this node serves;
// one that keeps it is enough for others to find it.
func (m *agent) hostOnTrustees(ctx context.Context, h content.Hash, size int) error {
	ids := m.n.trusteePeers()
	if len(ids) == 0 {
		return ErrNoTrustees
	}
	ctx, cancel := context.WithTimeout(ctx, fetchWait)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var kept int
	var last error
	for _, id := range ids {
		wg.Go(func() {
			err := content.AskHost(ctx, m.n.net, m.n.rem.protos.ContentHost, id, h, size)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				last = err
				return
			}
			kept++
		})
	}
	wg.Wait()
	if kept == 0 {
		return fmt.Errorf("no trustee keeps %s: %w", h, last)
	}
	return nil
}

// fetchWait bounds one blob transfer.
const fetchWait = 2 * time.Minute

// proveState proves state keys against a verified header, waiting briefly for the
// node to verify the trustee's height. A nil value is a key the state does not hold.
func (n *Node) proveState(ctx context.Context, ks []chain.Hash) ([][]byte, uint64, error) {
	ids := n.trusteePeers()
	if len(ids) == 0 {
		return nil, 0, ErrNoTrustees
	}
	var last error
	for _, id := range ids {
		resp := new(wire.StateResponse)
		if err := n.rem.ask(ctx, id, n.rem.protos.State, &wire.StateRequest{Keys: ks}, resp, p2p.ProofResponseLimit); err != nil {
			last = err
			continue
		}
		if len(resp.Proofs) != len(ks) {
			last = fmt.Errorf("%w: %d proofs for %d keys", ErrBadProof, len(resp.Proofs), len(ks))
			continue
		}
		if err := n.awaitHeight(ctx, resp.Height); err != nil {
			last = err
			continue
		}
		h, err := n.store.Header(resp.Height)
		if err != nil {
			return nil, 0, err
		}
		values := make([][]byte, len(ks))
		for i, k := range ks {
			if values[i], err = chain.VerifyProof(h.StateRoot, k, &resp.Proofs[i]); err != nil {
				break
			}
		}
		if err != nil {
			n.net.Penalize(id, p2p.PenaltyBadInput, "state proof that does not verify")
			last = fmt.Errorf("%w: %w", ErrBadProof, err)
			continue
		}
		return values, resp.Height, nil
	}
	return nil, 0, fmt.Errorf("prove state: %w", last)
}

// awaitHeight waits briefly until the node has verified height h.
func (n *Node) awaitHeight(ctx context.Context, h uint64) error {
	if h <= n.Height() {
		return nil
	}
	n.Kick()
	deadline := time.Now().Add(waitSynced)
	for n.Height() < h {
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: proof at height %d, verified up to %d", ErrBehind, h, n.Height())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(n.cfg.Poll / 4):
		}
	}
	return nil
}

// sendTx signs body with the wallet at its next nonce and hands it to the trustees.
func (n *Node) sendTx(ctx context.Context, fee uint64, body chain.Body) (chain.Hash, error) {
	if n.cfg.Wallet == nil {
		return chain.Hash{}, ErrNoWallet
	}
	acct, err := n.Balance(ctx)
	if err != nil {
		return chain.Hash{}, err
	}
	n.txMu.Lock()
	defer n.txMu.Unlock()
	n.wallet.mu.Lock()
	nonce := max(n.wallet.nextNonce, acct.Nonce)
	if n.wallet.nextNonce > acct.Nonce && acct.Height > n.wallet.sentAt+staleNonce {
		// Transactions sent long ago never landed (a trustee dropped them): the
		// account's own nonce is the next one.
		nonce = acct.Nonce
	}
	n.wallet.mu.Unlock()
	tx := chain.NewTx(n.cfg.Wallet, n.cfg.Network.ChainID, nonce, fee, body)
	if _, err := tx.ValidateBasic(n.cfg.Network.ChainID); err != nil {
		return chain.Hash{}, err
	}
	if took, err := n.submit(ctx, &wire.SubmitRequest{Tx: tx}); took == 0 {
		return chain.Hash{}, fmt.Errorf("%s: %w: %v", tx.Kind, ErrNotTaken, err)
	}
	n.wallet.mu.Lock()
	n.wallet.nextNonce = nonce + 1
	n.wallet.sentAt = max(n.wallet.sentAt, n.Height())
	n.wallet.mu.Unlock()
	return tx.Hash(), nil
}

// staleNonce is how many blocks a sent transaction may take to land before its nonce
// is given up on.
const staleNonce = 8

// Params are the chain's genesis parameters.
func (n *Node) Params() chain.Params { return n.params }

// Submit signs body with the wallet at its next nonce and hands it to the trustees,
// for transactions the node has no method of its own for (a trustee's bond).
func (n *Node) Submit(ctx context.Context, fee uint64, body chain.Body) (chain.Hash, error) {
	return n.sendTx(ctx, fee, body)
}

// ProveState proves one state key against a verified header and returns its value
// (nil when the state does not hold it) and the header's height.
func (n *Node) ProveState(ctx context.Context, key chain.Hash) ([]byte, uint64, error) {
	values, h, err := n.proveState(ctx, []chain.Hash{key})
	if err != nil {
		return nil, 0, err
	}
	return values[0], h, nil
}
