package chain

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/daolicloud/daoli/node/keys"
)

// Source says why an account was credited by a block.
type Source uint8

// Credit sources.
const (
	SourceWinner     Source = iota + 1 // 40 % of the reward, to the epoch's winner
	SourcePayroll                      // 30 % of the reward, shared by the payroll
	SourceTrustee                      // 30 % of the reward, shared by LastCert's signers
	SourceFees                         // the payload's fees, shared by LastCert's signers
	SourceBondReturn                   // an unbonded trustee bond paid back
)

func (s Source) String() string {
	return [...]string{"", "winner", "payroll", "trustee", "fees", "bond-return"}[min(int(s), 5)]
}

// Credit is a payment a block made that no transaction carries: minted rewards, fees
// and returned bonds. The light node's earnings ledger records these.
type Credit struct {
	To     keys.Address
	Amount uint64
	Source Source
}

// TxReceipt records an applied transaction.
type TxReceipt struct {
	Hash Hash
	Kind TxKind
	From keys.Address
	Fee  uint64
}

// Receipts is what applying a block did beyond the new state.
type Receipts struct {
	Txs     []TxReceipt
	Credits []Credit
	Minted  uint64
	Burned  uint64
}

// Apply validates block b against state s and returns the state after it. It checks the
// header against the parent, the body against the header, the parent's certificate,
// every ticket and transaction, the reward split, the membership rules and the
// resulting state root. s is left unchanged; on error nothing is returned.
func Apply(s *State, b *Block) (*State, *Receipts, error) { return ApplyWith(s, b, nil) }

// ApplyWith is Apply with signatures and VRF proofs looked up in, and added to, the
// node's cache c (nil checks them all). Every other rule is checked in full.
func ApplyWith(s *State, b *Block, c *keys.SigCache) (*State, *Receipts, error) {
	next, rec, err := apply(s, b, c)
	if err != nil {
		return nil, nil, err
	}
	h := &b.Header
	if got := next.Root(); got != h.StateRoot {
		return nil, nil, fmt.Errorf("%w: state root %s, header says %s", ErrBadBlock, got.Short(), h.StateRoot.Short())
	}
	if got := TrusteeSetHash(next.reg.Active); got != h.NextTrusteeSetHash {
		return nil, nil, fmt.Errorf("%w: next trustee set %s, header says %s", ErrBadBlock, got.Short(), h.NextTrusteeSetHash.Short())
	}
	next.tip = b.Hash()
	return next, rec, nil
}

// Proposal is what a leader chooses for an epoch; Propose turns it into a block.
type Proposal struct {
	Time     int64 // used only for epoch 1; later epochs take LastCert's median
	Winner   *KeyBlock
	Payroll  []KeyBlock
	Payload  []Tx
	LastCert *Cert
	Tickets  uint32 // the header's Tickets: the epoch's admitted count (luck.AdmittedCount)
}

// Propose builds the block that follows s with p's content, filling in every
// commitment, and returns it with the state after it.
func Propose(s *State, p Proposal) (*Block, *State, *Receipts, error) { return ProposeWith(s, p, nil) }

// ProposeWith is Propose with the node's signature cache c, as ApplyWith.
func ProposeWith(s *State, p Proposal, c *keys.SigCache) (*Block, *State, *Receipts, error) {
	b := &Block{Winner: p.Winner, Payroll: p.Payroll, Payload: p.Payload, LastCert: p.LastCert}
	h := &b.Header
	h.ChainID = s.params.ChainID
	h.Epoch = s.meta.Epoch + 1
	h.Parent = s.tip
	h.Time = p.Time
	if p.LastCert != nil {
		h.Time = p.LastCert.MedianTime()
	}
	h.WinnerHash = WinnerHash(p.Winner)
	h.PayrollRoot = PayrollRoot(p.Payroll)
	h.PayloadRoot = PayloadRoot(p.Payload)
	h.TrusteeSetHash = TrusteeSetHash(s.reg.Active)
	h.LastCertHash = p.LastCert.Hash()
	h.Target = s.meta.Target
	h.Tickets = p.Tickets
	next, rec, err := apply(s, b, c)
	if err != nil {
		return nil, nil, nil, err
	}
	h.StateRoot = next.Root()
	h.NextTrusteeSetHash = TrusteeSetHash(next.reg.Active)
	next.tip = b.Hash()
	return b, next, rec, nil
}

