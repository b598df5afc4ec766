package chain

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/keys"
)

// TestGenesisValidate breaks every rule of Genesis.Validate once.
func TestGenesisValidate(t *testing.T) {
	var trustees, users []*keys.Key
	for i := range 4 {
		trustees = append(trustees, testKey("trustee", i))
	}
	for i := range 2 {
		users = append(users, testKey("user", i))
	}
	if err := testGenesis(trustees, users).Validate(); err != nil {
		t.Fatalf("the base genesis is invalid: %v", err)
	}
	tests := []struct {
		name string
		edit func(g *Genesis)
	}{
		{"empty chain ID", func(g *Genesis) { g.ChainID = "" }},
		{"chain ID too long", func(g *Genesis) { g.ChainID = strings.Repeat("a", MaxChainID+1) }},
		{"chain ID with capitals", func(g *Genesis) { g.ChainID = "Daoli" }},
		{"chain ID with a space", func(g *Genesis) { g.ChainID = "daoli test" }},
		{"chain ID with a slash", func(g *Genesis) { g.ChainID = "daoli/test" }},
		{"chain ID not ASCII", func(g *Genesis) { g.ChainID = "daolí" }},
		{"zero time", func(g *Genesis) { g.Time = time.Time{} }},
		{"time before 2000", func(g *Genesis) { g.Time = time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC) }},
		{"time past int64 nanoseconds", func(g *Genesis) { g.Time = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"time after the last genesis year", func(g *Genesis) { g.Time = time.Date(MaxGenesisYear+1, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"zero cycle", func(g *Genesis) { g.Params.CycleMs = 0 }},
		{"zero phi", func(g *Genesis) { g.Params.PhiMs = 0 }},
		{"zero delta", func(g *Genesis) { g.Params.DeltaMs = 0 }},
		{"cycle over a day", func(g *Genesis) {
			g.Params.CycleMs, g.Params.PhiMs, g.Params.DeltaMs = 24*3600*1000+1, 1000, 500
		}},
		{"phi over cycle", func(g *Genesis) { g.Params.PhiMs = g.Params.CycleMs + 1 }},
		{"phi plus delta over cycle", func(g *Genesis) { g.Params.DeltaMs = g.Params.CycleMs - g.Params.PhiMs + 1 }},
		{"phi plus delta overflows", func(g *Genesis) { g.Params.DeltaMs = math.MaxUint64 - g.Params.PhiMs + 1 }},
		{"zero K*", func(g *Genesis) { g.Params.KStar = 0 }},
		{"payroll over the limit", func(g *Genesis) { g.Params.Payroll = MaxPayroll + 1 }},
		{"reward too large", func(g *Genesis) { g.Params.Reward = math.MaxUint64/10 + 1 }},
		{"zero minimum bond", func(g *Genesis) { g.Params.MinBond = 0 }},
		{"zero membership interval", func(g *Genesis) { g.Params.MembershipInterval = 0 }},
		{"zero max trustees", func(g *Genesis) { g.Params.MaxTrustees = 0 }},
		{"max trustees over the cap", func(g *Genesis) { g.Params.MaxTrustees = MaxTrusteesCap + 1 }},
		{"zero initial target", func(g *Genesis) { g.Params.InitialTarget = Hash{} }},
		{"too many accounts", func(g *Genesis) { g.Accounts = make([]GenesisAccount, MaxGenesisAccounts+1) }},
		{"no trustees", func(g *Genesis) { g.Trustees = nil }},
		{"more trustees than max trustees", func(g *Genesis) { g.Params.MaxTrustees = 3 }},
		{"account listed twice", func(g *Genesis) { g.Accounts = append(g.Accounts, g.Accounts[0]) }},
		{"zero balance", func(g *Genesis) { g.Accounts[1].Balance = 0 }},
		{"balances overflow", func(g *Genesis) { g.Accounts[0].Balance = math.MaxUint64 }},
		{"bonds overflow the supply", func(g *Genesis) {
			g.Accounts[0].Balance = math.MaxUint64 - testBalance - 3*testMinBond
		}},
		{"trustee listed twice", func(g *Genesis) { g.Trustees[2].Key = g.Trustees[1].Key }},
		{"bond below the minimum", func(g *Genesis) { g.Trustees[3].Bond = testMinBond - 1 }},
		{"trustee without addresses", func(g *Genesis) { g.Trustees[0].Addrs = nil }},
		{"trustee with too many addresses", func(g *Genesis) {
			for range MaxAddrs {
				g.Trustees[0].Addrs = append(g.Trustees[0].Addrs, "/ip4/10.0.0.1/tcp/1")
			}
		}},
		{"trustee address not a multiaddr", func(g *Genesis) { g.Trustees[0].Addrs = []string{"127.0.0.1:4001"} }},
		{"trustee address too long", func(g *Genesis) {
			g.Trustees[0].Addrs = []string{"/dns4/" + strings.Repeat("a", MaxAddrLen) + "/tcp/1"}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := testGenesis(trustees, users)
			tc.edit(g)
			if err := g.Validate(); !errors.Is(err, ErrBadGenesis) {
				t.Fatalf("Validate: %v, want %v", err, ErrBadGenesis)
			}
			if _, err := g.State(); !errors.Is(err, ErrBadGenesis) {
				t.Fatalf("State: %v, want %v", err, ErrBadGenesis)
			}
			// What JSON can carry must be refused when read from a file as well (but
			// 100,001 accounts are not worth the encoding).
			if data, err := EncodeGenesis(g); err == nil && len(g.Accounts) < 100 {
				if _, err := DecodeGenesis(data); !errors.Is(err, ErrBadGenesis) {
					t.Fatalf("DecodeGenesis: %v, want %v", err, ErrBadGenesis)
				}
			}
		})
	}
}

func TestDecodeGenesis(t *testing.T) {
	n := newTestNet(t, 2, 2)
	valid, err := EncodeGenesis(n.gen)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string) []byte {
		if !bytes.Contains(valid, []byte(old)) {
			t.Fatalf("the encoded genesis has no %q", old)
		}
		return bytes.Replace(valid, []byte(old), []byte(new), 1)
	}
	cat := func(tail string) []byte { return append(bytes.Clone(valid), tail...) }
	tests := []struct {
		name string
		data []byte
		want error // nil: accepted
	}{
		{"as written", valid, nil},
		{"trailing white space", cat("\n\t \n"), nil},
		{"unknown top-level field", edit(`"chain_id"`, `"chainid": "x", "chain_id"`), ErrBadGenesis},
		{"misspelt parameter", edit(`"payroll"`, `"payrol"`), ErrBadGenesis},
		{"chain ID inside params", edit(`"cycle_ms"`, `"ChainID": "x", "cycle_ms"`), ErrBadGenesis},
		{"second object", cat("{}"), ErrBadGenesis},
		{"stray closing brace", cat("}"), ErrBadGenesis},
		{"stray closing bracket", cat("]"), ErrBadGenesis},
		{"trailing text", cat("x"), ErrBadGenesis},
		{"truncated", valid[:len(valid)/2], ErrBadGenesis},
		{"negative amount", edit(`"reward": 1000`, `"reward": -1`), ErrBadGenesis},
		{"amount over 64 bits", edit(`"reward": 1000`, `"reward": 18446744073709551616`), ErrBadGenesis},
		{"target not hex", edit(`"initial_target": "0f`, `"initial_target": "zz`), ErrBadGenesis},
		{"time not RFC 3339", edit(`"time": "2026-01-01T00:00:00Z"`, `"time": "1 Jan 2026"`), ErrBadGenesis},
		{"null", []byte("null"), ErrBadGenesis},
		{"empty", nil, ErrBadGenesis},
		{"too large", bytes.Repeat([]byte(" "), MaxGenesisSize+1), ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := DecodeGenesis(tc.data)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				st, err := g.State()
				if err != nil || st.Root() != n.state.Root() {
					t.Fatalf("decoded genesis is another chain (%v)", err)
				}
				return
			}
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrBadGenesis) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// equivocation returns two signed votes of k that conflict, after edit changes them.
func equivocation(k *keys.Key, edit func(a, b *Vote)) *Evidence {
	ev := &Evidence{
		A: Vote{Kind: Prevote, ChainID: testChain, Epoch: 3, Round: 0, Block: Hash{1}, Time: 10},
		B: Vote{Kind: Prevote, ChainID: testChain, Epoch: 3, Round: 0, Block: Hash{2}, Time: 11},
	}
	edit(&ev.A, &ev.B)
	ev.A.Sign(k)
	ev.B.Sign(k)
	return ev
}

// TestEvidenceRules covers the evidence rules TestEvidence leaves out.
func TestEvidenceRules(t *testing.T) {
	n := newTestNet(t, 4, 1)
	bad, reporter := n.trustees[1], n.users[0]
	tests := []struct {
		name string
		ev   *Evidence
		want error // nil: the trustee is slashed
	}{
		{"prevotes", equivocation(bad, func(a, b *Vote) {}), nil},
		{"precommits", equivocation(bad, func(a, b *Vote) { a.Kind, b.Kind = Precommit, Precommit }), nil},
		{"a nil vote and a block", equivocation(bad, func(a, b *Vote) { a.Block = Hash{} }), nil},
		{"wrong chain", equivocation(bad, func(a, b *Vote) { a.ChainID, b.ChainID = "daoli-other", "daoli-other" }), ErrWrongChain},
		{"chains differ", equivocation(bad, func(a, b *Vote) { b.ChainID = "daoli-other" }), ErrBadBody},
		{"epochs differ", equivocation(bad, func(a, b *Vote) { b.Epoch++ }), ErrBadBody},
		{"rounds differ", equivocation(bad, func(a, b *Vote) { b.Round++ }), ErrBadBody},
		{"kinds differ", equivocation(bad, func(a, b *Vote) { b.Kind = Precommit }), ErrBadBody},
		{"unknown vote kind", equivocation(bad, func(a, b *Vote) { a.Kind, b.Kind = 3, 3 }), ErrBadBody},
		{"first signature bad", func() *Evidence {
			ev := equivocation(bad, func(a, b *Vote) {})
			ev.A.Sig = bytes.Clone(ev.A.Sig)
			ev.A.Sig[0] ^= 1
			return ev
		}(), ErrBadSignature},
		{"first vote signed by another trustee", func() *Evidence {
			ev := equivocation(bad, func(a, b *Vote) {})
			ev.A.Sig = n.trustees[0].Sign(ev.A.SignBytes())
			return ev
		}(), ErrBadSignature},
		{"signature missing", func() *Evidence {
			ev := equivocation(bad, func(a, b *Vote) {})
			ev.B.Sig = nil
			return ev
		}(), ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := ApplyTx(n.state, n.tx(reporter, 1, tc.ev))
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("valid evidence refused: %v", err)
			}
			if i := trusteeIndex(st.reg.Bonded, bad.Public()); !st.reg.Bonded[i].Slashed || st.reg.Bonded[i].Bond != 0 {
				t.Fatalf("trustee not slashed: %+v", st.reg.Bonded[i])
			}
		})
	}
}

