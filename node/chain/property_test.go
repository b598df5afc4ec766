package chain

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/daolicloud/daoli/node/keys"
	"pgregory.net/rapid"
)

// propBlocks is the length of each random chain. rapid runs 100 checks by default
// (-rapid.checks sets it), so one `go test` run applies and checks at least
// 100 × 10 = 1,000 blocks; 10 blocks cross two membership boundaries (every 4 epochs)
// and let bonds unbond and come back (delay 2).
const propBlocks = 10

// TestChainProperties runs random chains against a model that redoes the accounting
// with plain maps. After every block: the supply invariant holds; every balance, nonce,
// bond and unbonding equals the model's, so a bonded coin is in no balance and is paid
// back once; a follower, applying the block as received (also from a state reloaded
// from its leaves), reaches the proposer's state root; and blocks and transactions the
// rules refuse leave the state exactly as it was.
func TestChainProperties(t *testing.T) {
	blocks := 0
	rapid.Check(t, func(rt *rapid.T) {
		c := newPropChain(rt)
		for range propBlocks {
			c.step()
			blocks++
		}
	})
	t.Logf("%d blocks checked", blocks)
}

type modelTrustee struct {
	key              keys.PublicKey
	bond, seniority  uint64
	leaving, slashed bool
}

type modelUnbonding struct {
	key             keys.PublicKey
	amount, release uint64
}

// chainModel is the chain's accounting without trees or encodings. Every trustee is
// paid at the address of its key, as in the test genesis and in TrusteeBond.
type chainModel struct {
	p              Params
	balance, nonce map[keys.Address]uint64
	bonded         []modelTrustee // by seniority
	active         []keys.PublicKey
	certifiedBy    []keys.PublicKey
	unbonding      []modelUnbonding
	minted, burned uint64
	nextSeniority  uint64
	fees           uint64 // of the block being built
}

func (m *chainModel) bondedIndex(k keys.PublicKey) int {
	return slices.IndexFunc(m.bonded, func(t modelTrustee) bool { return t.key == k })
}

func (m *chainModel) unbondingIndex(k keys.PublicKey) int {
	return slices.IndexFunc(m.unbonding, func(u modelUnbonding) bool { return u.key == k })
}

func (m *chainModel) staying() int {
	n := 0
	for _, t := range m.bonded {
		if !t.leaving && !t.slashed {
			n++
		}
	}
	return n
}

func (m *chainModel) supply() uint64 { return m.p.GenesisSupply + m.minted - m.burned }

// endBlock does what Apply does after the payload: fees and rewards, returned bonds
// and the membership change. supply is the parent's: the block mints only if the whole
// reward fits on top of it.
func (m *chainModel) endBlock(e uint64, b *Block, supply uint64) {
	var signers []keys.Address
	for _, k := range b.LastCert.Signers() {
		signers = append(signers, keys.AddressOf(k))
	}
	share := func(pool uint64, to []keys.Address) (paid uint64) {
		if len(to) == 0 {
			return 0
		}
		for _, a := range to {
			m.balance[a] += pool / uint64(len(to))
		}
		return pool / uint64(len(to)) * uint64(len(to))
	}
	m.burned += m.fees - share(m.fees, signers)
	m.fees = 0
	if r := m.p.Reward; b.Winner != nil && r <= math.MaxUint64-supply {
		m.balance[b.Winner.Payout] += r * 4 / 10
		m.minted += r * 4 / 10
		m.minted += share(r*3/10, signers)
		var payees []keys.Address
		for _, kb := range b.Payroll {
			payees = append(payees, kb.Payout)
		}
		m.minted += share(r-r*4/10-r*3/10, payees)
	}
	m.certifiedBy = slices.Clone(m.active)
	m.unbonding = slices.DeleteFunc(m.unbonding, func(u modelUnbonding) bool {
		if u.release <= e {
			m.balance[keys.AddressOf(u.key)] += u.amount
			return true
		}
		return false
	})
	if e%m.p.MembershipInterval == 0 {
		var stay []modelTrustee
		for _, t := range m.bonded {
			switch {
			case t.slashed:
			case t.leaving:
				m.unbonding = append(m.unbonding, modelUnbonding{key: t.key, amount: t.bond, release: e + m.p.UnbondDelay})
			default:
				stay = append(stay, t)
			}
		}
		m.bonded = stay
		m.active = nil
		for _, t := range stay[:min(len(stay), int(m.p.MaxTrustees))] {
			m.active = append(m.active, t.key)
		}
	}
}