// apply runs every rule except the two commitments that only its result can fill in.
func apply(s *State, b *Block, c *keys.SigCache) (*State, *Receipts, error) {
	h := &b.Header
	p := &s.params
	e := s.meta.Epoch + 1
	fail := func(format string, a ...any) (*State, *Receipts, error) {
		return nil, nil, fmt.Errorf("block %d: %w: %s", h.Epoch, ErrBadBlock, fmt.Sprintf(format, a...))
	}
	switch {
	case h.ChainID != p.ChainID:
		return nil, nil, fmt.Errorf("block %d: %w: %q", h.Epoch, ErrWrongChain, h.ChainID)
	case h.Epoch != e:
		return fail("epoch %d, want %d", h.Epoch, e)
	case h.Parent != s.tip:
		return fail("parent %s, want %s", h.Parent.Short(), s.tip.Short())
	case h.TrusteeSetHash != TrusteeSetHash(s.reg.Active):
		return fail("trustee set hash does not match the state")
	case h.Target != s.meta.Target:
		return fail("target %s, want %s", h.Target.Short(), s.meta.Target.Short())
	}
	if err := b.CheckBody(); err != nil {
		return nil, nil, fmt.Errorf("block %d: %w", h.Epoch, err)
	}
	// The parent's certificate: absent only after genesis, which nobody certifies.
	if e == 1 {
		if b.LastCert != nil {
			return fail("first block carries a certificate")
		}
		if h.Time != p.GenesisTime {
			return fail("time %d, want the genesis time %d", h.Time, p.GenesisTime)
		}
	} else {
		if err := b.LastCert.VerifyWith(p.ChainID, e-1, h.Parent, s.reg.CertifiedBy, c); err != nil {
			return nil, nil, fmt.Errorf("block %d: last certificate: %w", h.Epoch, err)
		}
		if t := b.LastCert.MedianTime(); h.Time != t {
			return fail("time %d, want the last certificate's median %d", h.Time, t)
		}
		if h.Time <= s.meta.Time {
			return fail("time %d does not advance past %d", h.Time, s.meta.Time)
		}
	}
	if err := checkTickets(s, b, c); err != nil {
		return nil, nil, fmt.Errorf("block %d: %w", h.Epoch, err)
	}

	next := s.child()
	rec := &Receipts{}
	if err := applyPayload(next, b.Payload, rec, c); err != nil {
		return nil, nil, fmt.Errorf("block %d: %w", h.Epoch, err)
	}
	matchDeals(next, e)
	if err := payRewards(next, b, rec); err != nil {
		return nil, nil, fmt.Errorf("block %d: %w", h.Epoch, err)
	}
	next.reg.CertifiedBy = cloneRegistry(next.reg).Active
	if err := releaseBonds(next, e, rec); err != nil {
		return nil, nil, fmt.Errorf("block %d: %w", h.Epoch, err)
	}
	if e%p.MembershipInterval == 0 {
		changeMembership(next, e)
	}
	next.meta.Epoch = e
	next.meta.Time = h.Time
	next.meta.Target = Retarget(h.Target, h.Tickets, p.KStar)
	next.meta.Minted += rec.Minted
	next.meta.Burned += rec.Burned
	next.seal()
	return next, rec, nil
}

// checkTickets verifies the winner and payroll: each a valid, admitted ticket of this
// epoch from a distinct miner, ordered by luck, the payroll no longer than P. The
// header's Tickets is a median of counts the reports behind the block state, which
// node/ibft checks; the block alone holds nothing to check it against (the quorum's
// trustees may have admitted fewer tickets than the union of their reports holds, or
// far more).
func checkTickets(s *State, b *Block, c *keys.SigCache) error {
	h := &b.Header
	if b.Winner == nil {
		if len(b.Payroll) > 0 {
			return fmt.Errorf("%w: payroll without a winner", ErrBadBlock)
		}
		return nil
	}
	if len(b.Payroll) > int(s.params.Payroll) {
		return fmt.Errorf("%w: payroll of %d, limit %d", ErrBadBlock, len(b.Payroll), s.params.Payroll)
	}
	miners := map[keys.PublicKey]bool{}
	var prev Luck
	for i := -1; i < len(b.Payroll); i++ {
		kb := b.Winner
		if i >= 0 {
			kb = &b.Payroll[i]
		}
		if miners[kb.Miner] {
			return fmt.Errorf("%w: two tickets from miner %s", ErrBadBlock, kb.Miner.String()[:8])
		}
		miners[kb.Miner] = true
		l, err := kb.VerifyWith(h.ChainID, h.Epoch, h.Parent, h.Target, c)
		if err != nil {
			return fmt.Errorf("ticket %d: %w", i+1, err)
		}
		if i >= 0 && !prev.Less(l) {
			return fmt.Errorf("%w: ticket %d is not less lucky than the one before it", ErrBadBlock, i+1)
		}
		prev = l
	}
	return nil
}