// TestSlashLeavingTrustee slashes trustees that already asked to leave: one still
// leaving, one whose bond is unbonding. Both bonds burn and neither is paid back.
func TestSlashLeavingTrustee(t *testing.T) {
	n := newTestNet(t, 5, 1)
	reporter := n.users[0]
	unbonding, leaving := n.trustees[4], n.trustees[3]
	n.step(nil, nil, n.tx(unbonding, 0, &TrusteeUnbond{}))
	for n.state.Epoch() < n.gen.Params.MembershipInterval {
		n.step(nil, nil)
	}
	if len(n.state.reg.Unbonding) != 1 || n.state.reg.Unbonding[0].Key != unbonding.Public() {
		t.Fatalf("unbonding: %+v", n.state.reg.Unbonding)
	}
	rec := n.step(nil, nil,
		n.tx(leaving, 0, &TrusteeUnbond{}),
		n.tx(reporter, 0, equivocation(unbonding, func(a, b *Vote) {})))
	if rec.Burned != testMinBond || len(n.state.reg.Unbonding) != 0 {
		t.Fatalf("unbonding bond not burned: burned %d, unbonding %+v", rec.Burned, n.state.reg.Unbonding)
	}
	if _, err := ApplyTx(n.state, n.tx(reporter, 0, equivocation(unbonding, func(a, b *Vote) {}))); !errors.Is(err, ErrNotTrustee) {
		t.Fatalf("slashing a burned bond again: %v", err)
	}
	rec = n.step(nil, nil, n.tx(reporter, 0, equivocation(leaving, func(a, b *Vote) {})))
	if rec.Burned != testMinBond {
		t.Fatalf("leaving trustee's bond not burned: %d", rec.Burned)
	}
	// Through the next boundary and past every release epoch: nothing comes back.
	for n.state.Epoch() < 3*n.gen.Params.MembershipInterval {
		for _, c := range n.step(nil, nil).Credits {
			if c.Source == SourceBondReturn {
				t.Fatalf("epoch %d paid back a slashed bond: %+v", n.state.Epoch(), c)
			}
		}
	}
	for _, k := range []*keys.Key{unbonding, leaving} {
		if trusteeIndex(n.state.reg.Bonded, k.Public()) >= 0 || unbondingIndex(n.state.reg.Unbonding, k.Public()) >= 0 {
			t.Fatal("slashed trustee still registered")
		}
		if b := n.state.Account(k.Address()).Balance; b != 0 {
			t.Fatalf("slashed trustee holds %d", b)
		}
	}
}

