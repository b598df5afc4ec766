package chain

import (
	"errors"
	"testing"

	"github.com/daolicloud/daoli/node/keys"
)

// TestApplyWithCache applies blocks with a signature cache: the results are Apply's,
// a cache filled by earlier checks spares none of the rules, and a bad signature is
// refused whatever the cache holds.
func TestApplyWithCache(t *testing.T) {
	n := newTestNet(t, 4, 6)
	n.step(nil, nil)
	c := keys.NewSigCache(256)
	w, p := n.tickets(n.users[:3]...)
	tx1 := n.tx(n.users[3], 2, &Transfer{To: n.users[4].Address(), Amount: 7})
	tx2 := n.tx(n.users[4], 1, &Transfer{To: n.users[5].Address(), Amount: 9})
	// The mempool's view: each transaction checked on its own, filling the cache.
	for _, tx := range []*Tx{tx1, tx2} {
		st, err := CheckTx(n.state, tx, c)
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := ApplyTx(n.state, tx)
		if err != nil || st.Root() != sealed.Root() {
			t.Fatalf("CheckTx and ApplyTx disagree: %v", err)
		}
	}
	for _, kb := range append([]KeyBlock{*w}, p...) {
		if _, err := kb.VerifyWith(testChain, n.state.Epoch()+1, n.state.Tip(), n.state.Meta().Target, c); err != nil {
			t.Fatal(err)
		}
	}
	b, _, _ := n.propose(n.proposal(w, p, tx1, tx2))
	want, wantRec, err := Apply(n.state, b)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		got, rec, err := ApplyWith(n.state, b, c)
		if err != nil {
			t.Fatal(err)
		}
		if got.Root() != want.Root() || got.Tip() != want.Tip() || len(rec.Txs) != len(wantRec.Txs) || rec.Minted != wantRec.Minted {
			t.Fatal("ApplyWith gave another result than Apply")
		}
	}

	// A transfer whose signature was altered: known-good ones in the cache do not let
	// it through, at the mempool or in a block.
	bad := *tx2
	bad.Sig = append([]byte(nil), tx2.Sig...)
	bad.Sig[9] ^= 1
	if _, err := CheckTx(n.state, &bad, c); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("CheckTx of a bad signature: %v", err)
	}
	bb, _, _, err := Propose(n.state, n.proposal(w, p, tx1))
	if err != nil {
		t.Fatal(err)
	}
	bb.Payload = append(bb.Payload, bad)
	bb.Header.PayloadRoot = PayloadRoot(bb.Payload)
	if _, _, err := ApplyWith(n.state, bb, c); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("ApplyWith of a block with a bad signature: %v", err)
	}

	// So does a certificate with one altered signature.
	n.commit(b)
	cert := *n.lastCert
	cert.Sigs = append([]CertSig(nil), cert.Sigs...)
	good := cert.Sigs[0].Sig
	if err := cert.VerifyWith(testChain, b.Header.Epoch, b.Hash(), n.state.reg.CertifiedBy, c); err != nil {
		t.Fatal(err)
	}
	cert.Sigs[0].Sig = append([]byte(nil), good...)
	cert.Sigs[0].Sig[3] ^= 1
	if err := cert.VerifyWith(testChain, b.Header.Epoch, b.Hash(), n.state.reg.CertifiedBy, c); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("certificate with an altered signature: %v", err)
	}
}
