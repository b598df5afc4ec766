package chain

import (
	"errors"
	"math"
	"testing"

	"github.com/daolicloud/daoli/node/keys"
)

func TestTransferAndFees(t *testing.T) {
	n := newTestNet(t, 4, 3)
	a, b := n.users[0], n.users[1]
	n.step(nil, nil, n.tx(a, 10, &Transfer{To: b.Address(), Amount: 500}))
	if got := n.state.Account(a.Address()); got.Balance != testBalance-510 || got.Nonce != 1 {
		t.Fatalf("sender after transfer: %+v", got)
	}
	if got := n.state.Account(b.Address()).Balance; got != testBalance+500 {
		t.Fatalf("recipient balance %d", got)
	}
	// Epoch 1 has no LastCert, so its fee was burned.
	if n.state.meta.Burned != 10 {
		t.Fatalf("burned %d, want the unclaimed fee 10", n.state.meta.Burned)
	}
	// From epoch 2 on, fees go to the signers of the parent's certificate, equally;
	// the remainder of an uneven split is burned.
	rec := n.step(nil, nil, n.tx(a, 7, &Transfer{To: b.Address(), Amount: 1}))
	var fees uint64
	for _, c := range rec.Credits {
		if c.Source != SourceFees {
			t.Fatalf("unexpected credit %+v", c)
		}
		fees += c.Amount
	}
	if signers := len(n.blocks[1].LastCert.Sigs); fees != 7/uint64(signers)*uint64(signers) {
		t.Fatalf("fees paid %d to %d signers", fees, signers)
	}
	if rec.Burned != 7-fees {
		t.Fatalf("burned %d, want %d", rec.Burned, 7-fees)
	}
}

func TestRewardSplit(t *testing.T) {
	n := newTestNet(t, 4, 4)
	n.step(nil, nil) // epoch 1 has no certificate signers to pay
	w, p := n.tickets(n.users...)
	rec := n.step(w, p)
	bySource := map[Source]uint64{}
	for _, c := range rec.Credits {
		bySource[c.Source] += c.Amount
	}
	signers := uint64(len(n.blocks[1].LastCert.Sigs))
	want := map[Source]uint64{
		SourceWinner:  testReward * 4 / 10,
		SourceTrustee: testReward * 3 / 10 / signers * signers,
		SourcePayroll: testReward * 3 / 10 / 3 * 3,
	}
	for src, amt := range want {
		if bySource[src] != amt {
			t.Errorf("%s paid %d, want %d", src, bySource[src], amt)
		}
	}
	if rec.Minted != want[SourceWinner]+want[SourceTrustee]+want[SourcePayroll] {
		t.Errorf("minted %d", rec.Minted)
	}
	if got := n.state.Account(w.Payout).Balance; got != testBalance+testReward*4/10 {
		t.Errorf("winner balance %d", got)
	}
	// No ticket, no minting.
	if rec := n.step(nil, nil); rec.Minted != 0 {
		t.Errorf("minted %d in an epoch without a winner", rec.Minted)
	}
}

