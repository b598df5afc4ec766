package chain

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/daolicloud/daoli/node/keys"
)

// Account is the state of one address.
type Account struct {
	_       struct{} `cbor:",toarray"`
	Address keys.Address
	Balance uint64
	Nonce   uint64 // the nonce the next transaction from this account must carry
}

// Trustee is a bonded trustee server.
type Trustee struct {
	_         struct{} `cbor:",toarray"`
	Key       keys.PublicKey
	Payout    keys.Address
	Bond      uint64
	Seniority uint64 // order of joining; the lineup sorts by it
	Addrs     []string
	Leaving   bool // unbond requested: leaves at the next membership boundary
	Slashed   bool // equivocation proven: bond burned, removed at the next boundary
}

// Unbonding is a bond on its way back to its owner.
type Unbonding struct {
	_       struct{} `cbor:",toarray"`
	Key     keys.PublicKey
	Payout  keys.Address
	Amount  uint64
	Release uint64 // epoch at which the bond is paid out
}

// Registry is the trustee membership: who certifies now, who certified the tip, who is
// bonded and waiting, and which bonds are unbonding.
type Registry struct {
	_             struct{}  `cbor:",toarray"`
	Active        []Trustee // certifies the next block, in lineup order
	CertifiedBy   []Trustee // the set that certified the tip (for LastCert checks)
	Bonded        []Trustee // every bonded trustee, active or waiting, by seniority
	Unbonding     []Unbonding
	NextSeniority uint64
}

// Meta is the chain-wide part of the state.
type Meta struct {
	_      struct{} `cbor:",toarray"`
	Epoch  uint64   // epoch of the last applied block (0 = genesis)
	Time   int64    // header time of the last applied block
	Target Hash     // admission target of the next epoch
	Minted uint64
	Burned uint64
}

// TrusteeSetHash commits to a trustee set in lineup order.
func TrusteeSetHash(set []Trustee) Hash { return hashTagged("daoli/trustees/v1", encode(set)) }

// Keys of the state tree. Accounts live under the hash of their address; the registry,
// meta and parameters under fixed keys.
var (
	keyParams   = hashTagged("daoli/state/params")
	keyMeta     = hashTagged("daoli/state/meta")
	keyRegistry = hashTagged("daoli/state/registry")
)

// AccountKey is the state key of an address.
func AccountKey(a keys.Address) Hash { return hashTagged("daoli/state/account", a[:]) }

// RegistryKey is the state key of the trustee registry, for proofs of membership.
func RegistryKey() Hash { return keyRegistry }

// State is the chain state after some block. It is immutable: Apply returns a new one.
// The zero value is not usable; states come from Genesis.State, Apply or Load.
type State struct {
	root    *smtNode
	tip     Hash // hash of the last applied block; not part of the commitment
	params  Params
	meta    Meta
	reg     Registry
	changed map[Hash]bool // keys written since the parent state
	// regShared marks a registry that is the parent's (see txChild): it is copied
	// before it is changed.
	regShared bool
}

// Root is the state commitment that headers carry.
func (s *State) Root() Hash { return nodeHash(s.root) }

// Tip is the hash of the last applied block.
func (s *State) Tip() Hash { return s.tip }

// Epoch is the epoch of the last applied block.
func (s *State) Epoch() uint64 { return s.meta.Epoch }

// Params are the chain's genesis parameters.
func (s *State) Params() Params { return s.params }

// Meta returns the chain-wide counters.
func (s *State) Meta() Meta { return s.meta }

// Registry returns a copy of the trustee registry.
func (s *State) Registry() Registry { return cloneRegistry(s.reg) }

// Active is the trustee set that certifies the next block.
func (s *State) Active() []Trustee { return slices.Clone(s.reg.Active) }

// Account returns the account at a; an unknown address has a zero balance and nonce.
func (s *State) Account(a keys.Address) Account {
	v, ok := smtGet(s.root, AccountKey(a))
	if !ok {
		return Account{Address: a}
	}
	var acct Account
	if err := decodeTrusted(v, &acct); err != nil {
		panic(fmt.Sprintf("chain: stored account %s does not decode: %v", a, err))
	}
	return acct
}

// ProveAccount returns the account at a with a proof against Root.
func (s *State) ProveAccount(a keys.Address) (Account, Proof) {
	return s.Account(a), smtProve(s.root, AccountKey(a))
}

// Prove returns a proof for any state key.
func (s *State) Prove(key Hash) Proof { return smtProve(s.root, key) }

// VerifyAccount checks an account proof against a certified state root and returns the
// account (zero balance when the proof shows it absent).
func VerifyAccount(root Hash, a keys.Address, p *Proof) (Account, error) {
	v, err := VerifyProof(root, AccountKey(a), p)
	if err != nil {
		return Account{}, fmt.Errorf("account %s: %w", a, err)
	}
	if v == nil {
		return Account{Address: a}, nil
	}
	var acct Account
	if err := decode(v, &acct, MaxStateValue); err != nil {
		return Account{}, fmt.Errorf("account %s: %w", a, err)
	}
	if acct.Address != a {
		return Account{}, fmt.Errorf("account %s: %w: proof holds another address", a, ErrBadProof)
	}
	return acct, nil
}

