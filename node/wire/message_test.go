package wire

import (
	"testing"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/p2p"
)

// TestCertifiedHead reads the header of an encoded CertifiedBlock, with and without a
// trustee set, as the blocks topic's validator does before deciding to decode the rest:
// a field added to CertifiedBlock must be added to CertifiedHead too.
func TestCertifiedHead(t *testing.T) {
	n, err := chaintest.New(chaintest.Config{Trustees: 4, Users: 4})
	if err != nil {
		t.Fatal(err)
	}
	c, err := n.Next(chaintest.Step{Transfers: 3, Tickets: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, set := range [][]chain.Trustee{nil, c.State.Registry().CertifiedBy} {
		data := Encode(&CertifiedBlock{Block: *c.Block, Cert: *c.Cert, Trustees: set})
		var head CertifiedHead
		if err := Decode(data, &head, p2p.BlockTopicLimit); err != nil {
			t.Fatalf("header of a certified block with %d trustees: %v", len(set), err)
		}
		if head.Block.Header.Hash() != c.Block.Hash() {
			t.Fatal("the header read is not the block's")
		}
	}
}
