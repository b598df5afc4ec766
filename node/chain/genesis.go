package chain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"time"

	"github.com/daolicloud/daoli/node/keys"
)

// Params are the protocol constants a chain fixes at genesis. ChainID, GenesisTime and
// GenesisSupply are not written under "params" in the genesis file; their cbor tags
// keep them in the state, where the encoder would otherwise follow json's "-".
type Params struct {
	_                  struct{} `cbor:",toarray"`
	ChainID            string   `cbor:"chain_id" json:"-"`
	GenesisTime        int64    `cbor:"genesis_time" json:"-"`
	CycleMs            uint64   `json:"cycle_ms"`            // genesis cycle length, until k blocks exist
	PhiMs              uint64   `json:"phi_ms"`              // Φ: the mining window
	DeltaMs            uint64   `json:"delta_ms"`            // Δ: the communication window
	KStar              uint32   `json:"k_star"`              // K*: tickets per epoch that retargeting aims at
	Payroll            uint32   `json:"payroll"`             // P: paid tickets after the winner
	Reward             uint64   `json:"reward"`              // R: minted per epoch with a winner
	MinBond            uint64   `json:"min_bond"`            // smallest trustee bond
	MembershipInterval uint64   `json:"membership_interval"` // M: epochs between membership changes
	MaxTrustees        uint32   `json:"max_trustees"`        // cap of the active set
	UnbondDelay        uint64   `json:"unbond_delay"`        // epochs before an unbonded bond is paid back
	InitialTarget      Hash     `json:"initial_target"`      // admission target of epoch 1
	GenesisSupply      uint64   `cbor:"genesis_supply" json:"-"`
}

// GenesisAccount is an initial balance.
type GenesisAccount struct {
	Address keys.Address `json:"address"`
	Balance uint64       `json:"balance"`
}

// GenesisTrustee is an initial trustee.
type GenesisTrustee struct {
	Key    keys.PublicKey `json:"key"`
	Payout keys.Address   `json:"payout"`
	Bond   uint64         `json:"bond"`
	Addrs  []string       `json:"addrs"` // libp2p multiaddrs, with /p2p/<peer ID>
}

// Genesis is the genesis file: the chain's identity, parameters, initial accounts and
// initial trustees. It is JSON so operators can read and write it.
type Genesis struct {
	ChainID  string           `json:"chain_id"`
	Time     time.Time        `json:"time"`
	Params   Params           `json:"params"`
	Accounts []GenesisAccount `json:"accounts"`
	Trustees []GenesisTrustee `json:"trustees"`
}

// Limits of the genesis file.
const (
	MaxGenesisSize     = 16 << 20
	MaxChainID         = 64
	MaxGenesisAccounts = 100_000
	MaxTrusteesCap     = 1000
	MaxPayroll         = 1024
	MaxGenesisYear     = 2200
)

// DecodeGenesis parses and validates a genesis file. Unknown fields are errors, so a
// typo in a parameter name is caught rather than silently defaulted.
func DecodeGenesis(data []byte) (*Genesis, error) {
	if len(data) > MaxGenesisSize {
		return nil, fmt.Errorf("%w: %w: %d bytes, limit %d", ErrBadGenesis, ErrTooLarge, len(data), MaxGenesisSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	g := new(Genesis)
	if err := dec.Decode(g); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadGenesis, err)
	}
	// More would miss a stray '}' or ']'; only the end of the input may follow.
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after the genesis object", ErrBadGenesis)
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return g, nil
}

// EncodeGenesis writes g as indented JSON.
func EncodeGenesis(g *Genesis) ([]byte, error) {
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode genesis: %w", err)
	}
	return append(b, '\n'), nil
}

