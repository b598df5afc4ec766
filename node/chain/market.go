package chain

import (
	"fmt"
	"math/bits"
	"slices"

	"github.com/daolicloud/daoli/node/keys"
)

// The compute market's rules (docs/market.md). Every coin the market moves is moved by a
// transaction: DealOpen escrows, DealAccept escrows the provider's deposit and returns
// what the buyer over-escrowed, and ResultAccept, Verdict and DealTimeout settle. What
// the chain does by itself each block is matching (offering open deals to providers,
// and withdrawing offers that lapsed), which moves nothing. So a party that follows the
// blocks can replay its deals' money exactly with StepDeal, the function Apply uses.

// Market windows, in epochs, and the deposit rule.
const (
	// AcceptWindow is how long an offered provider has to accept: an offer made in
	// epoch e lapses after epoch e+AcceptWindow.
	AcceptWindow = 3
	// ReactWindow is how long a buyer has to accept or reject a posted result.
	ReactWindow = 6
	// VerdictWindow is how long the mediator has to rule on a disputed result.
	VerdictWindow = 12
	// DepositFactor times the price is the provider's deposit. With the buyer
	// re-executing one job in ten, a provider that cheats loses money in expectation
	// (MODiCuM's analysis).
	DepositFactor = 8
	// MaxProviders and MaxLiveDeals bound the market index, which is one state value.
	MaxProviders = 10_000
	MaxLiveDeals = 10_000
)

// ExecutorWASI is the executor of WASI preview 1 WebAssembly modules, the one every
// deal asks for.
const ExecutorWASI = "wasi-p1"

// ExecutorWebGPU is the executor of GPU jobs (node/gpu: WGSL compute shaders through
// WebGPU), which a provider registers beside ExecutorWASI when its machine has a
// WebGPU adapter; a deal naming it is offered only to such providers.
const ExecutorWebGPU = "webgpu"

// DealPhase is where a deal is in its lifecycle.
type DealPhase uint8

// Deal phases.
const (
	PhaseOpen     DealPhase = iota + 1 // escrowed, waiting for a provider to accept
	PhaseAccepted                      // the provider's deposit is in; the job runs
	PhasePosted                        // a result is posted; the buyer reacts
	PhaseDisputed                      // the buyer rejected; the mediator re-executes
	PhaseClosed                        // settled; the escrow is empty
)

func (p DealPhase) String() string {
	return [...]string{"unknown", "open", "accepted", "posted", "disputed", "closed"}[min(int(p), 5)]
}

// DealOutcome is how a closed deal ended.
type DealOutcome uint8

// Deal outcomes.
const (
	OutcomePaid          DealOutcome = iota + 1 // the buyer accepted the result
	OutcomeWithdrawn                            // the buyer withdrew before any provider accepted
	OutcomeProviderLate                         // no result by the deadline: the provider's deposit to the buyer
	OutcomeBuyerLate                            // no reaction in time: the provider is paid, with the buyer's deposit
	OutcomeProviderFined                        // the mediator found the result wrong
	OutcomeBuyerFined                           // the mediator found the result right
	OutcomeMediatorLate                         // no verdict in time: everyone gets back what they put in
)

func (o DealOutcome) String() string {
	return [...]string{"", "paid", "withdrawn", "provider-late", "buyer-late", "provider-fined", "buyer-fined", "mediator-late"}[min(int(o), 7)]
}

// PayoutKind says why a settlement paid an account.
type PayoutKind uint8

// Payout kinds.
const (
	PayoutSale        PayoutKind = iota + 1 // the price, to the provider
	PayoutRefund                            // escrow back to the buyer
	PayoutDepositBack                       // a deposit back to its owner
	PayoutFine                              // the other party's deposit, less the mediator's fee
	PayoutMediation                         // the mediator's fee
)

func (k PayoutKind) String() string {
	return [...]string{"", "sale", "refund", "deposit-back", "fine", "mediation"}[min(int(k), 5)]
}

// Payout is a payment out of a deal's escrow.
type Payout struct {
	_      struct{} `cbor:",toarray"`
	To     keys.Address
	Amount uint64
	Kind   PayoutKind
}

// Provider is a registered compute provider.
type Provider struct {
	_         struct{} `cbor:",toarray"`
	Address   keys.Address
	Spec      ProviderSpec
	Executors []string
	Price     uint64
	Slots     uint32
	Seniority uint64
	// Away is set when the provider let an offer lapse: it is offered nothing until it
	// registers again.
	Away  bool
	Deals []Hash // offered to it, or accepted and not closed
	Done  uint64 // deals it was paid for
	Fined uint64 // deals it lost its deposit on
}