// TestBondRelease checks the epoch a bond comes back in: the boundary that starts the
// unbonding plus the delay, and never the boundary block itself. A delay that would
// overflow the epoch counter means never, not at once.
func TestBondRelease(t *testing.T) {
	for _, tc := range []struct {
		delay, paidAt uint64
	}{{0, 6}, {1, 6}, {3, 8}, {7, 12}, {math.MaxUint64, math.MaxUint64}} {
		t.Run(fmt.Sprintf("delay %d", tc.delay), func(t *testing.T) {
			n := newTestNetWith(t, 4, 0, func(g *Genesis) { g.Params.UnbondDelay = tc.delay })
			leaver := n.trustees[3]
			n.step(nil, nil, n.tx(leaver, 0, &TrusteeUnbond{}))
			for n.state.Epoch() < min(tc.paidAt, 12)+2 {
				rec := n.step(nil, nil)
				var paid uint64
				for _, c := range rec.Credits {
					if c.Source == SourceBondReturn && c.To == leaver.Address() {
						paid += c.Amount
					}
				}
				e := n.state.Epoch()
				switch {
				case e == tc.paidAt && paid != testMinBond:
					t.Fatalf("epoch %d: paid %d, want the bond", e, paid)
				case e != tc.paidAt && paid != 0:
					t.Fatalf("epoch %d: paid %d, want it at epoch %d", e, paid, tc.paidAt)
				}
				want := uint64(0)
				if e >= tc.paidAt {
					want = testMinBond
				}
				if got := n.state.Account(leaver.Address()).Balance; got != want {
					t.Fatalf("epoch %d: balance %d, want %d", e, got, want)
				}
			}
		})
	}
}