func applyPayload(s *State, txs []Tx, rec *Receipts, c *keys.SigCache) error {
	// Signatures first, in one batch: the expensive part, and order-independent.
	bodies := make([]Body, len(txs))
	bv := keys.NewCachedBatchVerifier(len(txs), c)
	for i := range txs {
		tx := &txs[i]
		if tx.ChainID != s.params.ChainID {
			return fmt.Errorf("tx %d: %w: %q", i, ErrWrongChain, tx.ChainID)
		}
		body, err := tx.DecodeBody()
		if err != nil {
			return fmt.Errorf("tx %d: %w", i, err)
		}
		bodies[i] = body
		bv.Add(tx.From, tx.SignBytes(), tx.Sig)
	}
	if ok, valid := bv.Verify(); !ok {
		for i, v := range valid {
			if !v {
				return fmt.Errorf("tx %d: %w", i, ErrBadSignature)
			}
		}
		return ErrBadSignature
	}
	for i := range txs {
		if err := applyTx(s, &txs[i], bodies[i], rec, c); err != nil {
			return fmt.Errorf("tx %d (%s): %w", i, txs[i].Kind, err)
		}
	}
	return nil
}

// ApplyTx checks one transaction against s and returns the state after it, for a
// mempool that must reject invalid transactions at the edge. Signature included.
func ApplyTx(s *State, tx *Tx) (*State, error) { return ApplyTxWith(s, tx, nil) }

// ApplyTxWith is ApplyTx with the node's signature cache c, as ApplyWith.
func ApplyTxWith(s *State, tx *Tx, c *keys.SigCache) (*State, error) {
	next, err := CheckTx(s, tx, c)
	if err != nil {
		return nil, err
	}
	next.Root()
	return next, nil
}

// CheckTx is ApplyTxWith for a caller that wants to know whether tx applies and keeps
// the resulting state to itself, as a mempool checks one transaction after another: the
// new state's root is not computed, which costs a hash per level of the tree for each
// account written. Computing a root caches hashes in the tree, so the state must not
// reach another goroutine before its Root has been taken.
func CheckTx(s *State, tx *Tx, c *keys.SigCache) (*State, error) {
	body, err := tx.ValidateBasicWith(s.params.ChainID, c)
	if err != nil {
		return nil, err
	}
	next := s.txChild()
	if err := applyTx(next, tx, body, &Receipts{}, c); err != nil {
		return nil, err
	}
	return next, nil
}

func applyTx(s *State, tx *Tx, body Body, rec *Receipts, c *keys.SigCache) error {
	from := s.Account(tx.Sender())
	if tx.Nonce != from.Nonce {
		return fmt.Errorf("%w: %d, account expects %d", ErrBadNonce, tx.Nonce, from.Nonce)
	}
	if err := debit(&from, tx.Fee); err != nil {
		return fmt.Errorf("fee: %w", err)
	}
	from.Nonce++
	if tx.Kind.Market() {
		if err := marketTx(s, tx, body, from); err != nil {
			return err
		}
		rec.Txs = append(rec.Txs, TxReceipt{Hash: tx.Hash(), Kind: tx.Kind, From: tx.Sender(), Fee: tx.Fee})
		return nil
	}
	switch b := body.(type) {
	case *Transfer:
		if _, carry := bits.Add64(b.Amount, tx.Fee, 0); carry != 0 {
			return fmt.Errorf("%w: amount %d + fee %d", ErrOverflow, b.Amount, tx.Fee)
		}
		if err := debit(&from, b.Amount); err != nil {
			return err
		}
		s.setAccount(from)
		to := s.Account(b.To)
		if err := credit(&to, b.Amount); err != nil {
			return err
		}
		s.setAccount(to)
	case *TrusteeBond:
		s.ownRegistry()
		if b.Amount < s.params.MinBond {
			return fmt.Errorf("%w: bond %d below the minimum %d", ErrBadAmount, b.Amount, s.params.MinBond)
		}
		if trusteeIndex(s.reg.Bonded, tx.From) >= 0 || unbondingIndex(s.reg.Unbonding, tx.From) >= 0 {
			return ErrAlreadyTrustee
		}
		if err := debit(&from, b.Amount); err != nil {
			return err
		}
		s.setAccount(from)
		s.reg.Bonded = append(s.reg.Bonded, Trustee{Key: tx.From, Payout: tx.Sender(), Bond: b.Amount, Seniority: s.reg.NextSeniority, Addrs: slices.Clone(b.Addrs)})
		s.reg.NextSeniority++
	case *TrusteeUnbond:
		s.ownRegistry()
		i := trusteeIndex(s.reg.Bonded, tx.From)
		if i < 0 || s.reg.Bonded[i].Leaving || s.reg.Bonded[i].Slashed {
			return ErrNotTrustee
		}
		if countStaying(s.reg.Bonded) <= 1 {
			return ErrLastTrustee
		}
		s.reg.Bonded[i].Leaving = true
		s.setAccount(from)
	case *Evidence:
		s.ownRegistry()
		if err := slash(s, b, rec, c); err != nil {
			return err
		}
		s.setAccount(from)
	default:
		panic(fmt.Sprintf("chain: kind %s has no rule", tx.Kind))
	}
	rec.Txs = append(rec.Txs, TxReceipt{Hash: tx.Hash(), Kind: tx.Kind, From: tx.Sender(), Fee: tx.Fee})
	return nil
}