// TestTxRejections covers every way a transaction is refused.
func TestTxRejections(t *testing.T) {
	n := newTestNet(t, 4, 2)
	a, b := n.users[0], n.users[1]
	stranger := testKey("stranger", 0)
	ok := func() *Tx { return n.tx(a, 1, &Transfer{To: b.Address(), Amount: 5}) }
	resign := func(tx *Tx) *Tx { tx.Sign(a); return tx }
	tests := []struct {
		name string
		tx   func() *Tx
		want error
	}{
		{"bad signature", func() *Tx { tx := ok(); tx.Sig[0] ^= 1; return tx }, ErrBadSignature},
		{"signed by another key", func() *Tx { tx := ok(); tx.Sig = stranger.Sign(tx.SignBytes()); return tx }, ErrBadSignature},
		{"wrong chain ID", func() *Tx { tx := ok(); tx.ChainID = "other"; return resign(tx) }, ErrWrongChain},
		{"replayed nonce", func() *Tx { tx := ok(); tx.Nonce = 0; return resign(tx) }, ErrBadNonce},
		{"future nonce", func() *Tx { tx := ok(); tx.Nonce = 9; return resign(tx) }, ErrBadNonce},
		{"overspend", func() *Tx { return n.tx(a, 1, &Transfer{To: b.Address(), Amount: testBalance}) }, ErrInsufficient},
		{"fee overspend", func() *Tx { return n.tx(a, testBalance+1, &Transfer{To: b.Address(), Amount: 1}) }, ErrInsufficient},
		{"amount overflow", func() *Tx { return n.tx(a, 2, &Transfer{To: b.Address(), Amount: math.MaxUint64}) }, ErrOverflow},
		{"unknown kind", func() *Tx { tx := ok(); tx.Kind = 200; return resign(tx) }, ErrUnknownKind},
		{"kind zero", func() *Tx { tx := ok(); tx.Kind = 0; return resign(tx) }, ErrUnknownKind},
		{"body of another kind", func() *Tx { tx := ok(); tx.Kind = KindTrusteeBond; return resign(tx) }, ErrMalformed},
		{"zero amount", func() *Tx { return n.tx(a, 1, &Transfer{To: b.Address()}) }, ErrBadBody},
		{"garbage body", func() *Tx { tx := ok(); tx.Body = []byte{0xff}; return resign(tx) }, ErrMalformed},
		{"accept of an unknown deal", func() *Tx {
			return n.tx(a, 1, &DealAccept{Deal: Hash{1}, Price: 1, Deposit: DepositFactor})
		}, ErrNoDeal},
		{"bond below minimum", func() *Tx {
			return n.tx(a, 1, &TrusteeBond{Amount: testMinBond - 1, Addrs: []string{"/ip4/127.0.0.1/tcp/9"}})
		}, ErrBadAmount},
		{"bond with a bad address", func() *Tx {
			return n.tx(a, 1, &TrusteeBond{Amount: testMinBond, Addrs: []string{"not a multiaddr"}})
		}, ErrBadBody},
		{"bond twice", func() *Tx {
			return n.tx(n.trustees[0], 0, &TrusteeBond{Amount: testMinBond, Addrs: []string{"/ip4/127.0.0.1/tcp/9"}})
		}, ErrAlreadyTrustee},
		{"unbond by a non-trustee", func() *Tx { return n.tx(a, 1, &TrusteeUnbond{}) }, ErrNotTrustee},
	}
	n.step(nil, nil, ok()) // a has nonce 1 now, so "replayed" is real
	root := n.state.Root()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ApplyTx(n.state, tc.tx())
			if !errors.Is(err, tc.want) {
				t.Fatalf("ApplyTx: %v, want %v", err, tc.want)
			}
			// The same transaction inside a block makes the block invalid.
			p := n.proposal(nil, nil, tc.tx())
			if _, _, _, err := Propose(n.state, p); !errors.Is(err, tc.want) {
				t.Fatalf("Propose: %v, want %v", err, tc.want)
			}
			if n.state.Root() != root {
				t.Fatal("a rejected transaction changed the state")
			}
		})
	}
}

func TestTrusteeAlreadyBonded(t *testing.T) {
	n := newTestNet(t, 4, 1)
	u := n.users[0]
	bond := func() *Tx {
		return n.tx(u, 0, &TrusteeBond{Amount: testMinBond, Addrs: []string{"/ip4/127.0.0.1/tcp/9"}})
	}
	n.step(nil, nil, bond())
	if _, err := ApplyTx(n.state, bond()); !errors.Is(err, ErrAlreadyTrustee) {
		t.Fatalf("second bond: %v", err)
	}
}

