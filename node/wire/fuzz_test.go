package wire

import (
	"errors"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/wire/wiretest"
)

func FuzzDecodeStateRequest(f *testing.F) {
	f.Add(Encode(&StateRequest{Keys: []chain.Hash{chain.MarketKey(), chain.DealKey(chain.Hash{1})}}))
	f.Add(Encode(&StateRequest{}))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r StateRequest
		if err := Decode(data, &r, p2p.ProofRequestLimit); err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("decode error wraps no sentinel: %v", err)
			}
			return
		}
		if err := r.ValidateBasic(); err == nil && (len(r.Keys) == 0 || len(r.Keys) > MaxStateKeys) {
			t.Fatalf("accepted %d keys", len(r.Keys))
		}
	})
}

func FuzzDecodeStateResponse(f *testing.F) {
	f.Add(Encode(&StateResponse{Height: 3, Proofs: []chain.Proof{{Siblings: []chain.Hash{{1}}, Value: []byte("v")}}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r StateResponse
		if err := Decode(data, &r, p2p.ProofResponseLimit); err != nil && !errors.Is(err, ErrBadRequest) {
			t.Fatalf("decode error wraps no sentinel: %v", err)
		}
	})
}

// FuzzDecodeCertifiedBlock checks that any bytes off the blocks topic decode into a
// certified block that passes ValidateBasic only if its certificate is for it, or fail
// with ErrBadRequest; the header alone decodes wherever the whole does.
func FuzzDecodeCertifiedBlock(f *testing.F) {
	n, err := chaintest.New(chaintest.Config{Trustees: 4, Users: 4})
	if err != nil {
		f.Fatal(err)
	}
	c, err := n.Next(chaintest.Step{Transfers: 2, Tickets: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(Encode(&CertifiedBlock{Block: *c.Block, Cert: *c.Cert}))
	f.Add(Encode(&CertifiedBlock{Block: *c.Block, Cert: *c.Cert, Trustees: c.State.Registry().CertifiedBy}))
	f.Add(wiretest.BlockBloat(chain.Header{ChainID: chaintest.DefaultChainID, Epoch: 1}, 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		var cb CertifiedBlock
		if err := Decode(data, &cb, p2p.BlockTopicLimit); err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("decode error wraps no sentinel: %v", err)
			}
			return
		}
		var head CertifiedHead
		if err := Decode(data, &head, p2p.BlockTopicLimit); err != nil {
			t.Fatalf("the block decodes but its header does not: %v", err)
		}
		if head.Block.Header.Hash() != cb.Block.Hash() {
			t.Fatal("the header read is not the block's")
		}
		if cb.ValidateBasic() == nil && (cb.Cert.Block != cb.Block.Hash() || cb.Cert.Epoch != cb.Block.Header.Epoch) {
			t.Fatal("accepted a certificate of another block")
		}
	})
}

// FuzzDecodeRequest decodes any bytes as each service request and response under its
// protocol's limit: an error wraps ErrBadRequest, and a submission that passes
// ValidateBasic carries exactly one item.
func FuzzDecodeRequest(f *testing.F) {
	user := chaintest.UserKey(0)
	tx := chain.NewTx(user, chaintest.DefaultChainID, 0, 1, &chain.Transfer{To: chaintest.UserKey(1).Address(), Amount: 1})
	f.Add(Encode(&SyncRequest{Height: 7}))
	f.Add(Encode(&ProofRequest{Address: user.Address()}))
	f.Add(Encode(&ProofResponse{Height: 3, Proof: chain.Proof{Siblings: []chain.Hash{{1}}}}))
	f.Add(Encode(&SubmitRequest{Tx: tx}))
	f.Add(Encode(&SubmitRequest{}))
	f.Add(Encode(&SubmitResponse{Hash: tx.Hash()}))
	f.Add(Encode(&ClockRequest{}))
	f.Add(Encode(&ClockSample{Time: 1, Height: 2}))
	f.Add(Encode(&AdmitRequest{}))
	f.Add(Encode(&AdmitResponse{Reason: "full", Serving: 2, Limit: 2, Peers: []AdmitPeer{{ID: []byte(admitPeer), Addrs: [][]byte{admitAddr.Bytes()}}}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range []struct {
			v     any
			limit int
		}{
			{new(SyncRequest), p2p.SyncRequestLimit},
			{new(ProofRequest), p2p.ProofRequestLimit},
			{new(ProofResponse), p2p.ProofResponseLimit},
			{new(SubmitRequest), p2p.SubmitRequestLimit},
			{new(SubmitResponse), p2p.SubmitResponseLimit},
			{new(ClockRequest), p2p.ClockRequestLimit},
			{new(ClockSample), p2p.ClockResponseLimit},
			{new(AdmitRequest), p2p.AdmitRequestLimit},
			{new(AdmitResponse), p2p.AdmitResponseLimit},
		} {
			if err := Decode(data, c.v, c.limit); err != nil {
				if !errors.Is(err, ErrBadRequest) {
					t.Fatalf("%T: decode error wraps no sentinel: %v", c.v, err)
				}
				continue
			}
			if r, ok := c.v.(*AdmitResponse); ok && r.ValidateBasic() == nil {
				if !r.Admitted && r.Reason == "" || len(r.Peers) > p2p.MaxAdmitPeers || len(r.AddrInfos()) != len(r.Peers) {
					t.Fatal("accepted an admit response out of bounds")
				}
				for i, ai := range r.AddrInfos() {
					if len(ai.Addrs) != len(r.Peers[i].Addrs) {
						t.Fatal("an address that passed does not parse")
					}
				}
			}
			if r, ok := c.v.(*SubmitRequest); ok && r.ValidateBasic() == nil && (r.Tx == nil) == (r.KeyBlock == nil) {
				t.Fatal("accepted a submission of not exactly one item")
			}
		}
	})
}
