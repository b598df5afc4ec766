package chain

import (
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/daolicloud/daoli/node/keys"
)

// fatalT is the part of testing.TB the fixture needs; *rapid.T has it too, so property
// tests can drive a testNet and still shrink their failures.
type fatalT interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// testNet is a chain driven by hand: trustees that certify, users that transact and
// mine, and the state after each certified block.
type testNet struct {
	t        fatalT
	gen      *Genesis
	trustees []*keys.Key
	users    []*keys.Key
	state    *State
	lastCert *Cert
	blocks   []*Block
}

func testKey(name string, i int) *keys.Key {
	seed := sha256.Sum256([]byte(fmt.Sprintf("%s %d", name, i)))
	k, err := keys.FromSeed(seed[:])
	if err != nil {
		panic(err)
	}
	return k
}

const (
	testChain   = "daoli-test"
	testBalance = 1_000_000
	testReward  = 1000
	testMinBond = 5000
)

// easyTarget admits one attempt in 16, so that after a few empty epochs have doubled
// it there is still work above it.
func easyTarget() Hash { return TargetOneIn(16) }

func testGenesis(trustees, users []*keys.Key) *Genesis {
	g := &Genesis{
		ChainID: testChain,
		Time:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Params: Params{
			CycleMs: 2000, PhiMs: 1000, DeltaMs: 500,
			KStar: 4, Payroll: 3, Reward: testReward, MinBond: testMinBond,
			MembershipInterval: 5, MaxTrustees: 7, UnbondDelay: 3,
			InitialTarget: easyTarget(),
		},
	}
	for i, k := range trustees {
		g.Trustees = append(g.Trustees, GenesisTrustee{
			Key: k.Public(), Payout: k.Address(), Bond: testMinBond,
			Addrs: []string{fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", 4001+i)},
		})
	}
	for _, k := range users {
		g.Accounts = append(g.Accounts, GenesisAccount{Address: k.Address(), Balance: testBalance})
	}
	return g
}

func newTestNet(t fatalT, nTrustees, nUsers int) *testNet {
	t.Helper()
	n := &testNet{t: t}
	for i := range nTrustees {
		n.trustees = append(n.trustees, testKey("trustee", i))
	}
	for i := range nUsers {
		n.users = append(n.users, testKey("user", i))
	}
	n.gen = testGenesis(n.trustees, n.users)
	st, err := n.gen.State()
	if err != nil {
		t.Fatal(err)
	}
	n.state = st
	return n
}

// ticket mines an admitted KeyBlock for the next epoch.
func (n *testNet) ticket(k *keys.Key) (*KeyBlock, Luck) {
	return mineTicket(k, n.state, n.state.Epoch()+1)
}

func mineTicket(k *keys.Key, s *State, epoch uint64) (*KeyBlock, Luck) {
	kb, l := NewKeyBlock(k, s.params.ChainID, epoch, s.tip, k.Address())
	prefix := WorkPrefix(kb.ChainID, kb.Epoch, kb.Parent, kb.Miner, l[:])
	for !Admitted(Work(prefix, kb.Nonce), s.meta.Target) {
		kb.Nonce++
	}
	kb.Sign(k)
	return kb, l
}

// tickets mines one ticket per key and returns them as winner and payroll.
func (n *testNet) tickets(ks ...*keys.Key) (*KeyBlock, []KeyBlock) {
	type tl struct {
		kb *KeyBlock
		l  Luck
	}
	var all []tl
	for _, k := range ks {
		kb, l := n.ticket(k)
		all = append(all, tl{kb, l})
	}
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			if all[j].l.Less(all[i].l) {
				all[i], all[j] = all[j], all[i]
			}
		}
	}
	if len(all) == 0 {
		return nil, nil
	}
	var payroll []KeyBlock
	for _, x := range all[1:] {
		payroll = append(payroll, *x.kb)
	}
	return all[0].kb, payroll
}

func (n *testNet) tx(k *keys.Key, fee uint64, body Body) *Tx {
	return NewTx(k, testChain, n.state.Account(k.Address()).Nonce, fee, body)
}