// TestMembership walks a trustee through joining, serving, leaving and its bond's return.
func TestMembership(t *testing.T) {
	n := newTestNet(t, 4, 1)
	newbie := n.users[0]
	n.trustees = append(n.trustees, newbie)
	n.step(nil, nil, n.tx(newbie, 0, &TrusteeBond{Amount: testMinBond, Addrs: []string{"/ip4/10.0.0.5/udp/4001/quic-v1"}}))
	if len(n.state.reg.Active) != 4 {
		t.Fatal("bond took effect before the boundary")
	}
	for n.state.Epoch() < n.gen.Params.MembershipInterval {
		n.step(nil, nil)
	}
	act := n.state.reg.Active
	if len(act) != 5 || act[4].Key != newbie.Public() || act[4].Seniority != 4 {
		t.Fatalf("after the boundary the active set is %d long, last %v", len(act), act[len(act)-1].Key)
	}
	if h := n.blocks[len(n.blocks)-1].Header; h.NextTrusteeSetHash == h.TrusteeSetHash {
		t.Fatal("boundary block does not announce the new set")
	}
	// The next block must be certified by the new set: a certificate from the old four
	// alone is still a quorum of five (4 ≥ 3), but one signed by a stranger is not.
	n.step(nil, nil)

	// Leaving: marked now, out at the boundary, paid back UnbondDelay epochs later.
	before := n.state.Account(newbie.Address()).Balance
	n.step(nil, nil, n.tx(newbie, 0, &TrusteeUnbond{}))
	for n.state.Epoch()%n.gen.Params.MembershipInterval != 0 {
		n.step(nil, nil)
	}
	if len(n.state.reg.Active) != 4 || len(n.state.reg.Unbonding) != 1 {
		t.Fatalf("leaver still active (%d) or not unbonding (%d)", len(n.state.reg.Active), len(n.state.reg.Unbonding))
	}
	release := n.state.reg.Unbonding[0].Release
	for n.state.Epoch() < release {
		n.step(nil, nil)
	}
	if got := n.state.Account(newbie.Address()).Balance; got != before+testMinBond {
		t.Fatalf("bond not returned: balance %d, want %d", got, before+testMinBond)
	}
}

func TestLastTrusteeCannotLeave(t *testing.T) {
	n := newTestNet(t, 1, 0)
	if _, err := ApplyTx(n.state, n.tx(n.trustees[0], 0, &TrusteeUnbond{})); !errors.Is(err, ErrLastTrustee) {
		t.Fatalf("got %v", err)
	}
}