// TestMaxTrustees fills the active set to its cap: the most senior bonded trustees
// serve, the others wait, and a waiting one moves up when a place frees.
func TestMaxTrustees(t *testing.T) {
	n := newTestNetWith(t, 4, 3, func(g *Genesis) { g.Params.MaxTrustees = 5 })
	n.trustees = append(n.trustees, n.users...)
	addr := []string{"/ip4/10.0.0.9/tcp/4001"}
	var bonds []*Tx
	for _, u := range n.users {
		bonds = append(bonds, n.tx(u, 0, &TrusteeBond{Amount: testMinBond, Addrs: addr}))
	}
	n.step(nil, nil, bonds...)
	for n.state.Epoch() < n.gen.Params.MembershipInterval {
		n.step(nil, nil)
	}
	activeAre := func(want ...*keys.Key) {
		t.Helper()
		act := n.state.reg.Active
		if len(act) != len(want) {
			t.Fatalf("epoch %d: %d active, want %d", n.state.Epoch(), len(act), len(want))
		}
		for i, k := range want {
			if act[i].Key != k.Public() {
				t.Fatalf("epoch %d: active[%d] is not the expected trustee", n.state.Epoch(), i)
			}
		}
	}
	tr, u := n.trustees, n.users
	activeAre(tr[0], tr[1], tr[2], tr[3], u[0])
	if len(n.state.reg.Bonded) != 7 {
		t.Fatalf("%d bonded, want 7", len(n.state.reg.Bonded))
	}

	// A waiting trustee is bonded but does not certify.
	b, _, _ := n.propose(n.proposal(nil, nil))
	st, _, err := Apply(n.state, b)
	if err != nil {
		t.Fatal(err)
	}
	waiting := n.certify(b, []*keys.Key{tr[0], tr[1], tr[2], u[1]})
	next := n.proposal(nil, nil)
	next.LastCert = waiting
	if _, _, _, err := Propose(st, next); !errors.Is(err, ErrBadCert) {
		t.Fatalf("certificate with a waiting trustee: %v", err)
	}

	n.step(nil, nil, n.tx(tr[1], 0, &TrusteeUnbond{}))
	for n.state.Epoch()%n.gen.Params.MembershipInterval != 0 {
		n.step(nil, nil)
	}
	activeAre(tr[0], tr[2], tr[3], u[0], u[1])
}

