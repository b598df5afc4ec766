package chain

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/bits"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/keys"
)

// The fuzz targets feed every decoder arbitrary bytes. Whatever comes in, a decoder
// returns an error that wraps one of the package's sentinels or a value that encodes
// back to exactly the input, and what is done next with a decoded value (validation,
// verification, Apply) never panics. Seeds are valid encodings from a small test chain
// and a few corruptions of them.

// fuzzChain is a test chain three blocks long whose last block has every part: a
// winner, a payroll, a payload of several kinds and the parent's certificate.
type fuzzChain struct {
	net    *testNet
	parent *State // the state the last block applies to
	block  *Block // the last block
	txs    []*Tx  // the last block's payload and a few more of every kind
	ticket *KeyBlock
	votes  []*Vote
}

func newFuzzChain(tb testing.TB) *fuzzChain {
	tb.Helper()
	n := newTestNet(tb, 4, 4)
	u := n.users
	n.step(nil, nil, n.tx(u[0], 3, &Transfer{To: u[1].Address(), Amount: 10, Memo: "rent"}))
	n.step(nil, nil, n.tx(u[2], 0, &TrusteeBond{Amount: testMinBond, Addrs: []string{"/ip4/10.0.0.7/tcp/4001"}}))
	fc := &fuzzChain{net: n, parent: n.state}
	w, p := n.tickets(u...)
	fc.ticket = w
	bad := n.trustees[3]
	vote := func(block Hash) Vote {
		v := Vote{Kind: Prevote, ChainID: testChain, Epoch: 2, Round: 1, Block: block, Time: 77}
		v.Sign(bad)
		return v
	}
	ev := &Evidence{A: vote(Hash{1}), B: vote(Hash{2})}
	fc.votes = []*Vote{&ev.A, &ev.B}
	payload := []*Tx{
		n.tx(u[0], 2, &Transfer{To: u[3].Address(), Amount: 99}),
		n.tx(u[1], 1, ev),
		n.tx(u[2], 0, &TrusteeUnbond{}),
	}
	b, _, _ := n.propose(n.proposal(w, p, payload...))
	n.commit(b)
	fc.block = b
	fc.txs = append(payload, marketTxs(u[3])...)
	return fc
}

// marketTxs has one valid transaction of every compute-market kind.
func marketTxs(k *keys.Key) []*Tx {
	bodies := []Body{
		&ProviderRegister{Spec: ProviderSpec{CPUModel: "x86", Cores: 8, MemoryMiB: 16384, GPUs: []string{"gpu0"}, Score: 9, MaxWallTimeMs: 60_000}, Executors: []string{"wasm"}, Price: 3},
		&DealOpen{Module: Hash{1}, Input: Hash{2}, InputTree: true, Args: []string{"-n", "3"}, Env: []string{"LANG=C"}, Limits: DealLimits{MemoryMiB: 64, WallTimeMs: 1000, OutputMax: 1 << 20, OutputFiles: 100}, MaxPrice: 50, BuyerDeposit: 5, Deadline: 9, Mediators: []keys.PublicKey{k.Public()}},
		&DealOpen{Module: Hash{5}, Limits: DealLimits{MemoryMiB: 64, WallTimeMs: 1000, OutputMax: 1 << 20, OutputFiles: 4}, MaxPrice: 50, Deadline: 9, Executor: ExecutorWebGPU},
		&DealAccept{Deal: Hash{3}, Deposit: 5},
		&ResultPost{Deal: Hash{3}, Output: Hash{4}, Status: StatusOK},
		&ResultAccept{Deal: Hash{3}},
		&ResultReject{Deal: Hash{3}, Reason: "wrong output"},
		&Verdict{Deal: Hash{3}, Output: Hash{4}, ProviderAtFault: true},
		&DealTimeout{Deal: Hash{3}},
	}
	var out []*Tx
	for i, b := range bodies {
		out = append(out, NewTx(k, testChain, uint64(i), 1, b))
	}
	return out
}

// corruptions returns a few damaged copies of a valid encoding: truncated, with a byte
// flipped in the middle, with a byte appended, and with its first byte changed.
func corruptions(b []byte) [][]byte {
	flip := bytes.Clone(b)
	flip[len(flip)/2] ^= 0x40
	head := bytes.Clone(b)
	head[0] ^= 0x01
	return [][]byte{b[:len(b)-1], b[:len(b)/2], flip, append(bytes.Clone(b), 0), head}
}