func TestEvidence(t *testing.T) {
	n := newTestNet(t, 4, 1)
	bad := n.trustees[2]
	vote := func(k *keys.Key, block Hash) Vote {
		v := Vote{Kind: Prevote, ChainID: testChain, Epoch: 7, Round: 1, Block: block}
		v.Sign(k)
		return v
	}
	reporter := n.users[0]
	good := &Evidence{A: vote(bad, Hash{1}), B: vote(bad, Hash{2})}
	tests := []struct {
		name string
		ev   *Evidence
		want error
	}{
		{"same block", &Evidence{A: vote(bad, Hash{1}), B: vote(bad, Hash{1})}, ErrBadBody},
		{"two trustees", &Evidence{A: vote(bad, Hash{1}), B: vote(n.trustees[1], Hash{2})}, ErrBadBody},
		{"bad signature", func() *Evidence { e := *good; e.B.Sig = append([]byte(nil), e.B.Sig...); e.B.Sig[3] ^= 1; return &e }(), ErrBadSignature},
		{"not a trustee", &Evidence{A: vote(reporter, Hash{1}), B: vote(reporter, Hash{2})}, ErrNotTrustee},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ApplyTx(n.state, n.tx(reporter, 0, tc.ev)); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	rec := n.step(nil, nil, n.tx(reporter, 0, good))
	if rec.Burned != testMinBond {
		t.Fatalf("burned %d, want the bond %d", rec.Burned, testMinBond)
	}
	if _, err := ApplyTx(n.state, n.tx(reporter, 0, good)); !errors.Is(err, ErrBadEvidence) {
		t.Fatalf("slashing twice: %v", err)
	}
	for n.state.Epoch()%n.gen.Params.MembershipInterval != 0 {
		n.step(nil, nil)
	}
	if trusteeIndex(n.state.reg.Active, bad.Public()) >= 0 {
		t.Fatal("slashed trustee still active after the boundary")
	}
}

// TestBlockRejections covers every way a block is refused.
func TestBlockRejections(t *testing.T) {
	n := newTestNet(t, 4, 4)
	n.step(nil, nil)
	n.step(nil, nil)
	w, p := n.tickets(n.users...)
	good, _, _ := n.propose(n.proposal(w, p))
	outsider := testKey("outsider", 0)
	// mutate returns a copy of good changed by fn, with the commitments refilled unless
	// the test is about them.
	mutate := func(fn func(*Proposal)) *Block {
		pr := n.proposal(w, p)
		fn(&pr)
		b, _, _, err := Propose(n.state, pr)
		if err != nil {
			return &Block{Header: Header{Epoch: 0xdead}} // Propose already refused it
		}
		return b
	}
	copyBlock := func() *Block { b, _ := DecodeBlock(EncodeBlock(good)); return b }
	certBy := func(ks ...*keys.Key) *Cert {
		var votes []*Vote
		for _, k := range ks {
			v := &Vote{Kind: Precommit, ChainID: testChain, Epoch: 2, Block: n.state.tip, Time: n.state.meta.Time + 1}
			v.Sign(k)
			votes = append(votes, v)
		}
		c, _ := NewCert(votes)
		return c
	}
	tests := []struct {
		name  string
		block func() *Block
	}{
		{"wrong epoch", func() *Block { b := copyBlock(); b.Header.Epoch++; return b }},
		{"wrong parent", func() *Block { b := copyBlock(); b.Header.Parent[0] ^= 1; return b }},
		{"wrong chain", func() *Block { b := copyBlock(); b.Header.ChainID = "other"; return b }},
		{"wrong state root", func() *Block { b := copyBlock(); b.Header.StateRoot[0] ^= 1; return b }},
		{"wrong next trustee set", func() *Block { b := copyBlock(); b.Header.NextTrusteeSetHash[0] ^= 1; return b }},
		{"wrong target", func() *Block { b := copyBlock(); b.Header.Target[5] ^= 1; return b }},
		{"payload root mismatch", func() *Block {
			b := copyBlock()
			b.Payload = append(b.Payload, *n.tx(n.users[0], 0, &Transfer{To: n.users[1].Address(), Amount: 1}))
			return b
		}},
		{"payroll dropped", func() *Block { b := copyBlock(); b.Payroll = b.Payroll[1:]; return b }},
		{"no certificate", func() *Block { return mutate(func(p *Proposal) { p.LastCert = nil }) }},
		{"certificate below quorum", func() *Block { return mutate(func(p *Proposal) { p.LastCert = certBy(n.trustees[0], n.trustees[1]) }) }},
		{"certificate from non-trustees", func() *Block {
			return mutate(func(p *Proposal) { p.LastCert = certBy(n.trustees[0], n.trustees[1], outsider) })
		}},
		{"certificate for another block", func() *Block {
			return mutate(func(p *Proposal) { c := *n.lastCert; c.Block[0] ^= 1; p.LastCert = &c })
		}},
		{"certificate with a bad signature", func() *Block {
			return mutate(func(p *Proposal) {
				c := *n.lastCert
				c.Sigs = append([]CertSig(nil), c.Sigs...)
				c.Sigs[0].Sig = append([]byte(nil), c.Sigs[0].Sig...)
				c.Sigs[0].Sig[0] ^= 1
				p.LastCert = &c
			})
		}},
		{"time copied from another certificate", func() *Block {
			b := copyBlock()
			b.Header.Time++
			return b
		}},
		{"reordered payroll", func() *Block {
			return mutate(func(p *Proposal) { p.Payroll = []KeyBlock{p.Payroll[1], p.Payroll[0], p.Payroll[2]} })
		}},
		{"winner swapped into payroll", func() *Block {
			return mutate(func(p *Proposal) {
				w0 := *p.Winner
				p.Winner = &p.Payroll[0]
				p.Payroll = []KeyBlock{w0, p.Payroll[1], p.Payroll[2]}
			})
		}},
		{"payroll without winner", func() *Block { return mutate(func(p *Proposal) { p.Winner = nil; p.Tickets = 0 }) }},
		{"payroll over P", func() *Block {
			return mutate(func(p *Proposal) { p.Payroll = append(p.Payroll, p.Payroll[2]); p.Tickets = 9 })
		}},
		{"two tickets from one miner", func() *Block {
			return mutate(func(p *Proposal) { p.Payroll = []KeyBlock{p.Payroll[0], p.Payroll[0]} })
		}},
		{"ticket with a bad signature", func() *Block {
			return mutate(func(p *Proposal) { kb := *p.Winner; kb.Payout[0] ^= 1; p.Winner = &kb })
		}},
		{"ticket of another epoch", func() *Block {
			return mutate(func(p *Proposal) { kb, _ := mineTicket(n.users[0], n.state, 9); p.Winner = kb; p.Payroll = nil })
		}},
		{"ticket with a bad VRF proof", func() *Block {
			return mutate(func(p *Proposal) {
				kb := *p.Winner
				kb.VRFProof = append([]byte(nil), kb.VRFProof...)
				kb.VRFProof[40] ^= 1
				kb.Sign(userByKey(n, kb.Miner))
				p.Winner, p.Payroll = &kb, nil
			})
		}},
		{"ticket with work above target", func() *Block {
			return mutate(func(p *Proposal) {
				kb := *p.Winner
				for kb.Nonce = 0; ; kb.Nonce++ {
					l, _ := keys.VRFVerify(kb.Miner, LuckSeed(testChain, kb.Epoch, kb.Parent), kb.VRFProof)
					if !Admitted(Work(WorkPrefix(testChain, kb.Epoch, kb.Parent, kb.Miner, l), kb.Nonce), n.state.meta.Target) {
						break
					}
				}
				kb.Sign(userByKey(n, kb.Miner))
				p.Winner, p.Payroll = &kb, nil
			})
		}},
	}
	root := n.state.Root()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := Apply(n.state, tc.block()); err == nil {
				t.Fatal("block accepted")
			}
			if n.state.Root() != root {
				t.Fatal("a rejected block changed the state")
			}
		})
	}
	if _, _, err := Apply(n.state, good); err != nil {
		t.Fatalf("the unmodified block is refused: %v", err)
	}
	// The header's count is the epoch's admitted count, which node/ibft checks against
	// the reports: it may be below the tickets the block pays (the quorum's trustees saw
	// fewer than the union of their reports holds) or above zero without a winner (every
	// ticket came from a key that made two), and the next target follows it.
	for _, tc := range []struct {
		name string
		edit func(p *Proposal)
	}{
		{"fewer tickets counted than paid", func(p *Proposal) { p.Tickets = 1 }},
		{"tickets counted without a winner", func(p *Proposal) { p.Winner, p.Payroll, p.Tickets = nil, nil, 3 }},
		{"many tickets counted", func(p *Proposal) { p.Tickets = 10_000 }},
	} {
		var count uint32
		st, _, err := Apply(n.state, mutate(func(p *Proposal) { tc.edit(p); count = p.Tickets }))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if want := Retarget(n.state.meta.Target, count, n.state.params.KStar); st.meta.Target != want {
			t.Fatalf("%s: next target %s, want %s", tc.name, st.meta.Target.Short(), want.Short())
		}
	}
}

func userByKey(n *testNet, pub keys.PublicKey) *keys.Key {
	for _, k := range n.users {
		if k.Public() == pub {
			return k
		}
	}
	panic("no such user")
}

func TestTimeMustAdvance(t *testing.T) {
	n := newTestNet(t, 4, 0)
	n.step(nil, nil)
	b, _, _ := n.propose(n.proposal(nil, nil))
	// Certify epoch 2 with timestamps before epoch 2's own time.
	var votes []*Vote
	for _, k := range n.trustees {
		v := &Vote{Kind: Precommit, ChainID: testChain, Epoch: 2, Block: b.Hash(), Time: b.Header.Time - 5}
		v.Sign(k)
		votes = append(votes, v)
	}
	st, _, err := Apply(n.state, b)
	if err != nil {
		t.Fatal(err)
	}
	n.state = st
	n.lastCert, _ = NewCert(votes)
	if _, _, _, err := Propose(n.state, n.proposal(nil, nil)); !errors.Is(err, ErrBadBlock) {
		t.Fatalf("time going backwards accepted: %v", err)
	}
}
