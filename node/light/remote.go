package light

import (
	"context"
	"fmt"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/wire"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// requestWait bounds one request to a trustee.
const requestWait = 10 * time.Second

// remote asks trustees for what a light node needs: certified blocks, proofs, the
// time, and to take transactions and KeyBlocks.
type remote struct {
	req    p2p.Requester
	protos p2p.Protocols
}

func (r remote) ask(ctx context.Context, id peer.ID, proto protocol.ID, req any, resp any, limit int) error {
	ctx, cancel := context.WithTimeout(ctx, requestWait)
	defer cancel()
	raw, err := r.req.Request(ctx, id, proto, wire.Encode(req))
	if err != nil {
		return err
	}
	if err := wire.Decode(raw, resp, limit); err != nil {
		return fmt.Errorf("%w: %w", p2p.ErrBadInput, err)
	}
	return nil
}

// block fetches the certified block at height h from id.
func (r remote) block(ctx context.Context, id peer.ID, h uint64) (*wire.CertifiedBlock, error) {
	req := &wire.SyncRequest{Height: h}
	c := new(wire.CertifiedBlock)
	if err := r.ask(ctx, id, r.protos.Sync, req, c, p2p.SyncResponseLimit); err != nil {
		return nil, err
	}
	if err := req.CheckAnswer(c); err != nil {
		return nil, err
	}
	return c, nil
}

// clock asks id for its time and certified height.
func (r remote) clock(ctx context.Context, id peer.ID) (wire.ClockSample, error) {
	var s wire.ClockSample
	err := r.ask(ctx, id, r.protos.Clock, &wire.ClockRequest{}, &s, p2p.ClockResponseLimit)
	return s, err
}

// account asks id for the account of a with its proof.
func (r remote) account(ctx context.Context, id peer.ID, a keys.Address) (*wire.ProofResponse, error) {
	resp := new(wire.ProofResponse)
	if err := r.ask(ctx, id, r.protos.Proof, &wire.ProofRequest{Address: a}, resp, p2p.ProofResponseLimit); err != nil {
		return nil, err
	}
	return resp, nil
}

// submit hands a transaction or KeyBlock to id.
func (r remote) submit(ctx context.Context, id peer.ID, req *wire.SubmitRequest) (chain.Hash, error) {
	var resp wire.SubmitResponse
	err := r.ask(ctx, id, r.protos.Submit, req, &resp, p2p.SubmitResponseLimit)
	return resp.Hash, err
}