// Deal is a compute deal and its escrow.
type Deal struct {
	_      struct{} `cbor:",toarray"`
	ID     Hash     // the hash of the DealOpen transaction
	Buyer  keys.Address
	Open   DealOpen
	Opened uint64
	Phase  DealPhase
	// Provider is the offered provider while Open, the accepting one after.
	Provider keys.Address
	Offered  uint64         // epoch of the current offer
	Tried    []keys.Address // providers whose offer lapsed, never offered this deal again
	Reason   string         // while Open with no offer: why no provider fits
	Price    uint64         // the accepted charge
	Deposit  uint64         // the provider's deposit
	Accepted uint64
	Output   Hash
	Status   DealStatus
	Posted   uint64
	Mediator keys.PublicKey
	Disputed uint64
	Verdict  Hash // the mediator's output
	Outcome  DealOutcome
	Closed   uint64
	Escrow   uint64 // coins the deal holds now
	Payouts  []Payout
}

// Market is the index of the market's state: every provider, and every deal not yet
// closed, in the order they opened (the order matching serves them in).
type Market struct {
	_             struct{} `cbor:",toarray"`
	Providers     []keys.Address
	Live          []Hash
	Escrow        uint64 // the sum of the live deals' escrow
	NextSeniority uint64
}

var keyMarket = hashTagged("daoli/state/market")

// ProviderKey is the state key of a provider record.
func ProviderKey(a keys.Address) Hash { return hashTagged("daoli/state/provider", a[:]) }

// DealKey is the state key of a deal record.
func DealKey(id Hash) Hash { return hashTagged("daoli/state/deal", id[:]) }

// MarketKey is the state key of the market index.
func MarketKey() Hash { return keyMarket }

// Charge is what a provider asking price per core-second charges for a deal with
// limits l: the price times the wall-time limit in whole seconds, rounded up. ok is
// false when that overflows.
func Charge(price uint64, l DealLimits) (charge uint64, ok bool) {
	secs := l.WallTimeMs/1000 + min(l.WallTimeMs%1000, 1)
	hi, lo := bits.Mul64(price, secs)
	return lo, hi == 0
}

// Market returns the market index.
func (s *State) Market() Market {
	var m Market
	if v, ok := smtGet(s.root, keyMarket); ok {
		if err := decodeTrusted(v, &m); err != nil {
			panic(fmt.Sprintf("chain: stored market index does not decode: %v", err))
		}
	}
	return m
}

// Provider returns the provider record of a, if a is registered.
func (s *State) Provider(a keys.Address) (Provider, bool) {
	var p Provider
	v, ok := smtGet(s.root, ProviderKey(a))
	if !ok {
		return p, false
	}
	if err := decodeTrusted(v, &p); err != nil {
		panic(fmt.Sprintf("chain: stored provider %s does not decode: %v", a, err))
	}
	return p, true
}

// Deal returns the deal record of id, if it exists.
func (s *State) Deal(id Hash) (Deal, bool) {
	var d Deal
	v, ok := smtGet(s.root, DealKey(id))
	if !ok {
		return d, false
	}
	if err := decodeTrusted(v, &d); err != nil {
		panic(fmt.Sprintf("chain: stored deal %s does not decode: %v", id.Short(), err))
	}
	return d, true
}

// DecodeProvider parses a provider record from a state proof.
func DecodeProvider(data []byte) (*Provider, error) {
	p := new(Provider)
	if err := decode(data, p, MaxStateValue); err != nil {
		return nil, fmt.Errorf("provider record: %w", err)
	}
	return p, nil
}

// DecodeDeal parses a deal record from a state proof.
func DecodeDeal(data []byte) (*Deal, error) {
	d := new(Deal)
	if err := decode(data, d, MaxStateValue); err != nil {
		return nil, fmt.Errorf("deal record: %w", err)
	}
	return d, nil
}

func (s *State) setMarket(m *Market)     { s.put(keyMarket, m) }
func (s *State) setProvider(p *Provider) { s.put(ProviderKey(p.Address), p) }
func (s *State) setDeal(d *Deal)         { s.put(DealKey(d.ID), d) }

