package chaintest

import (
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
)

// DefaultChainID is the chain ID of a Config that names none.
const DefaultChainID = "daoli-test"

// Defaults of a zero Config.
const (
	DefaultTrustees = 4
	DefaultUsers    = 4
	DefaultBalance  = 1_000_000_000_000 // large enough that fees never drain a user in a benchmark
	DefaultBond     = 5000
	DefaultReward   = 1000
	DefaultKStar    = 4
	DefaultPayroll  = 3
	DefaultInterval = 5
)

// Key returns key number i of the family name ("trustee", "user", …). Its seed is
// SHA-256 of "name i", so every process derives the same key.
func Key(name string, i int) *keys.Key {
	seed := sha256.Sum256(fmt.Appendf(nil, "%s %d", name, i))
	k, err := keys.FromSeed(seed[:])
	if err != nil {
		// A 32-byte seed always makes a key.
		panic("chaintest: " + err.Error())
	}
	return k
}

// TrusteeKey is the key of genesis trustee i.
func TrusteeKey(i int) *keys.Key { return Key("trustee", i) }

// UserKey is the key of funded user i.
func UserKey(i int) *keys.Key { return Key("user", i) }

// EasyTarget admits about one attempt in 16, so a ticket costs a handful of hashes.
func EasyTarget() chain.Hash { return chain.TargetOneIn(16) }

// Config describes a test chain. Zero fields take the defaults above.
type Config struct {
	ChainID  string
	Trustees int    // genesis trustees, each bonded with Bond
	Users    int    // funded users, each with Balance
	Balance  uint64 // genesis balance of each user
	Bond     uint64 // bond of each trustee, and the chain's MinBond
	Reward   uint64
	KStar    uint32
	Payroll  uint32
	Interval uint64    // epochs between membership changes
	Time     time.Time // genesis time; default 2026-01-01 00:00 UTC
}