// Change is one state key written by a block; a nil Value deletes it.
type Change struct {
	Key   Hash
	Value []byte
}

// Changes lists the keys the last Apply wrote, sorted, for the store to persist.
func (s *State) Changes() []Change {
	out := make([]Change, 0, len(s.changed))
	for k := range s.changed {
		v, _ := smtGet(s.root, k)
		out = append(out, Change{Key: k, Value: v})
	}
	slices.SortFunc(out, func(a, b Change) int { return bytes.Compare(a.Key[:], b.Key[:]) })
	return out
}

// ForEach visits every state key and value, in key order.
func (s *State) ForEach(fn func(key Hash, value []byte) error) error { return smtWalk(s.root, fn) }

// ForEachAccount visits every account. The tree also holds the fixed records and the
// market's providers and deals; an account is a value that decodes as one and sits
// under its own address's key.
func (s *State) ForEachAccount(fn func(Account) error) error {
	return s.ForEach(func(k Hash, v []byte) error {
		if k == keyParams || k == keyMeta || k == keyRegistry || k == keyMarket {
			return nil
		}
		var a Account
		if err := decode(v, &a, MaxStateValue); err != nil || AccountKey(a.Address) != k {
			return nil
		}
		return fn(a)
	})
}

// Load rebuilds a state from its stored leaves and the hash of the tip block, checking
// that it matches the root the tip's header certifies.
func Load(leaves []Change, tip, root Hash) (*State, error) {
	s := &State{tip: tip}
	for _, c := range leaves {
		if c.Value == nil {
			continue
		}
		s.root = smtPut(s.root, 0, c.Key, c.Value)
	}
	if got := s.Root(); got != root {
		return nil, fmt.Errorf("load state: root %s, header says %s: %w", got.Short(), root.Short(), ErrBadProof)
	}
	if err := s.loadFixed(); err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	return s, nil
}

func (s *State) loadFixed() error {
	for _, f := range []struct {
		key Hash
		v   any
	}{{keyParams, &s.params}, {keyMeta, &s.meta}, {keyRegistry, &s.reg}} {
		raw, ok := smtGet(s.root, f.key)
		if !ok {
			return fmt.Errorf("%w: state key %s missing", ErrMalformed, f.key.Short())
		}
		if err := decode(raw, f.v, MaxStateValue); err != nil {
			return err
		}
	}
	return nil
}

// child starts the successor state of s; its writes do not touch s.
func (s *State) child() *State {
	return &State{root: s.root, tip: s.tip, params: s.params, meta: s.meta, reg: cloneRegistry(s.reg), changed: map[Hash]bool{}}
}

// txChild is child for checking one transaction: the registry stays the parent's until
// the transaction changes it (ownRegistry), which transfers, the bulk of what a
// mempool checks, never do.
func (s *State) txChild() *State {
	return &State{root: s.root, tip: s.tip, params: s.params, meta: s.meta, reg: s.reg, changed: map[Hash]bool{}, regShared: true}
}

// ownRegistry gives s a registry of its own, before a change to it.
func (s *State) ownRegistry() {
	if s.regShared {
		s.reg, s.regShared = cloneRegistry(s.reg), false
	}
}

func (s *State) put(key Hash, v any) {
	s.root = smtPut(s.root, 0, key, encode(v))
	s.changed[key] = true
}

func (s *State) setAccount(a Account) { s.put(AccountKey(a.Address), &a) }

// seal writes the cached meta and registry into the tree and hashes it, after which
// the state is safe to share.
func (s *State) seal() {
	s.put(keyMeta, &s.meta)
	s.put(keyRegistry, &s.reg)
	s.Root()
}

func cloneRegistry(r Registry) Registry {
	cl := func(ts []Trustee) []Trustee {
		out := slices.Clone(ts)
		for i := range out {
			out[i].Addrs = slices.Clone(out[i].Addrs)
		}
		return out
	}
	return Registry{Active: cl(r.Active), CertifiedBy: cl(r.CertifiedBy), Bonded: cl(r.Bonded), Unbonding: slices.Clone(r.Unbonding), NextSeniority: r.NextSeniority}
}

// trusteeSet names a trustee set for the decoder.
type trusteeSet []Trustee

// EncodeTrusteeSet is the canonical encoding of a set, the bytes TrusteeSetHash hashes.
func EncodeTrusteeSet(set []Trustee) []byte { return encode(set) }

// DecodeTrusteeSet parses a set, refusing more than MaxTrusteesCap trustees and
// anything malformed or non-canonical.
func DecodeTrusteeSet(data []byte) ([]Trustee, error) {
	var set trusteeSet
	if err := decode(data, &set, MaxStateValue); err != nil {
		return nil, err
	}
	if len(set) > MaxTrusteesCap {
		return nil, fmt.Errorf("decode trustee set: %w: %d trustees", ErrTooLarge, len(set))
	}
	return set, nil
}

// DecodeRegistry parses the trustee registry from a state proof.
func DecodeRegistry(data []byte) (*Registry, error) {
	r := new(Registry)
	if err := decode(data, r, MaxStateValue); err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	return r, nil
}