// proposal fills in time and the last certificate.
func (n *testNet) proposal(winner *KeyBlock, payroll []KeyBlock, txs ...*Tx) Proposal {
	p := Proposal{Time: n.state.params.GenesisTime, Winner: winner, Payroll: payroll, LastCert: n.lastCert}
	if winner != nil {
		p.Tickets = max(uint32(1+len(payroll)), n.state.params.KStar)
	}
	for _, tx := range txs {
		p.Payload = append(p.Payload, *tx)
	}
	return p
}

func (n *testNet) propose(p Proposal) (*Block, *State, *Receipts) {
	n.t.Helper()
	b, st, rec, err := Propose(n.state, p)
	if err != nil {
		n.t.Fatalf("propose: %v", err)
	}
	return b, st, rec
}

// certify makes the certificate of b, signed by the trustees active for it.
func (n *testNet) certify(b *Block, signers []*keys.Key) *Cert {
	var votes []*Vote
	for i, k := range signers {
		v := &Vote{Kind: Precommit, ChainID: testChain, Epoch: b.Header.Epoch, Block: b.Hash(),
			Time: b.Header.Time + int64(time.Second) + int64(i)}
		v.Sign(k)
		votes = append(votes, v)
	}
	c, err := NewCert(votes)
	if err != nil {
		n.t.Fatal(err)
	}
	return c
}

// activeKeys are the keys of the trustees active in the current state.
func (n *testNet) activeKeys() []*keys.Key {
	var out []*keys.Key
	for _, t := range n.state.reg.Active {
		for _, k := range n.trustees {
			if k.Public() == t.Key {
				out = append(out, k)
			}
		}
	}
	return out
}

// commit applies b through Apply (as a follower would), then certifies it.
func (n *testNet) commit(b *Block) *Receipts {
	n.t.Helper()
	signers := n.activeKeys()
	st, rec, err := Apply(n.state, b)
	if err != nil {
		n.t.Fatalf("apply: %v", err)
	}
	n.lastCert = n.certify(b, signers)
	n.state = st
	n.blocks = append(n.blocks, b)
	checkSupply(n.t, st)
	return rec
}

// step proposes and commits one block.
func (n *testNet) step(winner *KeyBlock, payroll []KeyBlock, txs ...*Tx) *Receipts {
	n.t.Helper()
	b, _, _ := n.propose(n.proposal(winner, payroll, txs...))
	return n.commit(b)
}

// checkSupply verifies the supply invariant: every coin in accounts, bonds, unbonding
// and deal escrow equals genesis supply + minted − burned.
func checkSupply(t fatalT, s *State) {
	t.Helper()
	var total uint64
	if err := s.ForEachAccount(func(a Account) error { total += a.Balance; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, tr := range s.reg.Bonded {
		total += tr.Bond
	}
	for _, u := range s.reg.Unbonding {
		total += u.Amount
	}
	m := s.Market()
	var escrow uint64
	for _, id := range m.Live {
		d, ok := s.Deal(id)
		if !ok || d.Phase == PhaseClosed {
			t.Fatalf("live deal %s is missing or closed", id.Short())
		}
		escrow += d.Escrow
	}
	if escrow != m.Escrow {
		t.Fatalf("live deals hold %d in escrow, the market index says %d", escrow, m.Escrow)
	}
	total += escrow
	want := s.params.GenesisSupply + s.meta.Minted - s.meta.Burned
	if total != want {
		t.Fatalf("supply invariant broken at epoch %d: coins %d, genesis %d + minted %d - burned %d = %d",
			s.meta.Epoch, total, s.params.GenesisSupply, s.meta.Minted, s.meta.Burned, want)
	}
}

// newTestNetWith is newTestNet with the genesis changed by edit before the chain starts.
func newTestNetWith(t fatalT, nTrustees, nUsers int, edit func(*Genesis)) *testNet {
	t.Helper()
	n := newTestNet(t, nTrustees, nUsers)
	edit(n.gen)
	st, err := n.gen.State()
	if err != nil {
		t.Fatal(err)
	}
	n.state = st
	return n
}
