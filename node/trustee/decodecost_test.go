package trustee

import (
	"context"
	"errors"
	"testing"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/ibft"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/wire"
)

// TestDecodeCostRefusesBloat checks that a consensus message of nested empty arrays,
// which the CBOR decoder would make into a Proposal of 460 MiB before it reports an
// error, is refused as bad input without being decoded (wire.CheckDecodeCost).
func TestDecodeCostRefusesBloat(t *testing.T) {
	tr := mockTrustees(t, 4)[0]
	msg := consensusBloat(2 << 20)
	var err error
	if n := nodetest.Allocated(func() { err = tr.onConsensus(context.Background(), "", msg) }); n > 8<<20 {
		t.Fatalf("refusing a bloated consensus message of %d bytes allocated %d bytes", len(msg), n)
	}
	if !errors.Is(err, wire.ErrBloated) || !errors.Is(err, p2p.ErrBadInput) {
		t.Fatalf("bloated consensus message: %v", err)
	}

	// Data that is not well formed is the decoder's to refuse, unless it is bloated
	// before it breaks off.
	vote := &chain.Vote{Kind: chain.Prevote, ChainID: chaintest.DefaultChainID, Epoch: 1}
	vote.Sign(chaintest.TrusteeKey(0))
	cut := ibft.EncodeMessage(&ibft.Message{Vote: vote})
	if err := wire.CheckDecodeCost(cut[:len(cut)/2], messageType); err != nil {
		t.Fatalf("truncated vote: %v", err)
	}
	if err := wire.CheckDecodeCost(msg[:len(msg)/2], messageType); !errors.Is(err, wire.ErrBloated) {
		t.Fatalf("truncated bloated message: %v", err)
	}
}