// slash burns the bond of a trustee proven to have equivocated; it leaves the set at
// the next membership boundary.
func slash(s *State, ev *Evidence, rec *Receipts, c *keys.SigCache) error {
	if ev.A.ChainID != s.params.ChainID {
		return fmt.Errorf("%w: %w", ErrBadEvidence, ErrWrongChain)
	}
	if err := ev.A.VerifySigWith(c); err != nil {
		return fmt.Errorf("%w: first vote: %w", ErrBadEvidence, err)
	}
	if err := ev.B.VerifySigWith(c); err != nil {
		return fmt.Errorf("%w: second vote: %w", ErrBadEvidence, err)
	}
	if i := trusteeIndex(s.reg.Bonded, ev.A.Trustee); i >= 0 {
		t := &s.reg.Bonded[i]
		if t.Slashed {
			return fmt.Errorf("%w: trustee already slashed", ErrBadEvidence)
		}
		rec.Burned += t.Bond
		t.Bond, t.Slashed = 0, true
		return nil
	}
	if i := unbondingIndex(s.reg.Unbonding, ev.A.Trustee); i >= 0 {
		rec.Burned += s.reg.Unbonding[i].Amount
		s.reg.Unbonding = slices.Delete(s.reg.Unbonding, i, i+1)
		return nil
	}
	return fmt.Errorf("%w: %w", ErrBadEvidence, ErrNotTrustee)
}

// payRewards mints the reward split of docs/rewards.md and pays the fees. Integer
// remainders are not minted (rewards) or are burned (fees), so the supply invariant is
// exact.
func payRewards(s *State, b *Block, rec *Receipts) error {
	fees, minted, err := Credits(&s.params, b, s.reg.CertifiedBy)
	if err != nil {
		return err
	}
	pay := func(c Credit) error {
		a := s.Account(c.To)
		if err := credit(&a, c.Amount); err != nil {
			return err
		}
		s.setAccount(a)
		rec.Credits = append(rec.Credits, c)
		return nil
	}
	var total, paid uint64
	for i := range rec.Txs {
		total += rec.Txs[i].Fee // Credits summed the same fees without overflow
	}
	for _, c := range fees {
		if err := pay(c); err != nil {
			return err
		}
		paid += c.Amount
	}
	rec.Burned += total - paid
	if len(minted) == 0 || s.params.Reward > math.MaxUint64-supply(s) {
		// Minting would overflow the supply: the chain has minted all it ever can.
		return nil
	}
	for _, c := range minted {
		if err := pay(c); err != nil {
			return err
		}
		rec.Minted += c.Amount
	}
	return nil
}