func addSeeds(f *testing.F, valid ...[]byte) {
	for _, v := range valid {
		f.Add(v)
		for _, c := range corruptions(v) {
			f.Add(c)
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0xf6})       // null
	f.Add([]byte{0x80})       // empty array
	f.Add([]byte{0x9f, 0xff}) // indefinite-length array
}

// wantErr fails unless err wraps one of the decoding sentinels or one of extra.
func wantErr(t *testing.T, what string, err error, extra ...error) {
	t.Helper()
	for _, s := range append([]error{ErrTooLarge, ErrMalformed, ErrNonCanonical}, extra...) {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("%s: error wraps no sentinel: %v", what, err)
}

func wantRoundTrip(t *testing.T, what string, data, again []byte) {
	t.Helper()
	if !bytes.Equal(data, again) {
		t.Fatalf("%s decodes but encodes differently:\n in  %x\n out %x", what, data, again)
	}
}

func FuzzDecodeBlock(f *testing.F) {
	fc := newFuzzChain(f)
	var seeds [][]byte
	for _, b := range fc.net.blocks {
		seeds = append(seeds, EncodeBlock(b))
	}
	seeds = append(seeds, EncodeBlock(fc.net.gen.Block(fc.parent)))
	addSeeds(f, seeds...)
	root := fc.parent.Root()
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := DecodeBlock(data)
		if err != nil {
			wantErr(t, "DecodeBlock", err)
			return
		}
		wantRoundTrip(t, "block", data, EncodeBlock(b))
		if h, err := DecodeHeader(EncodeHeader(&b.Header)); err != nil || h.Hash() != b.Hash() {
			t.Fatalf("header of a decoded block does not round-trip: %v", err)
		}
		_ = b.CheckBody()
		st, _, err := Apply(fc.parent, b)
		if err == nil && (st.Root() != b.Header.StateRoot || st.Tip() != b.Hash()) {
			t.Fatal("Apply accepted a block whose commitments it does not reach")
		}
		if fc.parent.Root() != root {
			t.Fatal("Apply changed its parent state")
		}
	})
}

func FuzzDecodeHeader(f *testing.F) {
	fc := newFuzzChain(f)
	addSeeds(f, EncodeHeader(&fc.block.Header), EncodeHeader(&fc.net.gen.Block(fc.parent).Header))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := DecodeHeader(data)
		if err != nil {
			wantErr(t, "DecodeHeader", err)
			return
		}
		wantRoundTrip(t, "header", data, EncodeHeader(h))
	})
}

func FuzzDecodeTx(f *testing.F) {
	fc := newFuzzChain(f)
	var seeds [][]byte
	for _, tx := range fc.txs {
		seeds = append(seeds, EncodeTx(tx))
	}
	other := *fc.txs[0]
	other.ChainID = "daoli-other"
	other.Sign(fc.net.users[0])
	unknown := *fc.txs[0]
	unknown.Kind = kindEnd
	seeds = append(seeds, EncodeTx(&other), EncodeTx(&unknown))
	addSeeds(f, seeds...)
	st := fc.net.state
	root := st.Root()
	f.Fuzz(func(t *testing.T, data []byte) {
		tx, err := DecodeTx(data)
		if err != nil {
			wantErr(t, "DecodeTx", err)
			return
		}
		wantRoundTrip(t, "tx", data, EncodeTx(tx))
		body, err := tx.DecodeBody()
		if err != nil {
			wantErr(t, "DecodeBody", err, ErrUnknownKind, ErrBadBody)
		} else {
			if body.Kind() != tx.Kind {
				t.Fatalf("body of kind %s in a %s transaction", body.Kind(), tx.Kind)
			}
			wantRoundTrip(t, "body", tx.Body, encode(body))
		}
		if _, err := tx.ValidateBasic(testChain); err != nil {
			wantErr(t, "ValidateBasic", err, ErrUnknownKind, ErrBadBody, ErrWrongChain, ErrBadSignature)
		}
		if _, err := ApplyTx(st, tx); err != nil {
			wantErr(t, "ApplyTx", err, ErrUnknownKind, ErrBadBody, ErrWrongChain, ErrBadSignature,
				ErrBadNonce, ErrInsufficient, ErrOverflow, ErrBadAmount,
				ErrNotTrustee, ErrAlreadyTrustee, ErrBadEvidence, ErrLastTrustee,
				ErrNoDeal, ErrDealPhase, ErrNotParty, ErrDealWindow, ErrMarketFull)
		}
		if st.Root() != root {
			t.Fatal("ApplyTx changed its state")
		}
	})
}