// Validate checks every rule a genesis must satisfy.
func (g *Genesis) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrBadGenesis, fmt.Sprintf(format, a...))
	}
	p := &g.Params
	switch {
	case g.ChainID == "" || len(g.ChainID) > MaxChainID:
		return bad("chain_id must be 1 to %d characters", MaxChainID)
	case checkChainID(g.ChainID) != nil:
		return bad("%v", checkChainID(g.ChainID))
	case g.Time.IsZero() || g.Time.Year() < 2000 || g.Time.Year() > MaxGenesisYear:
		// Chain time is int64 nanoseconds, which end in 2262.
		return bad("time must be a date between 2000 and %d", MaxGenesisYear)
	case p.CycleMs == 0 || p.PhiMs == 0 || p.DeltaMs == 0:
		return bad("cycle_ms, phi_ms and delta_ms must be positive")
	case p.CycleMs > 24*3600*1000 || p.PhiMs > p.CycleMs || p.DeltaMs > p.CycleMs-p.PhiMs:
		return bad("phi_ms + delta_ms must fit in cycle_ms (at most a day)")
	case p.KStar == 0:
		return bad("k_star must be positive")
	case p.Payroll > MaxPayroll:
		return bad("payroll must be at most %d", MaxPayroll)
	case p.Reward > math.MaxUint64/10:
		return bad("reward too large")
	case p.MinBond == 0:
		return bad("min_bond must be positive")
	case p.MembershipInterval == 0:
		return bad("membership_interval must be positive")
	case p.MaxTrustees == 0 || p.MaxTrustees > MaxTrusteesCap:
		return bad("max_trustees must be 1 to %d", MaxTrusteesCap)
	case p.InitialTarget.IsZero():
		return bad("initial_target must be positive")
	case len(g.Accounts) > MaxGenesisAccounts:
		return bad("more than %d accounts", MaxGenesisAccounts)
	case len(g.Trustees) == 0:
		return bad("at least one trustee is needed")
	case len(g.Trustees) > int(p.MaxTrustees):
		return bad("%d trustees, max_trustees is %d", len(g.Trustees), p.MaxTrustees)
	}
	var supply uint64
	add := func(v uint64) error {
		s, carry := bits.Add64(supply, v, 0)
		if carry != 0 {
			return bad("total supply overflows")
		}
		supply = s
		return nil
	}
	seen := map[keys.Address]bool{}
	for i, a := range g.Accounts {
		if seen[a.Address] {
			return bad("account %s listed twice", a.Address)
		}
		seen[a.Address] = true
		if a.Balance == 0 {
			return bad("account %d has a zero balance", i)
		}
		if err := add(a.Balance); err != nil {
			return err
		}
	}
	trustees := map[keys.PublicKey]bool{}
	for i, t := range g.Trustees {
		if trustees[t.Key] {
			return bad("trustee %s listed twice", t.Key)
		}
		trustees[t.Key] = true
		if t.Bond < p.MinBond {
			return bad("trustee %d bond %d is below min_bond %d", i, t.Bond, p.MinBond)
		}
		if err := validateAddrs(t.Addrs); err != nil {
			return bad("trustee %d: %v", i, err)
		}
		if err := add(t.Bond); err != nil {
			return err
		}
	}
	return nil
}

func checkChainID(id string) error {
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return errors.New("chain_id may hold only a-z, 0-9, '-' and '.'")
		}
	}
	return nil
}

// State builds the genesis state.
func (g *Genesis) State() (*State, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	s := &State{changed: map[Hash]bool{}}
	s.params = g.Params
	s.params.ChainID = g.ChainID
	s.params.GenesisTime = g.Time.UnixNano()
	for _, a := range g.Accounts {
		s.params.GenesisSupply += a.Balance
		s.setAccount(Account{Address: a.Address, Balance: a.Balance})
	}
	for i, t := range g.Trustees {
		s.params.GenesisSupply += t.Bond
		s.reg.Bonded = append(s.reg.Bonded, Trustee{Key: t.Key, Payout: t.Payout, Bond: t.Bond, Seniority: uint64(i), Addrs: t.Addrs})
	}
	s.reg.NextSeniority = uint64(len(g.Trustees))
	s.reg.Active = cloneRegistry(s.reg).Bonded
	s.reg.CertifiedBy = cloneRegistry(s.reg).Bonded
	s.meta = Meta{Time: s.params.GenesisTime, Target: g.Params.InitialTarget}
	s.put(keyParams, &s.params)
	s.seal()
	s.tip = g.Block(s).Hash()
	return s, nil
}

// Block returns the genesis block of state s, the state g.State returned.
func (g *Genesis) Block(s *State) *Block {
	set := TrusteeSetHash(s.reg.Active)
	return &Block{Header: Header{
		ChainID:            g.ChainID,
		Time:               s.params.GenesisTime,
		StateRoot:          s.Root(),
		TrusteeSetHash:     set,
		NextTrusteeSetHash: set,
		Target:             g.Params.InitialTarget,
	}}
}