// Credits is how block b pays out, given the set that certified its parent: the
// payload's fees shared by the parent certificate's signers, and, when the epoch has a
// winner, the minted reward split 40/30/30 among the winner, those signers and the
// payroll. Integer remainders are not paid. A light node derives its earnings from it
// without the state; the one case it cannot see, a supply that would overflow, mints
// nothing at all.
func Credits(p *Params, b *Block, certifiedBy []Trustee) (fees, minted []Credit, err error) {
	var total uint64
	for i := range b.Payload {
		f, carry := bits.Add64(total, b.Payload[i].Fee, 0)
		if carry != 0 {
			return nil, nil, fmt.Errorf("fees: %w", ErrOverflow)
		}
		total = f
	}
	var signers []keys.Address
	for _, k := range b.LastCert.Signers() {
		i := trusteeIndex(certifiedBy, k)
		if i < 0 {
			return nil, nil, fmt.Errorf("%w: certificate signer %s is not in the set that certified the parent", ErrBadCert, k.String()[:8])
		}
		signers = append(signers, certifiedBy[i].Payout)
	}
	share := func(out []Credit, pool uint64, to []keys.Address, src Source) []Credit {
		if len(to) == 0 {
			return out
		}
		each := pool / uint64(len(to))
		if each == 0 {
			return out
		}
		for _, a := range to {
			out = append(out, Credit{To: a, Amount: each, Source: src})
		}
		return out
	}
	fees = share(nil, total, signers, SourceFees)
	if b.Winner == nil {
		return fees, nil, nil
	}
	r := p.Reward
	winner, trustees := r*4/10, r*3/10
	if winner > 0 {
		minted = append(minted, Credit{To: b.Winner.Payout, Amount: winner, Source: SourceWinner})
	}
	minted = share(minted, trustees, signers, SourceTrustee)
	payees := make([]keys.Address, len(b.Payroll))
	for i := range b.Payroll {
		payees[i] = b.Payroll[i].Payout
	}
	minted = share(minted, r-winner-trustees, payees, SourcePayroll)
	return fees, minted, nil
}

// releaseBonds pays back the unbonded bonds whose delay has passed.
func releaseBonds(s *State, e uint64, rec *Receipts) error {
	keep := s.reg.Unbonding[:0]
	for _, u := range s.reg.Unbonding {
		if u.Release > e {
			keep = append(keep, u)
			continue
		}
		a := s.Account(u.Payout)
		if err := credit(&a, u.Amount); err != nil {
			return err
		}
		s.setAccount(a)
		rec.Credits = append(rec.Credits, Credit{To: u.Payout, Amount: u.Amount, Source: SourceBondReturn})
	}
	s.reg.Unbonding = keep
	return nil
}

// changeMembership runs at a membership boundary: leavers start unbonding, slashed
// trustees go, and the most senior remaining bonded trustees (up to the cap) serve.
func changeMembership(s *State, e uint64) {
	bonded := s.reg.Bonded[:0]
	for _, t := range s.reg.Bonded {
		switch {
		case t.Slashed:
		case t.Leaving:
			// Saturating: a delay near 2⁶⁴ must mean "not for ages", not wrap to "now".
			release, carry := bits.Add64(e, s.params.UnbondDelay, 0)
			if carry != 0 {
				release = math.MaxUint64
			}
			s.reg.Unbonding = append(s.reg.Unbonding, Unbonding{Key: t.Key, Payout: t.Payout, Amount: t.Bond, Release: release})
		default:
			bonded = append(bonded, t)
		}
	}
	slices.SortFunc(bonded, func(a, b Trustee) int { return cmp.Compare(a.Seniority, b.Seniority) })
	s.reg.Bonded = bonded
	s.reg.Active = slices.Clone(bonded[:min(len(bonded), int(s.params.MaxTrustees))])
}

// supply is the total of all coins: genesis + minted − burned, including this block's.
func supply(s *State) uint64 {
	return s.params.GenesisSupply + s.meta.Minted - s.meta.Burned
}

func countStaying(ts []Trustee) int {
	n := 0
	for _, t := range ts {
		if !t.Leaving && !t.Slashed {
			n++
		}
	}
	return n
}

func trusteeIndex(ts []Trustee, k keys.PublicKey) int {
	return slices.IndexFunc(ts, func(t Trustee) bool { return bytes.Equal(t.Key[:], k[:]) })
}

func unbondingIndex(us []Unbonding, k keys.PublicKey) int {
	return slices.IndexFunc(us, func(u Unbonding) bool { return u.Key == k })
}

func debit(a *Account, amount uint64) error {
	if a.Balance < amount {
		return fmt.Errorf("%w: balance %d, need %d", ErrInsufficient, a.Balance, amount)
	}
	a.Balance -= amount
	return nil
}

func credit(a *Account, amount uint64) error {
	sum, carry := bits.Add64(a.Balance, amount, 0)
	if carry != 0 {
		return fmt.Errorf("%w: balance %d + %d", ErrOverflow, a.Balance, amount)
	}
	a.Balance = sum
	return nil
}