func FuzzDecodeKeyBlock(f *testing.F) {
	fc := newFuzzChain(f)
	var seeds [][]byte
	for _, kb := range append([]KeyBlock{*fc.block.Winner}, fc.block.Payroll...) {
		seeds = append(seeds, EncodeKeyBlock(&kb))
	}
	addSeeds(f, seeds...)
	// Verify against the epoch, parent and target the seeds were mined for, so valid
	// tickets reach the VRF and work checks.
	h := fc.block.Header
	f.Fuzz(func(t *testing.T, data []byte) {
		kb, err := DecodeKeyBlock(data)
		if err != nil {
			wantErr(t, "DecodeKeyBlock", err)
			return
		}
		wantRoundTrip(t, "KeyBlock", data, EncodeKeyBlock(kb))
		l, err := kb.Verify(testChain, h.Epoch, h.Parent, h.Target)
		if err != nil {
			if !errors.Is(err, ErrBadKeyBlock) {
				t.Fatalf("Verify: error wraps no sentinel: %v", err)
			}
			return
		}
		// An admitted ticket's luck is its VRF output, whatever its nonce.
		beta, err := keys.VRFVerify(kb.Miner, LuckSeed(testChain, h.Epoch, h.Parent), kb.VRFProof)
		if err != nil || !bytes.Equal(beta, l[:]) {
			t.Fatalf("luck %x is not the VRF output %x (%v)", l[:4], beta, err)
		}
	})
}

func FuzzDecodeGenesis(f *testing.F) {
	fc := newFuzzChain(f)
	valid, err := EncodeGenesis(fc.net.gen)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	for _, c := range corruptions(valid) {
		f.Add(c)
	}
	f.Add(bytes.Replace(valid, []byte(`"payroll"`), []byte(`"payrol"`), 1))
	f.Add(bytes.Replace(valid, []byte(`"delta_ms": 500`), []byte(`"delta_ms": 18446744073709551000`), 1))
	f.Add(bytes.Replace(valid, []byte(`"2026-`), []byte(`"2300-`), 1))
	f.Add(append(bytes.Clone(valid), "{}"...))
	f.Add(append(bytes.Clone(valid), '}'))
	f.Add(append(bytes.Clone(valid), ']'))
	f.Add([]byte(`{"chain_id":"x","time":"2026-01-01T00:00:00Z","params":{"cycle_ms":1,"phi_ms":1,"delta_ms":1}}`))
	f.Add([]byte(`null`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := DecodeGenesis(data)
		if err != nil {
			if !errors.Is(err, ErrBadGenesis) {
				t.Fatalf("DecodeGenesis: error wraps no sentinel: %v", err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatal("accepted input that is not one JSON value")
		}
		p := g.Params
		if sum, carry := bits.Add64(p.PhiMs, p.DeltaMs, 0); carry != 0 || sum > p.CycleMs {
			t.Fatalf("accepted phi %d + delta %d over cycle %d", p.PhiMs, p.DeltaMs, p.CycleMs)
		}
		// JSON has many spellings of one genesis; what must hold is that the written
		// form reads back as the same chain and writes the same again.
		st, err := g.State()
		if err != nil {
			t.Fatalf("valid genesis builds no state: %v", err)
		}
		if !time.Unix(0, st.Params().GenesisTime).Equal(g.Time) {
			t.Fatalf("genesis time %v does not fit the chain's clock", g.Time)
		}
		out, err := EncodeGenesis(g)
		if err != nil {
			t.Fatalf("valid genesis does not encode: %v", err)
		}
		g2, err := DecodeGenesis(out)
		if err != nil {
			t.Fatalf("encoded genesis does not decode: %v\n%s", err, out)
		}
		out2, err := EncodeGenesis(g2)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("genesis encoding is not stable (%v)", err)
		}
		st2, err := g2.State()
		if err != nil || st2.Root() != st.Root() || st2.Tip() != st.Tip() {
			t.Fatalf("re-read genesis is another chain (%v)", err)
		}
		checkSupply(t, st)
	})
}

func FuzzDecodeVote(f *testing.F) {
	fc := newFuzzChain(f)
	precommit := fc.block.LastCert.Precommit(testChain, fc.block.LastCert.Sigs[0])
	nilVote := &Vote{Kind: Prevote, ChainID: testChain, Epoch: 3}
	nilVote.Sign(fc.net.trustees[0])
	addSeeds(f, EncodeVote(fc.votes[0]), EncodeVote(fc.votes[1]), EncodeVote(precommit), EncodeVote(nilVote))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeVote(data)
		if err != nil {
			wantErr(t, "DecodeVote", err, ErrBadVote)
			return
		}
		wantRoundTrip(t, "vote", data, EncodeVote(v))
		if err := v.VerifySig(); err != nil && !errors.Is(err, ErrBadVote) {
			t.Fatalf("VerifySig: error wraps no sentinel: %v", err)
		}
	})
}