// TestLastStayingTrustee: leaving and slashed trustees do not count as staying.
func TestLastStayingTrustee(t *testing.T) {
	n := newTestNet(t, 3, 1)
	n.step(nil, nil,
		n.tx(n.trustees[0], 0, &TrusteeUnbond{}),
		n.tx(n.users[0], 0, equivocation(n.trustees[1], func(a, b *Vote) {})))
	if _, err := ApplyTx(n.state, n.tx(n.trustees[2], 0, &TrusteeUnbond{})); !errors.Is(err, ErrLastTrustee) {
		t.Fatalf("last staying trustee leaves: %v", err)
	}
}

// TestMembershipTxRejections refuses bonds and unbonds that the registry does not allow.
func TestMembershipTxRejections(t *testing.T) {
	n := newTestNet(t, 5, 1)
	u := n.users[0]
	unbonding, leaving, slashed := n.trustees[4], n.trustees[3], n.trustees[2]
	addr := []string{"/ip4/10.0.0.9/tcp/4001"}
	n.step(nil, nil, n.tx(unbonding, 0, &TrusteeUnbond{}))
	for n.state.Epoch() < n.gen.Params.MembershipInterval {
		n.step(nil, nil)
	}
	n.step(nil, nil, n.tx(leaving, 0, &TrusteeUnbond{}), n.tx(u, 0, equivocation(slashed, func(a, b *Vote) {})))
	tooMany := make([]string, MaxAddrs+1)
	for i := range tooMany {
		tooMany[i] = addr[0]
	}
	tests := []struct {
		name string
		tx   *Tx
		want error
	}{
		{"bond while unbonding", n.tx(unbonding, 0, &TrusteeBond{Amount: testMinBond, Addrs: addr}), ErrAlreadyTrustee},
		{"bond while leaving", n.tx(leaving, 0, &TrusteeBond{Amount: testMinBond, Addrs: addr}), ErrAlreadyTrustee},
		{"bond while slashed", n.tx(slashed, 0, &TrusteeBond{Amount: testMinBond, Addrs: addr}), ErrAlreadyTrustee},
		{"unbond twice", n.tx(leaving, 0, &TrusteeUnbond{}), ErrNotTrustee},
		{"unbond while slashed", n.tx(slashed, 0, &TrusteeUnbond{}), ErrNotTrustee},
		{"unbond while unbonding", n.tx(unbonding, 0, &TrusteeUnbond{}), ErrNotTrustee},
		{"unbond without the fee", n.tx(n.trustees[0], 1, &TrusteeUnbond{}), ErrInsufficient},
		{"bond over the balance left after the fee", n.tx(u, 1, &TrusteeBond{Amount: testBalance, Addrs: addr}), ErrInsufficient},
		{"zero bond", n.tx(u, 0, &TrusteeBond{Addrs: addr}), ErrBadBody},
		{"bond without addresses", n.tx(u, 0, &TrusteeBond{Amount: testMinBond}), ErrBadBody},
		{"bond with too many addresses", n.tx(u, 0, &TrusteeBond{Amount: testMinBond, Addrs: tooMany}), ErrBadBody},
		{"transfer memo too long", n.tx(u, 0, &Transfer{To: u.Address(), Amount: 1, Memo: strings.Repeat("m", MaxMemo+1)}), ErrBadBody},
		{"transfer memo not UTF-8", n.tx(u, 0, &Transfer{To: u.Address(), Amount: 1, Memo: "\xff"}), ErrMalformed},
	}
	root := n.state.Root()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ApplyTx(n.state, tc.tx); !errors.Is(err, tc.want) {
				t.Fatalf("ApplyTx: %v, want %v", err, tc.want)
			}
			if _, _, _, err := Propose(n.state, n.proposal(nil, nil, tc.tx)); !errors.Is(err, tc.want) {
				t.Fatalf("Propose: %v, want %v", err, tc.want)
			}
			if n.state.Root() != root {
				t.Fatal("a rejected transaction changed the state")
			}
		})
	}
}

