package trustee

import (
	"errors"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/keys"
)

func genesisState(t *testing.T) *chain.State {
	t.Helper()
	st, err := chaintest.Config{Trustees: 4, Users: 3, Balance: 1000}.Genesis().State()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func transfer(st *chain.State, from int, nonce, amount uint64) *chain.Tx {
	return chain.NewTx(chaintest.UserKey(from), st.Params().ChainID, nonce, 1, &chain.Transfer{To: chaintest.UserKey(2).Address(), Amount: amount})
}

func TestMempoolAdd(t *testing.T) {
	type add struct {
		from    int
		nonce   uint64
		amount  uint64
		wantErr error
	}
	forged := func(st *chain.State) *chain.Tx {
		tx := transfer(st, 0, 0, 5)
		tx.Sig[0] ^= 1
		return tx
	}
	cases := []struct {
		name   string
		limits MempoolLimits
		adds   []add
		forge  bool
		count  int
	}{
		{name: "consecutive nonces", adds: []add{{0, 0, 5, nil}, {0, 1, 5, nil}, {0, 2, 5, nil}}, count: 3},
		{name: "nonce gap", adds: []add{{0, 0, 5, nil}, {0, 2, 5, ErrNonce}}, count: 1},
		{name: "used nonce", adds: []add{{0, 0, 5, nil}, {0, 0, 6, ErrNonce}}, count: 1},
		{name: "duplicate", adds: []add{{0, 0, 5, nil}, {0, 0, 5, ErrKnownTx}}, count: 1},
		{name: "future first nonce", adds: []add{{0, 1, 5, ErrNonce}}, count: 0},
		{name: "overspend", adds: []add{{0, 0, 600, nil}, {0, 1, 600, ErrInvalidTx}}, count: 1},
		{name: "unfunded sender", adds: []add{{5, 0, 1, ErrInvalidTx}}, count: 0},
		{name: "total cap", limits: MempoolLimits{MaxTxs: 2}, adds: []add{{0, 0, 5, nil}, {1, 0, 5, nil}, {0, 1, 5, ErrMempoolFull}}, count: 2},
		{name: "per-sender cap", limits: MempoolLimits{MaxPerSender: 2}, adds: []add{{0, 0, 5, nil}, {0, 1, 5, nil}, {0, 2, 5, ErrMempoolFull}, {1, 0, 5, nil}}, count: 3},
		{name: "byte cap", limits: MempoolLimits{MaxBytes: 200}, adds: []add{{0, 0, 5, nil}, {1, 0, 5, ErrMempoolFull}}, count: 1},
		{name: "bad signature", forge: true, count: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := genesisState(t)
			p := NewMempool(st, tc.limits)
			for i, a := range tc.adds {
				err := p.Add(transfer(st, a.from, a.nonce, a.amount))
				if !errors.Is(err, a.wantErr) || (a.wantErr == nil) != (err == nil) {
					t.Fatalf("add %d: got %v, want %v", i, err, a.wantErr)
				}
			}
			if tc.forge {
				if err := p.Add(forged(st)); !errors.Is(err, ErrInvalidTx) {
					t.Fatalf("forged signature: got %v", err)
				}
			}
			if p.Len() != tc.count {
				t.Fatalf("holds %d, want %d", p.Len(), tc.count)
			}
		})
	}
}

// TestMempoolPayloadAndUpdate checks that a payload keeps each sender's nonce order,
// respects the byte cap and that committing it empties the mempool.
func TestMempoolPayloadAndUpdate(t *testing.T) {
	st := genesisState(t)
	p := NewMempool(st, MempoolLimits{})
	for n := range uint64(3) {
		for _, from := range []int{1, 0} {
			if err := p.Add(transfer(st, from, n, 5)); err != nil {
				t.Fatal(err)
			}
		}
	}
	all := p.Payload(st, 1<<20)
	if len(all) != 6 {
		t.Fatalf("payload of %d, want 6", len(all))
	}
	next := map[keys.Address]uint64{}
	for _, tx := range all {
		if tx.Nonce != next[tx.Sender()] {
			t.Fatalf("sender %s: nonce %d, want %d", tx.Sender(), tx.Nonce, next[tx.Sender()])
		}
		next[tx.Sender()]++
	}
	// Sender 1 arrived first, so its transactions lead.
	if all[0].Sender() != chaintest.UserKey(1).Address() {
		t.Fatalf("first payload sender %s, want the first to arrive", all[0].Sender())
	}
	one := len(chain.EncodeTx(&all[0]))
	if got := p.Payload(st, 2*one); len(got) != 2 {
		t.Fatalf("payload under a cap of two transactions holds %d", len(got))
	}

	// Commit the first four: what was included goes, the rest stays in order.
	after := st
	for i := range 4 {
		var err error
		if after, err = chain.ApplyTx(after, &all[i]); err != nil {
			t.Fatal(err)
		}
	}
	p.Update(after)
	if p.Len() != 2 {
		t.Fatalf("after update holds %d, want 2", p.Len())
	}
	for _, tx := range all[:4] {
		if p.Has(tx.Hash()) {
			t.Fatalf("included transaction %s still held", tx.Hash().Short())
		}
	}
	if n := p.NextNonce(chaintest.UserKey(0).Address()); n != 3 {
		t.Fatalf("next nonce %d, want 3", n)
	}
	if n := p.NextNonce(chaintest.UserKey(2).Address()); n != 0 {
		t.Fatalf("next nonce of an idle sender %d, want 0", n)
	}
	if err := p.Add(transfer(st, 0, 3, 5)); err != nil {
		t.Fatalf("next nonce after update: %v", err)
	}
}

