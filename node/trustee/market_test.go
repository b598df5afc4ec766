package trustee

import (
	"errors"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
)

func FuzzDecodeStateRequest(f *testing.F) {
	f.Add(Encode(&StateRequest{Keys: []chain.Hash{chain.MarketKey(), chain.DealKey(chain.Hash{1})}}))
	f.Add(Encode(&StateRequest{}))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r StateRequest
		if err := Decode(data, &r, proofRequestLimit); err != nil {
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
		if err := Decode(data, &r, proofResponseLimit); err != nil && !errors.Is(err, ErrBadRequest) {
			t.Fatalf("decode error wraps no sentinel: %v", err)
		}
	})
}