// propChain is one random chain: the test network, the model and the keys of everyone.
type propChain struct {
	t     *rapid.T
	n     *testNet
	m     *chainModel
	keys  []*keys.Key // trustees, users and keys that start with nothing
	byPub map[keys.PublicKey]*keys.Key
}

func newPropChain(t *rapid.T) *propChain {
	n := newTestNetWith(t, 4, 5, func(g *Genesis) {
		g.Params.MembershipInterval = 4
		g.Params.UnbondDelay = 2
		g.Params.MaxTrustees = 5
		g.Params.Reward = 1001 // uneven, so every split leaves a remainder
	})
	c := &propChain{t: t, n: n, byPub: map[keys.PublicKey]*keys.Key{}}
	c.keys = append(slices.Clone(n.trustees), n.users...)
	for i := range 3 {
		c.keys = append(c.keys, testKey("newcomer", i))
	}
	// activeKeys finds signers among n.trustees; any key may become a trustee.
	n.trustees = c.keys
	for _, k := range c.keys {
		c.byPub[k.Public()] = k
	}
	m := &chainModel{p: n.state.Params(), balance: map[keys.Address]uint64{}, nonce: map[keys.Address]uint64{}}
	for _, a := range n.gen.Accounts {
		m.balance[a.Address] = a.Balance
	}
	for i, tr := range n.gen.Trustees {
		m.bonded = append(m.bonded, modelTrustee{key: tr.Key, bond: tr.Bond, seniority: uint64(i)})
		m.active = append(m.active, tr.Key)
	}
	m.certifiedBy = slices.Clone(m.active)
	m.nextSeniority = uint64(len(n.gen.Trustees))
	c.m = m
	return c
}

func (c *propChain) key(name string) *keys.Key {
	return c.keys[rapid.IntRange(0, len(c.keys)-1).Draw(c.t, name)]
}

// fee draws a fee the account can pay, leaving at least keep.
func (c *propChain) fee(a keys.Address, keep uint64) uint64 {
	return rapid.Uint64Range(0, min(20, c.m.balance[a]-keep)).Draw(c.t, "fee")
}

func (c *propChain) newTx(k *keys.Key, fee uint64, body Body) *Tx {
	return NewTx(k, testChain, c.m.nonce[k.Address()], fee, body)
}

// votes makes two conflicting signed votes of k.
func (c *propChain) votes(k *keys.Key) *Evidence {
	t := c.t
	kind := rapid.SampledFrom([]VoteKind{Prevote, Precommit}).Draw(t, "vote kind")
	epoch := rapid.Uint64Range(1, 100).Draw(t, "vote epoch")
	round := rapid.Uint32Range(0, 3).Draw(t, "vote round")
	ev := &Evidence{
		A: Vote{Kind: kind, ChainID: testChain, Epoch: epoch, Round: round, Block: Hash{1}},
		B: Vote{Kind: kind, ChainID: testChain, Epoch: epoch, Round: round, Block: Hash{2}},
	}
	if rapid.Bool().Draw(t, "nil vote") {
		ev.A.Block = Hash{}
	}
	ev.A.Sign(k)
	ev.B.Sign(k)
	return ev
}

