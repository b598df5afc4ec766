package luck

import (
	"errors"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
)

func TestVerify(t *testing.T) {
	l := testLottery()
	k := testKey("miner", 0)
	other := testKey("miner", 1)
	good := mine(k, l)

	// resign returns a copy of the good ticket changed by f and signed again by k, so
	// only the change is wrong.
	resign := func(f func(kb *chain.KeyBlock)) *chain.KeyBlock {
		kb := *good.KeyBlock
		kb.VRFProof = append([]byte(nil), kb.VRFProof...)
		f(&kb)
		kb.Sign(k)
		return &kb
	}
	changed := func(f func(kb *chain.KeyBlock)) *chain.KeyBlock {
		kb := *good.KeyBlock
		kb.Sig = append([]byte(nil), kb.Sig...)
		f(&kb)
		return &kb
	}
	aboveTarget := resign(func(kb *chain.KeyBlock) {
		prefix := chain.WorkPrefix(l.ChainID, l.Epoch, l.Parent, kb.Miner, good.Luck[:])
		for kb.Nonce = 0; chain.Admitted(chain.Work(prefix, kb.Nonce), l.Target); kb.Nonce++ {
		}
	})
	otherEpoch, otherParent, otherChain := l, l, l
	otherEpoch.Epoch++
	otherParent.Parent[0] ^= 1
	otherChain.ChainID = "daoli-other"

	for _, tc := range []struct {
		name string
		kb   *chain.KeyBlock
		want error // nil: valid
	}{
		{"valid", good.KeyBlock, nil},
		{"wrong chain", mine(k, otherChain).KeyBlock, ErrWrongChain},
		{"wrong epoch", mine(k, otherEpoch).KeyBlock, ErrWrongEpoch},
		{"wrong parent", mine(k, otherParent).KeyBlock, ErrWrongParent},
		{"signature flipped", changed(func(kb *chain.KeyBlock) { kb.Sig[5] ^= 1 }), ErrBadSignature},
		{"signature missing", changed(func(kb *chain.KeyBlock) { kb.Sig = nil }), ErrBadSignature},
		{"signed by another key", changed(func(kb *chain.KeyBlock) { kb.Sign(other) }), ErrBadSignature},
		{"nonce changed after signing", changed(func(kb *chain.KeyBlock) { kb.Nonce++ }), ErrBadSignature},
		{"payout changed after signing", changed(func(kb *chain.KeyBlock) { kb.Payout[0] ^= 1 }), ErrBadSignature},
		{"VRF proof flipped", resign(func(kb *chain.KeyBlock) { kb.VRFProof[40] ^= 1 }), ErrBadVRF},
		{"VRF proof truncated", resign(func(kb *chain.KeyBlock) { kb.VRFProof = kb.VRFProof[:60] }), ErrBadVRF},
		{"VRF proof of another epoch", resign(func(kb *chain.KeyBlock) {
			kb.VRFProof, _ = k.VRFProve(chain.LuckSeed(l.ChainID, l.Epoch+1, l.Parent))
		}), ErrBadVRF},
		{"VRF proof of another key", resign(func(kb *chain.KeyBlock) {
			kb.VRFProof, _ = other.VRFProve(chain.LuckSeed(l.ChainID, l.Epoch, l.Parent))
		}), ErrBadVRF},
		{"work above target", aboveTarget, ErrAboveTarget},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := l.Verify(tc.kb)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("valid ticket refused: %v", err)
				}
				if got.Luck != good.Luck || got.Hash != tc.kb.Hash() || got.KeyBlock != tc.kb {
					t.Fatal("ticket does not carry the KeyBlock's luck and hash")
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			// Invalid tickets say so; one for another epoch may be honest.
			if invalid := tc.want != ErrWrongEpoch; errors.Is(err, chain.ErrBadKeyBlock) != invalid {
				t.Fatalf("err = %v: wraps %v is %v, want %v", err, chain.ErrBadKeyBlock, !invalid, invalid)
			}
			// The encoded form fails the same way.
			if _, err := l.Decode(chain.EncodeKeyBlock(tc.kb)); !errors.Is(err, tc.want) {
				t.Fatalf("Decode: err = %v, want %v", err, tc.want)
			}
		})
	}
}

// The chain's own check agrees with the lottery on every ticket the miner makes.
func TestVerifyAgreesWithChain(t *testing.T) {
	l := testLottery()
	for i := range 8 {
		tk := mine(testKey("miner", i), l)
		luck, err := tk.KeyBlock.Verify(l.ChainID, l.Epoch, l.Parent, l.Target)
		if err != nil || luck != tk.Luck {
			t.Fatalf("chain.Verify: %v, luck equal %v", err, luck == tk.Luck)
		}
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	l := testLottery()
	enc := chain.EncodeKeyBlock(mine(testKey("miner", 0), l).KeyBlock)
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, chain.ErrMalformed},
		{"truncated", enc[:len(enc)-1], chain.ErrMalformed},
		{"trailing byte", append(append([]byte(nil), enc...), 0), chain.ErrMalformed},
		{"too large", make([]byte, chain.MaxKeyBlockSize+1), chain.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := l.Decode(tc.data); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSealWithAnotherKeyPanics(t *testing.T) {
	d := NewDraft(testKey("miner", 0), testLottery(), keys.Address{})
	defer func() {
		if recover() == nil {
			t.Fatal("Seal with another key did not panic")
		}
	}()
	d.Seal(testKey("miner", 1), 0)
}

func TestCompare(t *testing.T) {
	a := Ticket{Luck: chain.Luck{1}, Hash: chain.Hash{9}}
	b := Ticket{Luck: chain.Luck{2}, Hash: chain.Hash{0}}
	c := Ticket{Luck: chain.Luck{1}, Hash: chain.Hash{8}}
	for _, tc := range []struct {
		name string
		x, y Ticket
		want int
	}{
		{"luck first", a, b, -1},
		{"luck first, reversed", b, a, 1},
		{"tie broken by hash", c, a, -1},
		{"equal", a, a, 0},
	} {
		if got := Compare(tc.x, tc.y); got != tc.want {
			t.Errorf("%s: Compare = %d, want %d", tc.name, got, tc.want)
		}
	}
}