// marketTx applies a market transaction whose sender has paid the fee and taken the
// nonce (from, already debited) and returns the sender's account as it is after.
func marketTx(s *State, tx *Tx, body Body, from Account) error {
	e := s.meta.Epoch + 1
	if b, ok := body.(*ProviderRegister); ok {
		s.setAccount(from)
		return register(s, tx.Sender(), b)
	}
	if b, ok := body.(*DealOpen); ok {
		return openDeal(s, tx, b, from, e)
	}
	id := dealOf(body)
	d, ok := s.Deal(id)
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoDeal, id.Short())
	}
	if err := checkDealTx(s, &d, tx, body, e); err != nil {
		return err
	}
	// The sender's own payment (a deposit) leaves its account before any payout
	// arrives, so an account that is paid by the same step sees both.
	if b, ok := body.(*DealAccept); ok {
		if err := debit(&from, b.Deposit); err != nil {
			return fmt.Errorf("deposit: %w", err)
		}
	}
	s.setAccount(from)
	if _, ok := body.(*ResultReject); ok {
		d.Mediator = pickMediator(s, &d)
	}
	before := d.Escrow
	payouts := StepDeal(&d, tx.From, body, e)
	m := s.Market()
	m.Escrow = m.Escrow - before + d.Escrow
	for _, p := range payouts {
		a := s.Account(p.To)
		if err := credit(&a, p.Amount); err != nil {
			return err
		}
		s.setAccount(a)
	}
	if d.Phase == PhaseClosed {
		m.Live = slices.DeleteFunc(m.Live, func(h Hash) bool { return h == d.ID })
		if p, ok := s.Provider(d.Provider); ok {
			p.Deals = slices.DeleteFunc(p.Deals, func(h Hash) bool { return h == d.ID })
			switch d.Outcome {
			case OutcomePaid, OutcomeBuyerLate, OutcomeBuyerFined:
				p.Done++
			case OutcomeProviderLate, OutcomeProviderFined:
				p.Fined++
			}
			s.setProvider(&p)
		}
	}
	s.setMarket(&m)
	s.setDeal(&d)
	return nil
}

func register(s *State, a keys.Address, b *ProviderRegister) error {
	p, ok := s.Provider(a)
	if !ok {
		m := s.Market()
		if len(m.Providers) >= MaxProviders {
			return fmt.Errorf("%w: %d providers registered", ErrMarketFull, len(m.Providers))
		}
		i, _ := slices.BinarySearchFunc(m.Providers, a, func(x, y keys.Address) int { return compareAddr(x, y) })
		m.Providers = slices.Insert(m.Providers, i, a)
		p = Provider{Address: a, Seniority: m.NextSeniority}
		m.NextSeniority++
		s.setMarket(&m)
	}
	p.Spec, p.Executors, p.Price, p.Slots, p.Away = b.Spec, slices.Clone(b.Executors), b.Price, b.Slots, false
	p.Spec.GPUs = slices.Clone(p.Spec.GPUs)
	s.setProvider(&p)
	return nil
}

func openDeal(s *State, tx *Tx, b *DealOpen, from Account, e uint64) error {
	if b.Deadline <= e+AcceptWindow {
		return fmt.Errorf("%w: deadline %d, want after %d", ErrDealWindow, b.Deadline, e+AcceptWindow)
	}
	escrow := b.MaxPrice + b.BuyerDeposit // validate refused an overflow
	if err := debit(&from, escrow); err != nil {
		return fmt.Errorf("escrow: %w", err)
	}
	m := s.Market()
	if len(m.Live) >= MaxLiveDeals {
		return fmt.Errorf("%w: %d live deals", ErrMarketFull, len(m.Live))
	}
	id := tx.Hash()
	if _, ok := s.Deal(id); ok {
		return fmt.Errorf("%w: deal %s exists", ErrBadBody, id.Short())
	}
	s.setAccount(from)
	d := Deal{ID: id, Buyer: tx.Sender(), Open: *b, Opened: e, Phase: PhaseOpen, Escrow: escrow}
	d.Open.Args, d.Open.Env, d.Open.Mediators = slices.Clone(b.Args), slices.Clone(b.Env), slices.Clone(b.Mediators)
	m.Live = append(m.Live, id)
	m.Escrow += escrow
	s.setMarket(&m)
	s.setDeal(&d)
	return nil
}

func dealOf(body Body) Hash {
	switch b := body.(type) {
	case *DealAccept:
		return b.Deal
	case *ResultPost:
		return b.Deal
	case *ResultAccept:
		return b.Deal
	case *ResultReject:
		return b.Deal
	case *Verdict:
		return b.Deal
	case *DealTimeout:
		return b.Deal
	}
	panic(fmt.Sprintf("chain: %T is not a deal step", body))
}