// validTx draws a transaction the model says is valid and applies it to the model; nil
// when the drawn kind has no valid instance now.
func (c *propChain) validTx() *Tx {
	t, m := c.t, c.m
	k := c.key("sender")
	a := k.Address()
	var tx *Tx
	switch rapid.IntRange(0, 5).Draw(t, "valid kind") {
	case 0, 1, 2:
		if m.balance[a] == 0 {
			return nil
		}
		fee := c.fee(a, 1)
		amount := rapid.Uint64Range(1, m.balance[a]-fee).Draw(t, "amount")
		to := c.key("recipient").Address()
		tx = c.newTx(k, fee, &Transfer{To: to, Amount: amount})
		m.balance[a] -= fee + amount
		m.balance[to] += amount
		m.fees += fee
	case 3:
		if m.balance[a] < m.p.MinBond || m.bondedIndex(k.Public()) >= 0 || m.unbondingIndex(k.Public()) >= 0 {
			return nil
		}
		fee := c.fee(a, m.p.MinBond)
		amount := rapid.Uint64Range(m.p.MinBond, m.balance[a]-fee).Draw(t, "bond")
		tx = c.newTx(k, fee, &TrusteeBond{Amount: amount, Addrs: []string{"/ip4/10.1.2.3/tcp/4001"}})
		m.balance[a] -= fee + amount
		m.bonded = append(m.bonded, modelTrustee{key: k.Public(), bond: amount, seniority: m.nextSeniority})
		m.nextSeniority++
		m.fees += fee
	case 4:
		i := m.bondedIndex(k.Public())
		if i < 0 || m.bonded[i].leaving || m.bonded[i].slashed || m.staying() < 2 {
			return nil
		}
		fee := c.fee(a, 0)
		tx = c.newTx(k, fee, &TrusteeUnbond{})
		m.balance[a] -= fee
		m.bonded[i].leaving = true
		m.fees += fee
	case 5:
		bad := c.key("equivocator")
		i, u := m.bondedIndex(bad.Public()), m.unbondingIndex(bad.Public())
		switch {
		case i >= 0 && m.bonded[i].slashed, i < 0 && u < 0:
			return nil
		case i >= 0 && !m.bonded[i].leaving && m.staying() < 2:
			// Slashing the last staying trustee would leave no one to certify; the
			// rules allow it (more than f faulty trustees have broken the chain anyway),
			// but the test network could not go on.
			return nil
		}
		fee := c.fee(a, 0)
		tx = c.newTx(k, fee, c.votes(bad))
		m.balance[a] -= fee
		if i >= 0 {
			m.burned += m.bonded[i].bond
			m.bonded[i].bond, m.bonded[i].slashed = 0, true
		} else {
			m.burned += m.unbonding[u].amount
			m.unbonding = slices.Delete(m.unbonding, u, u+1)
		}
		m.fees += fee
	}
	m.nonce[a]++
	return tx
}

// invalidTx draws a transaction the rules must refuse and the error it must wrap; nil
// when the drawn way to fail does not apply now. The model is left unchanged.
func (c *propChain) invalidTx() (*Tx, error) {
	t, m := c.t, c.m
	k := c.key("sender")
	a, pub := k.Address(), k.Public()
	to := c.key("recipient").Address()
	bal := m.balance[a]
	switch rapid.IntRange(0, 11).Draw(t, "invalid kind") {
	case 0:
		fee := c.fee(a, 0)
		return c.newTx(k, fee, &Transfer{To: to, Amount: bal - fee + 1}), ErrInsufficient
	case 1:
		return c.newTx(k, bal+1, &Transfer{To: to, Amount: 1}), ErrInsufficient
	case 2:
		nonce := m.nonce[a] + 1
		if m.nonce[a] > 0 && rapid.Bool().Draw(t, "replay") {
			nonce = m.nonce[a] - 1
		}
		return NewTx(k, testChain, nonce, 0, &Transfer{To: to, Amount: 1}), ErrBadNonce
	case 3:
		tx := c.newTx(k, 0, &Transfer{To: to, Amount: 1})
		tx.Sig[rapid.IntRange(0, len(tx.Sig)-1).Draw(t, "sig byte")] ^= 1
		return tx, ErrBadSignature
	case 4:
		return NewTx(k, "daoli-other", m.nonce[a], 0, &Transfer{To: to, Amount: 1}), ErrWrongChain
	case 5:
		return c.newTx(k, 0, &Transfer{To: to}), ErrBadBody
	case 6:
		tx := &Tx{ChainID: testChain, Nonce: m.nonce[a], Kind: TxKind(rapid.IntRange(int(kindEnd), 255).Draw(t, "kind")), Body: []byte{0x80}}
		tx.Sign(k)
		return tx, ErrUnknownKind
	case 7:
		return c.newTx(k, 0, &TrusteeBond{Amount: m.p.MinBond - 1, Addrs: []string{"/ip4/10.1.2.3/tcp/4001"}}), ErrBadAmount
	case 8:
		if m.bondedIndex(pub) < 0 && m.unbondingIndex(pub) < 0 {
			return nil, nil
		}
		return c.newTx(k, 0, &TrusteeBond{Amount: m.p.MinBond, Addrs: []string{"/ip4/10.1.2.3/tcp/4001"}}), ErrAlreadyTrustee
	case 9:
		i := m.bondedIndex(pub)
		switch {
		case i < 0 || m.bonded[i].leaving || m.bonded[i].slashed:
			return c.newTx(k, 0, &TrusteeUnbond{}), ErrNotTrustee
		case m.staying() == 1:
			return c.newTx(k, 0, &TrusteeUnbond{}), ErrLastTrustee
		}
		return nil, nil
	case 10:
		bad := c.key("equivocator")
		if i := m.bondedIndex(bad.Public()); (i >= 0 && !m.bonded[i].slashed) || m.unbondingIndex(bad.Public()) >= 0 {
			return nil, nil
		}
		return c.newTx(k, 0, c.votes(bad)), ErrBadEvidence
	case 11:
		// A market step, valid in shape, for a deal that does not exist.
		return c.newTx(k, 0, &DealAccept{Deal: Hash{9}, Price: 1, Deposit: DepositFactor}), ErrNoDeal
	}
	return nil, nil
}