// TestFeeSumOverflow: the fees of a block are summed with an overflow check. Valid
// transactions cannot reach it (fees come out of balances, which the supply bounds),
// so the guard is exercised directly.
func TestFeeSumOverflow(t *testing.T) {
	n := newTestNet(t, 1, 0)
	b := &Block{Payload: []Tx{{Fee: math.MaxUint64}, {Fee: 1}}}
	if err := payRewards(n.state.child(), b, &Receipts{}); !errors.Is(err, ErrOverflow) {
		t.Fatalf("got %v, want %v", err, ErrOverflow)
	}
}

// TestFeesNearSupplyLimit spends almost the whole 64-bit supply on fees in one block.
func TestFeesNearSupplyLimit(t *testing.T) {
	const half = uint64(1) << 63
	rest := math.MaxUint64 - half - 4*testMinBond
	n := newTestNetWith(t, 4, 2, func(g *Genesis) {
		g.Accounts[0].Balance, g.Accounts[1].Balance = half, rest
	})
	a, b := n.users[0], n.users[1]
	n.step(nil, nil)
	rec := n.step(nil, nil,
		n.tx(a, half-1, &Transfer{To: b.Address(), Amount: 1}),
		n.tx(b, rest, &Transfer{To: a.Address(), Amount: 1}))
	fees := half - 1 + rest
	var paid uint64
	for _, c := range rec.Credits {
		if c.Source == SourceFees {
			paid += c.Amount
		}
	}
	if paid != fees/4*4 || rec.Burned != fees-paid {
		t.Fatalf("fees %d: paid %d, burned %d", fees, paid, rec.Burned)
	}
	if got := n.state.Account(a.Address()).Balance + n.state.Account(b.Address()).Balance; got != 1 {
		t.Fatalf("senders hold %d, want the 1 that a received last", got)
	}
}

// TestRewardNearSupplyLimit: a block mints only when the whole reward fits in 64 bits.
func TestRewardNearSupplyLimit(t *testing.T) {
	const winnerShare, trusteeShare = testReward * 4 / 10, testReward * 3 / 10
	for _, tc := range []struct {
		room   uint64 // MaxUint64 − genesis supply
		minted uint64
	}{
		{0, 0},
		{1, 0},
		{testReward - 1, 0},
		{testReward, winnerShare + trusteeShare},
		{10 * testReward, winnerShare + trusteeShare},
	} {
		t.Run(fmt.Sprintf("room %d", tc.room), func(t *testing.T) {
			n := newTestNetWith(t, 4, 1, func(g *Genesis) {
				g.Accounts[0].Balance = math.MaxUint64 - 4*testMinBond - tc.room
			})
			miner := n.users[0]
			n.step(nil, nil)
			before := n.state.Account(miner.Address()).Balance
			w, p := n.tickets(miner)
			rec := n.step(w, p)
			if rec.Minted != tc.minted || n.state.meta.Minted != tc.minted {
				t.Fatalf("minted %d (meta %d), want %d", rec.Minted, n.state.meta.Minted, tc.minted)
			}
			if got := n.state.Account(miner.Address()).Balance - before; tc.minted > 0 && got != winnerShare {
				t.Fatalf("winner got %d", got)
			}
		})
	}
}