// checkDealTx checks that tx may take deal d a step in epoch e: the sender's role, the
// phase and the window.
func checkDealTx(s *State, d *Deal, tx *Tx, body Body, e uint64) error {
	sender := tx.Sender()
	want := func(ph DealPhase) error {
		if d.Phase != ph {
			return fmt.Errorf("%w: deal %s is %s, want %s", ErrDealPhase, d.ID.Short(), d.Phase, ph)
		}
		return nil
	}
	party := func(a keys.Address, role string) error {
		if sender != a {
			return fmt.Errorf("%w: only the %s may", ErrNotParty, role)
		}
		return nil
	}
	switch b := body.(type) {
	case *DealAccept:
		if err := want(PhaseOpen); err != nil {
			return err
		}
		if d.Provider.IsZero() || sender != d.Provider {
			return fmt.Errorf("%w: the deal is not offered to %s", ErrNotParty, sender)
		}
		if e > d.Offered+AcceptWindow {
			return fmt.Errorf("%w: the offer lapsed after epoch %d", ErrDealWindow, d.Offered+AcceptWindow)
		}
		p, _ := s.Provider(sender)
		charge, ok := Charge(p.Price, d.Open.Limits)
		if !ok || b.Price != charge {
			return fmt.Errorf("%w: price %d, the provider's charge for this deal is %d", ErrBadAmount, b.Price, charge)
		}
		if charge > d.Open.MaxPrice {
			return fmt.Errorf("%w: charge %d over the maximum price %d", ErrBadAmount, charge, d.Open.MaxPrice)
		}
		return nil
	case *ResultPost:
		if err := want(PhaseAccepted); err != nil {
			return err
		}
		if err := party(d.Provider, "provider"); err != nil {
			return err
		}
		if e > d.Open.Deadline {
			return fmt.Errorf("%w: the deadline was epoch %d", ErrDealWindow, d.Open.Deadline)
		}
		return nil
	case *ResultAccept, *ResultReject:
		if err := want(PhasePosted); err != nil {
			return err
		}
		if err := party(d.Buyer, "buyer"); err != nil {
			return err
		}
		if e > d.Posted+ReactWindow {
			return fmt.Errorf("%w: the reaction was due by epoch %d", ErrDealWindow, d.Posted+ReactWindow)
		}
		if _, ok := body.(*ResultReject); ok && len(mediators(s, d)) == 0 {
			return fmt.Errorf("%w: none of the deal's mediators is a trustee", ErrNotParty)
		}
		return nil
	case *Verdict:
		if err := want(PhaseDisputed); err != nil {
			return err
		}
		if tx.From != d.Mediator {
			return fmt.Errorf("%w: only the deal's mediator may rule", ErrNotParty)
		}
		if e > d.Disputed+VerdictWindow {
			return fmt.Errorf("%w: the verdict was due by epoch %d", ErrDealWindow, d.Disputed+VerdictWindow)
		}
		return nil
	case *DealTimeout:
		var due uint64
		switch d.Phase {
		case PhaseOpen:
			return party(d.Buyer, "buyer")
		case PhaseAccepted:
			if err := party(d.Buyer, "buyer"); err != nil {
				return err
			}
			due = d.Open.Deadline
		case PhasePosted:
			if err := party(d.Provider, "provider"); err != nil {
				return err
			}
			due = d.Posted + ReactWindow
		case PhaseDisputed:
			if sender != d.Buyer && sender != d.Provider {
				return fmt.Errorf("%w: only the buyer or the provider may", ErrNotParty)
			}
			due = d.Disputed + VerdictWindow
		default:
			return fmt.Errorf("%w: deal %s is %s", ErrDealPhase, d.ID.Short(), d.Phase)
		}
		if e <= due {
			return fmt.Errorf("%w: the step is due by epoch %d", ErrDealWindow, due)
		}
		return nil
	}
	panic(fmt.Sprintf("chain: %T is not a deal step", body))
}

