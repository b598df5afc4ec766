package wire

import (
	"errors"
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

// TestCheckAnswer checks that a sync answer is taken only when it is the block asked
// for with its own certificate.
func TestCheckAnswer(t *testing.T) {
	n, err := chaintest.New(chaintest.Config{Trustees: 4, Users: 4})
	if err != nil {
		t.Fatal(err)
	}
	c1, err := n.Next(chaintest.Step{Transfers: 1})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := n.Next(chaintest.Step{Transfers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		ask  uint64
		cb   CertifiedBlock
		ok   bool
	}{
		{"the block asked for", 1, CertifiedBlock{Block: *c1.Block, Cert: *c1.Cert}, true},
		{"another height", 2, CertifiedBlock{Block: *c1.Block, Cert: *c1.Cert}, false},
		{"another block's certificate", 1, CertifiedBlock{Block: *c1.Block, Cert: *c2.Cert}, false},
	} {
		err := (&SyncRequest{Height: c.ask}).CheckAnswer(&c.cb)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrBadRequest)) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
