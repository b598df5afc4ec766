package luck

import (
	"bytes"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/chain"
)

// clone copies a pool so each fuzz input starts from the same state without paying
// for its verifications again.
func (p *Pool) clone() *Pool {
	return &Pool{lottery: p.lottery, window: p.window, tickets: maps.Clone(p.tickets), equivocators: maps.Clone(p.equivocators)}
}

// FuzzKeyBlock feeds arbitrary bytes, received at an arbitrary moment, to a pool that
// already holds one ticket: decoding, verification and admission must never panic,
// must agree with each other, and must keep the pool's rules.
func FuzzKeyBlock(f *testing.F) {
	l := testLottery()
	k0, k1 := testKey("miner", 0), testKey("miner", 1)
	held := mine(k0, l)
	base, err := NewPool(l, testWindow(f, l.Epoch, time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	if _, err := base.Add(held.KeyBlock, time.Hour); err != nil {
		f.Fatal(err)
	}
	window := base.Window()

	wrongEpoch := l
	wrongEpoch.Epoch++
	seeds := [][]byte{
		chain.EncodeKeyBlock(held.KeyBlock),
		chain.EncodeKeyBlock(mineFrom(k0, l, held.KeyBlock.Nonce+1).KeyBlock), // equivocation
		chain.EncodeKeyBlock(mine(k1, l).KeyBlock),
		chain.EncodeKeyBlock(mine(k1, wrongEpoch).KeyBlock),
		{}, {0x80}, {0x88}, {0xff},
	}
	for _, s := range seeds {
		f.Add(s, int64(0))
		f.Add(s, int64(testDCC.Phi+testDCC.Delta)+1)
	}

	known := []error{
		chain.ErrTooLarge, chain.ErrMalformed, chain.ErrNonCanonical,
		ErrWrongChain, ErrWrongEpoch, ErrWrongParent, ErrBadSignature, ErrBadVRF, ErrAboveTarget,
		ErrTooLate, ErrDuplicate, ErrEquivocation,
	}
	f.Fuzz(func(t *testing.T, data []byte, age int64) {
		now := window.Start() + time.Duration(age)
		p := base.clone()
		tk, err := p.AddEncoded(data, now)

		kb, decErr := chain.DecodeKeyBlock(data)
		if decErr == nil && !bytes.Equal(chain.EncodeKeyBlock(kb), data) {
			t.Fatal("decoded KeyBlock does not re-encode to its input")
		}
		if err != nil {
			isKnown := false
			for _, k := range known {
				isKnown = isKnown || errors.Is(err, k)
			}
			if !isKnown {
				t.Fatalf("unclassified error: %v", err)
			}
			if decErr == nil && kb.Miner != held.KeyBlock.Miner && p.Len() != 1 {
				t.Fatal("a refused ticket changed the pool")
			}
			if errors.Is(err, ErrEquivocation) && (p.Len() != 0 || len(p.Equivocations()) != 1) {
				t.Fatal("equivocation did not drop the key")
			}
			return
		}
		// Admitted: it decodes, verifies on its own, is on time, is new, and is held.
		if decErr != nil {
			t.Fatalf("admitted bytes that do not decode: %v", decErr)
		}
		again, verr := l.Verify(kb)
		if verr != nil || again.Luck != tk.Luck || again.Hash != tk.Hash || tk.Hash != kb.Hash() {
			t.Fatalf("admitted ticket does not verify alone: %v", verr)
		}
		if !window.MayAdmit(now) {
			t.Fatal("admitted after the window")
		}
		if kb.Miner == held.KeyBlock.Miner || p.Len() != 2 {
			t.Fatalf("admitted a second ticket of a held key, or pool has %d tickets", p.Len())
		}
		if _, err := p.Add(kb, now); !errors.Is(err, ErrDuplicate) {
			t.Fatalf("re-adding an admitted ticket: %v", err)
		}
	})
}