// mediators are the trustees that may mediate d: those of its list that are bonded,
// or, for a deal that names none, the active set.
func mediators(s *State, d *Deal) []keys.PublicKey {
	var out []keys.PublicKey
	if len(d.Open.Mediators) == 0 {
		for _, t := range s.reg.Active {
			out = append(out, t.Key)
		}
		return out
	}
	for _, k := range d.Open.Mediators {
		if i := trusteeIndex(s.reg.Bonded, k); i >= 0 && !s.reg.Bonded[i].Slashed && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// StepDeal takes deal d one step with a valid transaction body sent by from in epoch
// e, and returns the payments out of its escrow. It needs nothing but the deal, so a
// party replaying the blocks computes exactly what Apply paid. A ResultReject must
// A Verdict's sender is the mediator Apply checked it to be.
func StepDeal(d *Deal, from keys.PublicKey, body Body, e uint64) []Payout {
	var out []Payout
	pay := func(to keys.Address, amount uint64, kind PayoutKind) {
		if amount == 0 {
			return
		}
		d.Escrow -= amount
		out = append(out, Payout{To: to, Amount: amount, Kind: kind})
	}
	closeAs := func(o DealOutcome) {
		if d.Escrow != 0 {
			panic(fmt.Sprintf("chain: deal %s closed with %d in escrow", d.ID.Short(), d.Escrow))
		}
		d.Phase, d.Outcome, d.Closed = PhaseClosed, o, e
		d.Payouts = append(d.Payouts, out...)
	}
	// fine settles a mediation: the faulty party's deposit, less the mediator's fee
	// (the price, at most the deposit), goes to the other party.
	fine := func(to keys.Address, deposit uint64) {
		fee := min(d.Price, deposit)
		pay(keys.AddressOf(d.Mediator), fee, PayoutMediation)
		pay(to, deposit-fee, PayoutFine)
	}
	switch b := body.(type) {
	case *DealAccept:
		d.Phase, d.Provider, d.Price, d.Deposit, d.Accepted, d.Reason = PhaseAccepted, keys.AddressOf(from), b.Price, b.Deposit, e, ""
		d.Escrow += b.Deposit
		pay(d.Buyer, d.Open.MaxPrice-b.Price, PayoutRefund)
		d.Payouts = append(d.Payouts, out...)
	case *ResultPost:
		d.Phase, d.Output, d.Status, d.Posted = PhasePosted, b.Output, b.Status, e
	case *ResultAccept:
		pay(d.Provider, d.Price, PayoutSale)
		pay(d.Provider, d.Deposit, PayoutDepositBack)
		pay(d.Buyer, d.Open.BuyerDeposit, PayoutDepositBack)
		closeAs(OutcomePaid)
	case *ResultReject:
		d.Phase, d.Disputed = PhaseDisputed, e
	case *Verdict:
		d.Verdict, d.Mediator = b.Output, from
		if b.ProviderAtFault {
			pay(d.Buyer, d.Price, PayoutRefund)
			pay(d.Buyer, d.Open.BuyerDeposit, PayoutDepositBack)
			fine(d.Buyer, d.Deposit)
			closeAs(OutcomeProviderFined)
		} else {
			pay(d.Provider, d.Price, PayoutSale)
			pay(d.Provider, d.Deposit, PayoutDepositBack)
			fine(d.Provider, d.Open.BuyerDeposit)
			closeAs(OutcomeBuyerFined)
		}
	case *DealTimeout:
		switch d.Phase {
		case PhaseOpen:
			pay(d.Buyer, d.Escrow, PayoutRefund)
			closeAs(OutcomeWithdrawn)
		case PhaseAccepted:
			pay(d.Buyer, d.Price, PayoutRefund)
			pay(d.Buyer, d.Open.BuyerDeposit, PayoutDepositBack)
			pay(d.Buyer, d.Deposit, PayoutFine)
			closeAs(OutcomeProviderLate)
		case PhasePosted:
			pay(d.Provider, d.Price, PayoutSale)
			pay(d.Provider, d.Deposit, PayoutDepositBack)
			pay(d.Provider, d.Open.BuyerDeposit, PayoutFine)
			closeAs(OutcomeBuyerLate)
		case PhaseDisputed:
			pay(d.Buyer, d.Price, PayoutRefund)
			pay(d.Buyer, d.Open.BuyerDeposit, PayoutDepositBack)
			pay(d.Provider, d.Deposit, PayoutDepositBack)
			closeAs(OutcomeMediatorLate)
		}
	}
	return out
}

// pickMediator chooses the mediator of a disputed deal among those allowed, by the
// deal's ID, so disputes spread over the trustees.
func pickMediator(s *State, d *Deal) keys.PublicKey {
	ms := mediators(s, d)
	return ms[int(d.ID[0])%len(ms)]
}

func compareAddr(a, b keys.Address) int {
	for i := range a {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return 0
}

// EncodeDeal is the canonical encoding of a deal record, as the state holds it.
func EncodeDeal(d *Deal) []byte { return encode(d) }

// DealOf is the deal a market step names; zero for DealOpen and ProviderRegister.
func DealOf(body Body) Hash {
	switch body.(type) {
	case *DealOpen, *ProviderRegister:
		return Hash{}
	}
	return dealOf(body)
}