func (c Config) withDefaults() Config {
	c.Trustees = cmp.Or(c.Trustees, DefaultTrustees)
	c.Users = cmp.Or(c.Users, DefaultUsers)
	c.ChainID = cmp.Or(c.ChainID, DefaultChainID)
	c.Balance = cmp.Or(c.Balance, DefaultBalance)
	c.Bond = cmp.Or(c.Bond, DefaultBond)
	c.Reward = cmp.Or(c.Reward, DefaultReward)
	c.KStar = cmp.Or(c.KStar, DefaultKStar)
	c.Payroll = cmp.Or(c.Payroll, DefaultPayroll)
	c.Interval = cmp.Or(c.Interval, DefaultInterval)
	if c.Time.IsZero() {
		c.Time = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return c
}

// cycle is the genesis cycle length; certificates are timestamped one cycle after the
// block they certify, which keeps BFT time advancing like a real network's.
const cycle = 2 * time.Second

// Genesis returns the genesis of the chain c describes.
func (c Config) Genesis() *chain.Genesis {
	c = c.withDefaults()
	g := &chain.Genesis{
		ChainID: c.ChainID,
		Time:    c.Time,
		Params: chain.Params{
			CycleMs: uint64(cycle / time.Millisecond), PhiMs: 1000, DeltaMs: 500,
			KStar: c.KStar, Payroll: c.Payroll, Reward: c.Reward, MinBond: c.Bond,
			MembershipInterval: c.Interval, MaxTrustees: uint32(max(c.Trustees, 7)), UnbondDelay: 3,
			InitialTarget: EasyTarget(),
		},
	}
	for i := range c.Trustees {
		k := TrusteeKey(i)
		g.Trustees = append(g.Trustees, chain.GenesisTrustee{
			Key: k.Public(), Payout: k.Address(), Bond: c.Bond,
			Addrs: []string{fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", 4001+i)},
		})
	}
	for i := range c.Users {
		g.Accounts = append(g.Accounts, chain.GenesisAccount{Address: UserKey(i).Address(), Balance: c.Balance})
	}
	return g
}

// Net is a test chain driven by hand: its trustees certify every block, its users
// transact and mine. It is not safe for concurrent use.
type Net struct {
	Config   Config // with the defaults filled in
	Genesis  *chain.Genesis
	Trustees []*keys.Key // genesis trustees, by index
	Users    []*keys.Key // funded users, by index

	state    *chain.State
	lastCert *chain.Cert
}

// New starts a Net at its genesis state.
func New(c Config) (*Net, error) {
	n := newNet(c)
	st, err := n.Genesis.State()
	if err != nil {
		return nil, fmt.Errorf("chaintest: %w", err)
	}
	n.state = st
	return n, nil
}

// Resume continues a Net from a state of its chain (as a store loads it) and the
// certificate of that state's tip block (nil at genesis). The blocks it builds next are
// the ones an uninterrupted Net would have built.
func Resume(c Config, st *chain.State, lastCert *chain.Cert) (*Net, error) {
	n := newNet(c)
	if id := st.Params().ChainID; id != n.Genesis.ChainID {
		return nil, fmt.Errorf("chaintest: resume: state of chain %q, config says %q", id, n.Genesis.ChainID)
	}
	switch {
	case st.Epoch() == 0 && lastCert != nil:
		return nil, errors.New("chaintest: resume: a certificate for the genesis state")
	case st.Epoch() > 0 && lastCert == nil:
		return nil, fmt.Errorf("chaintest: resume: no certificate for block %d", st.Epoch())
	case lastCert != nil && (lastCert.Epoch != st.Epoch() || lastCert.Block != st.Tip()):
		return nil, fmt.Errorf("chaintest: resume: certificate of block %d %s, state is at %d %s",
			lastCert.Epoch, lastCert.Block.Short(), st.Epoch(), st.Tip().Short())
	}
	if _, err := n.signers(st, 0); err != nil {
		return nil, fmt.Errorf("chaintest: resume: %w", err)
	}
	n.state, n.lastCert = st, lastCert
	return n, nil
}

func newNet(c Config) *Net {
	c = c.withDefaults()
	n := &Net{Config: c, Genesis: c.Genesis()}
	for i := range c.Trustees {
		n.Trustees = append(n.Trustees, TrusteeKey(i))
	}
	for i := range c.Users {
		n.Users = append(n.Users, UserKey(i))
	}
	return n
}

// State is the state after the last block.
func (n *Net) State() *chain.State { return n.state }

// LastCert is the certificate of the last block, nil at genesis.
func (n *Net) LastCert() *chain.Cert { return n.lastCert }

// Step says what the next block holds.
type Step struct {
	// Transfers is the number of transfers in the payload: users send 1 coin with a
	// fee of 1 to the next user, round robin from an offset that depends on the epoch.
	Transfers int
	// Tickets is the number of users that mine a ticket: the luckiest wins and the next
	// (up to the chain's payroll size) are paid as the payroll.
	Tickets int
	// Signers is the number of active trustees whose precommits form the certificate,
	// in lineup order; 0 means all of them.
	Signers int
	// Txs are added to the payload after the transfers.
	Txs []*chain.Tx
}

// Committed is one certified block and what it did.
type Committed struct {
	Block    *chain.Block
	Cert     *chain.Cert // certifies Block
	Receipts *chain.Receipts
	State    *chain.State // after Block
}

// Next builds, executes and certifies the next block, and advances the Net to it.
func (n *Net) Next(s Step) (*Committed, error) {
	st := n.state
	epoch := st.Epoch() + 1
	if s.Tickets > len(n.Users) || s.Transfers < 0 || s.Tickets < 0 {
		return nil, fmt.Errorf("chaintest: step %+v with %d users", s, len(n.Users))
	}
	signers, err := n.signers(st, s.Signers)
	if err != nil {
		return nil, fmt.Errorf("chaintest: block %d: %w", epoch, err)
	}
	p := chain.Proposal{Time: st.Params().GenesisTime, LastCert: n.lastCert}
	p.Payload = n.transfers(st, epoch, s.Transfers)
	for _, tx := range s.Txs {
		p.Payload = append(p.Payload, *tx)
	}
	p.Winner, p.Payroll, p.Tickets = n.tickets(st, epoch, s.Tickets)
	b, next, rec, err := chain.Propose(st, p)
	if err != nil {
		return nil, fmt.Errorf("chaintest: propose block %d: %w", epoch, err)
	}
	cert, err := Certify(st.Params().ChainID, b, signers)
	if err != nil {
		return nil, fmt.Errorf("chaintest: certify block %d: %w", epoch, err)
	}
	n.state, n.lastCert = next, cert
	return &Committed{Block: b, Cert: cert, Receipts: rec, State: next}, nil
}

// Run builds count blocks of the same step.
func (n *Net) Run(count int, s Step) ([]*Committed, error) {
	out := make([]*Committed, 0, count)
	for range count {
		c, err := n.Next(s)
		if err != nil {
			return out, err
		}
		out = append(out, c)
	}
	return out, nil
}

// signers returns the keys of the first k trustees active in st (all when k is 0): the
// set that certifies the block after st.
func (n *Net) signers(st *chain.State, k int) ([]*keys.Key, error) {
	active := st.Active()
	if k == 0 {
		k = len(active)
	}
	if k > len(active) {
		return nil, fmt.Errorf("%d signers asked, %d trustees active", k, len(active))
	}
	out := make([]*keys.Key, 0, k)
	// A user that bonded is a trustee too once active.
	known := append(slices.Clone(n.Trustees), n.Users...)
	for _, t := range active[:k] {
		i := slices.IndexFunc(known, func(key *keys.Key) bool { return key.Public() == t.Key })
		if i < 0 {
			return nil, fmt.Errorf("active trustee %s is not a key of this net", t.Key.String()[:8])
		}
		out = append(out, known[i])
	}
	return out, nil
}

// transfers builds count transfers for the block of epoch, each user's nonces running
// on from its account in st.
func (n *Net) transfers(st *chain.State, epoch uint64, count int) []chain.Tx {
	if count == 0 {
		return nil
	}
	u := len(n.Users)
	nonces := make(map[int]uint64, min(count, u))
	txs := make([]chain.Tx, 0, count)
	for j := range count {
		from := (int(epoch%uint64(u)) + j) % u
		nonce, ok := nonces[from]
		if !ok {
			nonce = st.Account(n.Users[from].Address()).Nonce
		}
		nonces[from] = nonce + 1
		to := n.Users[(from+1)%u].Address()
		txs = append(txs, *chain.NewTx(n.Users[from], st.Params().ChainID, nonce, 1, &chain.Transfer{To: to, Amount: 1}))
	}
	return txs
}

// tickets mines one ticket for each of count users and returns the luckiest as the
// winner, the next ones up to the payroll size, and the number of admitted tickets.
func (n *Net) tickets(st *chain.State, epoch uint64, count int) (*chain.KeyBlock, []chain.KeyBlock, uint32) {
	if count == 0 {
		return nil, nil, 0
	}
	type ticket struct {
		kb   *chain.KeyBlock
		luck chain.Luck
	}
	u := len(n.Users)
	all := make([]ticket, 0, count)
	for j := range count {
		kb, l := MineTicket(n.Users[(int(epoch%uint64(u))+j)%u], st)
		all = append(all, ticket{kb, l})
	}
	slices.SortFunc(all, func(a, b ticket) int { return slices.Compare(a.luck[:], b.luck[:]) })
	var payroll []chain.KeyBlock
	for _, t := range all[1:min(len(all), 1+int(st.Params().Payroll))] {
		payroll = append(payroll, *t.kb)
	}
	return all[0].kb, payroll, uint32(len(all))
}

// MineTicket mines k's admitted ticket for the epoch after st, paying out to k's
// address: it raises the nonce until the work is under st's target, then signs.
func MineTicket(k *keys.Key, st *chain.State) (*chain.KeyBlock, chain.Luck) {
	id, epoch, parent := st.Params().ChainID, st.Epoch()+1, st.Tip()
	kb, l := chain.NewKeyBlock(k, id, epoch, parent, k.Address())
	prefix := chain.WorkPrefix(id, epoch, parent, kb.Miner, l[:])
	target := st.Meta().Target
	for !chain.Admitted(chain.Work(prefix, kb.Nonce), target) {
		kb.Nonce++
	}
	kb.Sign(k)
	return kb, l
}

// Certify signs precommits for b by signers, in round 0, and assembles them into b's
// certificate. Timestamps start one genesis cycle after b's time and increase by a
// millisecond per signer, so the certificate's median moves BFT time forward.
func Certify(chainID string, b *chain.Block, signers []*keys.Key) (*chain.Cert, error) {
	votes := make([]*chain.Vote, 0, len(signers))
	for i, k := range signers {
		v := &chain.Vote{Kind: chain.Precommit, ChainID: chainID, Epoch: b.Header.Epoch, Block: b.Hash(),
			Time: b.Header.Time + int64(cycle) + int64(i)*int64(time.Millisecond)}
		v.Sign(k)
		votes = append(votes, v)
	}
	return chain.NewCert(votes)
}