// TestMoreBlockRejections covers the block rules TestBlockRejections leaves out.
func TestMoreBlockRejections(t *testing.T) {
	n := newTestNet(t, 4, 1)
	genesis := n.state
	other := newTestNet(t, 4, 1)
	other.step(nil, nil)
	tests := []struct {
		name  string
		state func() *State
		edit  func(p *Proposal)
		want  error
	}{
		{"first block with a certificate", func() *State { return genesis }, func(p *Proposal) { p.LastCert = other.lastCert }, ErrBadBlock},
		{"first block not at genesis time", func() *State { return genesis }, func(p *Proposal) { p.Time++ }, ErrBadBlock},
		{"empty certificate", func() *State { n.step(nil, nil); return n.state }, func(p *Proposal) {
			p.LastCert = &Cert{Epoch: 1, Block: n.state.Tip()}
		}, ErrBadCert},
		{"certificate of an older epoch", func() *State { n.step(nil, nil); return n.state }, func(p *Proposal) {
			c := *n.lastCert
			c.Epoch--
			p.LastCert = &c
		}, ErrBadCert},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.state()
			root := st.Root()
			p := n.proposal(nil, nil)
			tc.edit(&p)
			if _, _, _, err := Propose(st, p); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if st.Root() != root {
				t.Fatal("a rejected block changed the state")
			}
		})
	}

	// The header's trustee set must be the state's, even when all else is consistent.
	b, _, _ := n.propose(n.proposal(nil, nil))
	b.Header.TrusteeSetHash[0] ^= 1
	if _, _, err := Apply(n.state, b); !errors.Is(err, ErrBadBlock) {
		t.Fatalf("wrong trustee set hash: %v", err)
	}
}

// TestMedianTime pins the lower median and the empty certificate.
func TestMedianTime(t *testing.T) {
	for _, tc := range []struct {
		times []int64
		want  int64
	}{
		{nil, 0},
		{[]int64{5}, 5},
		{[]int64{9, 1}, 1},
		{[]int64{3, 1, 2}, 2},
		{[]int64{4, 1, 3, 2}, 2},
		{[]int64{math.MinInt64, 7, math.MaxInt64}, 7},
	} {
		c := &Cert{}
		for _, ts := range tc.times {
			c.Sigs = append(c.Sigs, CertSig{Time: ts})
		}
		if got := c.MedianTime(); got != tc.want {
			t.Errorf("MedianTime(%v) = %d, want %d", tc.times, got, tc.want)
		}
	}
}