func FuzzDecodeCert(f *testing.F) {
	fc := newFuzzChain(f)
	addSeeds(f, EncodeCert(fc.block.LastCert), EncodeCert(fc.net.lastCert))
	// The certificate of the last block, checked against the set that signed it.
	set := fc.parent.Active()
	h := fc.block.Header
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeCert(data)
		if err != nil {
			wantErr(t, "DecodeCert", err)
			return
		}
		wantRoundTrip(t, "certificate", data, EncodeCert(c))
		_ = c.MedianTime()
		_ = c.Signers()
		if err := c.Verify(testChain, h.Epoch, h.Hash(), set); err != nil && !errors.Is(err, ErrBadCert) {
			t.Fatalf("Verify: error wraps no sentinel: %v", err)
		}
	})
}

func FuzzDecodeProof(f *testing.F) {
	fc := newFuzzChain(f)
	st := fc.net.state
	present := fc.net.users[0].Address()
	absent := testKey("nobody", 0).Address()
	var seeds [][]byte
	for _, a := range []keys.Address{present, absent, fc.net.trustees[0].Address()} {
		_, p := st.ProveAccount(a)
		seeds = append(seeds, EncodeProof(&p))
	}
	reg := st.Prove(RegistryKey())
	seeds = append(seeds, EncodeProof(&reg), EncodeProof(&Proof{}))
	addSeeds(f, seeds...)
	root := st.Root()
	probe := []Hash{AccountKey(present), AccountKey(absent), RegistryKey(), keyMeta, {}}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodeProof(data)
		if err != nil {
			wantErr(t, "DecodeProof", err)
			return
		}
		wantRoundTrip(t, "proof", data, EncodeProof(p))
		// Soundness: whatever a proof claims and verifies is the truth of the state.
		for _, k := range probe {
			v, err := VerifyProof(root, k, p)
			if err != nil {
				if !errors.Is(err, ErrBadProof) {
					t.Fatalf("VerifyProof: error wraps no sentinel: %v", err)
				}
				continue
			}
			if want, _ := smtGet(st.root, k); !bytes.Equal(v, want) {
				t.Fatalf("proof verifies value %x for key %s, the state holds %x", v, k.Short(), want)
			}
		}
		for _, a := range []keys.Address{present, absent} {
			acct, err := VerifyAccount(root, a, p)
			if err != nil {
				wantErr(t, "VerifyAccount", err, ErrBadProof)
				continue
			}
			if acct != st.Account(a) {
				t.Fatalf("proof verifies account %+v, the state holds %+v", acct, st.Account(a))
			}
		}
	})
}

func FuzzDecodeTrusteeSet(f *testing.F) {
	fc := newFuzzChain(f)
	addSeeds(f, EncodeTrusteeSet(fc.parent.Active()), EncodeTrusteeSet(nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := DecodeTrusteeSet(data)
		if err != nil {
			wantErr(t, "DecodeTrusteeSet", err)
			return
		}
		wantRoundTrip(t, "trustee set", data, EncodeTrusteeSet(set))
	})
}