// TestEvidenceTxAdmitted checks that the Evidence transaction a trustee makes of an
// equivocation passes the mempool's edge check.
func TestEvidenceTxAdmitted(t *testing.T) {
	st := genesisState(t)
	p := NewMempool(st, MempoolLimits{})
	liar := chaintest.TrusteeKey(1)
	vote := func(b byte) chain.Vote {
		v := chain.Vote{Kind: chain.Prevote, ChainID: st.Params().ChainID, Epoch: 1, Block: chain.Hash{b}, Time: st.Meta().Time + 1}
		v.Sign(liar)
		return v
	}
	self := chaintest.TrusteeKey(0)
	tx := chain.NewTx(self, st.Params().ChainID, p.NextNonce(self.Address()), 0, &chain.Evidence{A: vote(1), B: vote(2)})
	if err := p.Add(tx); err != nil {
		t.Fatal(err)
	}
}

// TestMempoolUpdateUntouchedSenders commits a block that leaves one pending sender's
// account alone and credits another's: both queues stay whole and still make a payload
// that applies, and what the block spent is dropped.
func TestMempoolUpdateUntouchedSenders(t *testing.T) {
	st := genesisState(t)
	p := NewMempool(st, MempoolLimits{})
	for n := range uint64(2) {
		for _, from := range []int{0, 1} {
			if err := p.Add(transfer(st, from, n, 400)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The block: user 2 pays user 1 (whose account changes), and user 0 is left alone.
	pay := chain.NewTx(chaintest.UserKey(2), st.Params().ChainID, 0, 1, &chain.Transfer{To: chaintest.UserKey(1).Address(), Amount: 50})
	after, err := chain.ApplyTx(st, pay)
	if err != nil {
		t.Fatal(err)
	}
	p.Update(after)
	if p.Len() != 4 {
		t.Fatalf("after update holds %d, want 4", p.Len())
	}
	payload := p.Payload(after, 1<<20)
	if len(payload) != 4 {
		t.Fatalf("payload of %d after update, want 4", len(payload))
	}
	for i := range payload {
		if after, err = chain.ApplyTx(after, &payload[i]); err != nil {
			t.Fatalf("payload transaction %d: %v", i, err)
		}
	}
	// That block spends user 0's and user 1's first two: nothing is left.
	p.Update(after)
	if p.Len() != 0 {
		t.Fatalf("after the second update holds %d, want 0", p.Len())
	}
}

// TestMempoolAddBatch admits a batch as one Add after another would, a forged
// signature among them refused.
func TestMempoolAddBatch(t *testing.T) {
	st := genesisState(t)
	p := NewMempool(st, MempoolLimits{})
	forged := transfer(st, 1, 0, 5)
	forged.Sig[3] ^= 1
	batch := []*chain.Tx{transfer(st, 0, 0, 5), forged, transfer(st, 0, 1, 5), transfer(st, 0, 1, 5), transfer(st, 0, 3, 5)}
	errs := p.AddBatch(batch)
	for i, want := range []error{nil, ErrInvalidTx, nil, ErrKnownTx, ErrNonce} {
		if !errors.Is(errs[i], want) || (want == nil) != (errs[i] == nil) {
			t.Fatalf("transaction %d: got %v, want %v", i, errs[i], want)
		}
	}
	if p.Len() != 2 {
		t.Fatalf("holds %d, want 2", p.Len())
	}
}