// TestSizeLimits: the largest valid object of each type fits its decoder's limit.
func TestSizeLimits(t *testing.T) {
	chainID := strings.Repeat("c", MaxChainID)
	var pub keys.PublicKey
	var addr keys.Address
	sig := bytes.Repeat([]byte{0xff}, keys.SignatureSize)
	full := Hash{0xff}
	vote := Vote{Kind: Precommit, ChainID: chainID, Epoch: math.MaxUint64, Round: math.MaxUint32, Block: full, Time: math.MinInt64, Trustee: pub, Sig: sig}
	cert := &Cert{Epoch: math.MaxUint64, Round: math.MaxUint32, Block: full}
	for i := range MaxTrusteesCap {
		var k keys.PublicKey
		k[0], k[1] = byte(i>>8), byte(i)
		cert.Sigs = append(cert.Sigs, CertSig{Trustee: k, Time: math.MinInt64, Sig: sig})
	}
	addrs := make([]string, MaxAddrs)
	for i := range addrs {
		addrs[i] = "/dns4/" + strings.Repeat("a", MaxAddrLen-len("/dns4//tcp/65535")) + "/tcp/65535"
	}
	txOf := func(b Body) *Tx {
		return &Tx{ChainID: chainID, From: pub, Nonce: math.MaxUint64, Fee: math.MaxUint64, Kind: b.Kind(), Body: encode(b), Sig: sig}
	}
	tests := []struct {
		name   string
		data   []byte
		limit  int
		decode func([]byte) error
	}{
		{"vote", EncodeVote(&vote), MaxVoteSize, func(b []byte) error { _, err := DecodeVote(b); return err }},
		{"certificate of the largest set", EncodeCert(cert), MaxCertSize, func(b []byte) error { _, err := DecodeCert(b); return err }},
		{"KeyBlock", EncodeKeyBlock(&KeyBlock{ChainID: chainID, Epoch: math.MaxUint64, Parent: full, Miner: pub, Payout: addr,
			VRFProof: make([]byte, keys.ProofSize), Nonce: math.MaxUint64, Sig: sig}), MaxKeyBlockSize,
			func(b []byte) error { _, err := DecodeKeyBlock(b); return err }},
		{"header", EncodeHeader(&Header{ChainID: chainID, Epoch: math.MaxUint64, Time: math.MinInt64, Parent: full, WinnerHash: full,
			PayloadRoot: full, PayrollRoot: full, StateRoot: full, TrusteeSetHash: full, NextTrusteeSetHash: full,
			LastCertHash: full, Target: full, Tickets: math.MaxUint32}), MaxHeaderSize,
			func(b []byte) error { _, err := DecodeHeader(b); return err }},
		{"transfer", EncodeTx(txOf(&Transfer{To: addr, Amount: math.MaxUint64, Memo: strings.Repeat("m", MaxMemo)})), MaxTxSize,
			func(b []byte) error { _, err := DecodeTx(b); return err }},
		{"bond", EncodeTx(txOf(&TrusteeBond{Amount: math.MaxUint64, Addrs: addrs})), MaxTxSize,
			func(b []byte) error { _, err := DecodeTx(b); return err }},
		{"evidence", EncodeTx(txOf(&Evidence{A: vote, B: vote})), MaxTxSize,
			func(b []byte) error { _, err := DecodeTx(b); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.data) > tc.limit {
				t.Fatalf("%d bytes, limit %d", len(tc.data), tc.limit)
			}
			if err := tc.decode(tc.data); err != nil {
				t.Fatal(err)
			}
			if err := tc.decode(append(tc.data, make([]byte, tc.limit)...)); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("oversized input: %v", err)
			}
		})
	}
}

// TestLoadFromChanges persists what each block's Changes list, as a store does, and
// reloads the state from it: same root, same parameters, counters and registry, and
// the next block applies to the reloaded state as to the original.
func TestLoadFromChanges(t *testing.T) {
	n := newTestNet(t, 4, 3)
	stored := map[Hash][]byte{}
	persist := func(s *State) {
		for _, c := range s.Changes() {
			stored[c.Key] = c.Value
		}
	}
	reload := func() *State {
		t.Helper()
		var leaves []Change
		for k, v := range stored {
			leaves = append(leaves, Change{Key: k, Value: v})
		}
		s, err := Load(leaves, n.state.Tip(), n.state.Root())
		if err != nil {
			t.Fatalf("epoch %d: %v", n.state.Epoch(), err)
		}
		if s.Params() != n.state.Params() || s.Meta() != n.state.Meta() || !reflect.DeepEqual(s.Registry(), n.state.Registry()) {
			t.Fatalf("epoch %d: reloaded state differs:\n params %+v\n want   %+v", n.state.Epoch(), s.Params(), n.state.Params())
		}
		return s
	}
	persist(n.state)
	reload()
	u := n.users
	for e := range 12 {
		var txs []*Tx
		switch e {
		case 1:
			txs = append(txs, n.tx(u[0], 5, &Transfer{To: u[1].Address(), Amount: 7}))
		case 2:
			txs = append(txs, n.tx(u[2], 1, &TrusteeBond{Amount: testMinBond, Addrs: []string{"/ip4/10.0.0.3/tcp/1"}}))
			n.trustees = append(n.trustees, u[2])
		case 6:
			txs = append(txs, n.tx(n.trustees[0], 0, &TrusteeUnbond{}))
		}
		w, p := n.tickets(u[0], u[1])
		b, _, _ := n.propose(n.proposal(w, p, txs...))
		loaded := reload()
		n.commit(b)
		st, _, err := Apply(loaded, b)
		if err != nil || st.Root() != n.state.Root() {
			t.Fatalf("epoch %d: the reloaded state does not follow the block (%v)", b.Header.Epoch, err)
		}
		persist(n.state)
	}
}