// snapshot is everything a state holds, to show that a refused block changed nothing.
type snapshot struct {
	root   Hash
	leaves []Change
	reg    Registry
	meta   Meta
}

func takeSnapshot(t *rapid.T, s *State) snapshot {
	var leaves []Change
	if err := s.ForEach(func(k Hash, v []byte) error {
		leaves = append(leaves, Change{Key: k, Value: slices.Clone(v)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return snapshot{root: s.Root(), leaves: leaves, reg: s.Registry(), meta: s.Meta()}
}

func (c *propChain) unchanged(s *State, was snapshot, what string) {
	c.t.Helper()
	now := takeSnapshot(c.t, s)
	if now.root != was.root || !reflect.DeepEqual(now.leaves, was.leaves) || !reflect.DeepEqual(now.reg, was.reg) || now.meta != was.meta {
		c.t.Fatalf("epoch %d: %s changed the state it was applied to", s.Epoch()+1, what)
	}
	// Rehash from the leaves: a node changed in place would keep its cached hash.
	if _, err := Load(now.leaves, s.Tip(), was.root); err != nil {
		c.t.Fatalf("epoch %d: %s: the leaves no longer hash to the root: %v", s.Epoch()+1, what, err)
	}
}

func (c *propChain) step() {
	t, n, m := c.t, c.n, c.m
	parent := n.state
	before := takeSnapshot(t, parent)
	e := parent.Epoch() + 1
	supply, minted, burned := m.supply(), m.minted, m.burned

	var winner *KeyBlock
	var payroll []KeyBlock
	var tickets uint32
	if rapid.IntRange(0, 3).Draw(t, "mine") > 0 {
		var miners []*keys.Key
		for _, i := range rapid.SliceOfNDistinct(rapid.IntRange(0, len(c.keys)-1), 1, 5, rapid.ID[int]).Draw(t, "miners") {
			miners = append(miners, c.keys[i])
		}
		winner, payroll = n.tickets(miners...)
		payroll = payroll[:min(len(payroll), int(m.p.Payroll))]
		// Mostly at most K* tickets, so the target stays easy; sometimes many.
		tickets = uint32(1+len(payroll)) + rapid.Uint32Range(0, 3).Draw(t, "unpaid tickets")
		if rapid.IntRange(0, 7).Draw(t, "crowded") == 0 {
			tickets += 2 * m.p.KStar
		}
	}

	pending := parent
	var txs []*Tx
	for range rapid.IntRange(0, 6).Draw(t, "txs") {
		if rapid.IntRange(0, 3).Draw(t, "invalid") == 0 {
			tx, want := c.invalidTx()
			if tx != nil {
				c.refuseTx(pending, parent, txs, tx, want)
			}
			continue
		}
		tx := c.validTx()
		if tx == nil {
			continue
		}
		next, err := ApplyTx(pending, tx)
		if err != nil {
			t.Fatalf("epoch %d: valid %s refused: %v", e, tx.Kind, err)
		}
		pending = next
		txs = append(txs, tx)
	}

	p := n.proposal(winner, payroll, txs...)
	p.Tickets = tickets
	b, proposed, rec, err := Propose(parent, p)
	if err != nil {
		t.Fatalf("epoch %d: valid block refused: %v", e, err)
	}
	m.endBlock(e, b, supply)
	if rec.Minted != m.minted-minted || rec.Burned != m.burned-burned {
		t.Fatalf("epoch %d: receipts mint %d and burn %d, model %d and %d", e, rec.Minted, rec.Burned, m.minted-minted, m.burned-burned)
	}

	// Followers apply the block as it comes off the wire, to the parent and to the
	// parent rebuilt from its leaves, as a restarted node would hold it.
	wire, err := DecodeBlock(EncodeBlock(b))
	if err != nil {
		t.Fatalf("epoch %d: block does not decode: %v", e, err)
	}
	followed, _, err := Apply(parent, wire)
	if err != nil {
		t.Fatalf("epoch %d: follower refuses the proposed block: %v", e, err)
	}
	states := []*State{proposed, followed}
	if rapid.IntRange(0, 2).Draw(t, "reload") == 0 { // one block in three, to save time
		loaded, err := Load(before.leaves, parent.Tip(), before.root)
		if err != nil {
			t.Fatalf("epoch %d: parent does not reload: %v", e, err)
		}
		reloaded, _, err := Apply(loaded, wire)
		if err != nil {
			t.Fatalf("epoch %d: reloaded follower refuses the block: %v", e, err)
		}
		states = append(states, reloaded)
	}
	for _, s := range states {
		if s.Root() != b.Header.StateRoot || s.Tip() != b.Hash() {
			t.Fatalf("epoch %d: followers disagree on the state root", e)
		}
	}

	c.refuseBlock(parent, b)
	c.unchanged(parent, before, "a block")

	next := states[rapid.IntRange(0, len(states)-1).Draw(t, "next state")]
	c.check(next)

	// Certify with a random quorum of the set that certifies this block.
	active := n.activeKeys()
	var signers []*keys.Key
	for _, i := range rapid.SliceOfNDistinct(rapid.IntRange(0, len(active)-1), Quorum(len(active)), len(active), rapid.ID[int]).Draw(t, "signers") {
		signers = append(signers, active[i])
	}
	n.lastCert = n.certify(b, signers)
	n.state = next
	n.blocks = append(n.blocks, b)
}

// refuseTx checks that tx is refused with want, alone and inside a block, and that
// neither attempt changes a state.
func (c *propChain) refuseTx(pending, parent *State, txs []*Tx, tx *Tx, want error) {
	t := c.t
	root := pending.Root()
	if _, err := ApplyTx(pending, tx); !errors.Is(err, want) {
		t.Fatalf("epoch %d: ApplyTx: %v, want %v", parent.Epoch()+1, err, want)
	}
	if pending.Root() != root {
		t.Fatalf("epoch %d: a refused transaction changed the state", parent.Epoch()+1)
	}
	if rapid.IntRange(0, 3).Draw(t, "in a block") > 0 {
		return
	}
	before := takeSnapshot(t, parent)
	if _, _, _, err := Propose(parent, c.n.proposal(nil, nil, append(slices.Clone(txs), tx)...)); !errors.Is(err, want) {
		t.Fatalf("epoch %d: Propose with a bad transaction: %v, want %v", parent.Epoch()+1, err, want)
	}
	c.unchanged(parent, before, "a block with a refused transaction")
}

// refuseBlock checks that a few corruptions of the valid block b are refused.
func (c *propChain) refuseBlock(parent *State, b *Block) {
	t := c.t
	bad, err := DecodeBlock(EncodeBlock(b))
	if err != nil {
		t.Fatal(err)
	}
	switch rapid.IntRange(0, 4).Draw(t, "corruption") {
	case 0:
		return
	case 1:
		bad.Header.StateRoot[rapid.IntRange(0, 31).Draw(t, "byte")] ^= 1
	case 2:
		if len(bad.Payload) == 0 {
			return
		}
		bad.Payload = bad.Payload[:len(bad.Payload)-1]
	case 3:
		if len(bad.Payroll) == 0 {
			return
		}
		bad.Payroll = bad.Payroll[1:]
	case 4:
		// A payload the header commits to, signed, but one that the state refuses:
		// only execution shows it.
		if len(bad.Payload) == 0 {
			return
		}
		tx := &bad.Payload[0]
		tx.Nonce++
		tx.Sign(c.byPub[tx.From])
		bad.Header.PayloadRoot = PayloadRoot(bad.Payload)
	}
	if _, _, err := Apply(parent, bad); err == nil {
		t.Fatalf("epoch %d: corrupted block accepted", parent.Epoch()+1)
	}
}

// check compares the state after a block with the model.
func (c *propChain) check(s *State) {
	t, m := c.t, c.m
	e := s.Epoch()
	checkSupply(t, s)
	if got := s.Meta(); got.Minted != m.minted || got.Burned != m.burned {
		t.Fatalf("epoch %d: minted %d burned %d, model %d and %d", e, got.Minted, got.Burned, m.minted, m.burned)
	}
	accounts := 0
	if err := s.ForEachAccount(func(a Account) error {
		accounts++
		if a.Balance != m.balance[a.Address] || a.Nonce != m.nonce[a.Address] {
			t.Fatalf("epoch %d: account %x holds %d nonce %d, model %d nonce %d",
				e, a.Address[:4], a.Balance, a.Nonce, m.balance[a.Address], m.nonce[a.Address])
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := 0
	for a := range m.balance {
		if m.balance[a] > 0 || m.nonce[a] > 0 {
			want++
		}
	}
	if accounts != want {
		t.Fatalf("epoch %d: %d accounts, model %d", e, accounts, want)
	}

	reg := s.Registry()
	if len(reg.Bonded) != len(m.bonded) || len(reg.Unbonding) != len(m.unbonding) || reg.NextSeniority != m.nextSeniority {
		t.Fatalf("epoch %d: %d bonded and %d unbonding, model %d and %d", e, len(reg.Bonded), len(reg.Unbonding), len(m.bonded), len(m.unbonding))
	}
	for i, tr := range reg.Bonded {
		w := m.bonded[i]
		if tr.Key != w.key || tr.Bond != w.bond || tr.Seniority != w.seniority || tr.Leaving != w.leaving || tr.Slashed != w.slashed || tr.Payout != keys.AddressOf(w.key) {
			t.Fatalf("epoch %d: bonded[%d] = %+v, model %+v", e, i, tr, w)
		}
	}
	for i, u := range reg.Unbonding {
		w := m.unbonding[i]
		if u.Key != w.key || u.Amount != w.amount || u.Release != w.release || u.Payout != keys.AddressOf(w.key) {
			t.Fatalf("epoch %d: unbonding[%d] = %+v, model %+v", e, i, u, w)
		}
	}
	keysOf := func(ts []Trustee) []keys.PublicKey {
		var out []keys.PublicKey
		for _, tr := range ts {
			out = append(out, tr.Key)
		}
		return out
	}
	if !slices.Equal(keysOf(reg.Active), m.active) || !slices.Equal(keysOf(reg.CertifiedBy), m.certifiedBy) {
		t.Fatalf("epoch %d: active or certifying set differs from the model", e)
	}

	// A bonded coin is in no balance: spending one coin more than the balance fails
	// for whoever holds a bond.
	if len(m.bonded) > 0 {
		k := c.byPub[m.bonded[rapid.IntRange(0, len(m.bonded)-1).Draw(t, "bond holder")].key]
		spend := NewTx(k, testChain, m.nonce[k.Address()], 0, &Transfer{To: k.Address(), Amount: m.balance[k.Address()] + 1})
		if _, err := ApplyTx(s, spend); !errors.Is(err, ErrInsufficient) {
			t.Fatalf("epoch %d: a bond holder spends past its balance: %v", e, err)
		}
	}
}
