package light

import (
	"fmt"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/fxamacker/cbor/v2"
)

// Source says where an earnings-ledger entry comes from.
type Source uint8

// Ledger sources. Incoming ones add to the balance, outgoing ones take from it.
const (
	SourceWin         Source = iota + 1 // this node's ticket won the epoch (40 % of the reward)
	SourcePayroll                       // a payroll wage (the next luckiest tickets share 30 %)
	SourceTrustee                       // a trustee's share of the reward, for a node that is one
	SourceFees                          // a trustee's share of the fees
	SourceBondReturn                    // a trustee bond paid back
	SourceReceived                      // a transfer from another account
	SourceSent                          // a transfer to another account
	SourceFeePaid                       // the fee of a transaction this node sent
	SourceBond                          // coins locked as a trustee bond
	SourceSale                          // the price of a compute deal this node ran
	SourceMediation                     // a mediator's fee, for a trustee that ruled on a dispute
	SourceFine                          // the other party's deposit, for a deal it lost
	SourceRefund                        // escrow back to this node as a buyer
	SourceDepositBack                   // a deposit back from a deal's escrow
	SourceEscrow                        // coins put in escrow opening a deal
	SourceDeposit                       // a provider's deposit accepting a deal
	sourceEnd
)

var sourceNames = [...]string{"", "win", "payroll", "trustee", "fees", "bond-return", "received", "sent", "fee-paid", "bond",
	"sale", "mediation", "fine", "refund", "deposit-back", "escrow", "deposit"}

func (s Source) String() string {
	if s == 0 || s >= sourceEnd {
		return fmt.Sprintf("source(%d)", uint8(s))
	}
	return sourceNames[s]
}

// Incoming reports whether entries of s add to the balance.
func (s Source) Incoming() bool {
	switch s {
	case SourceSent, SourceFeePaid, SourceBond, SourceEscrow, SourceDeposit:
		return false
	}
	return true
}

// Earning reports whether s is income from taking part (mining, trusteeship, selling
// compute, mediating), as the dashboard counts earnings; transfers, refunds and
// deposits coming back are not.
func (s Source) Earning() bool {
	return s <= SourceBondReturn || s == SourceSale || s == SourceMediation || s == SourceFine
}

// payoutSource is the ledger source of a deal payout.
func payoutSource(k chain.PayoutKind) Source {
	switch k {
	case chain.PayoutSale:
		return SourceSale
	case chain.PayoutMediation:
		return SourceMediation
	case chain.PayoutFine:
		return SourceFine
	case chain.PayoutRefund:
		return SourceRefund
	}
	return SourceDepositBack
}

// Entry is one line of the earnings ledger: what changed this node's balance, and the
// block that proves it.
type Entry struct {
	_      struct{} `cbor:",toarray"`
	Height uint64
	Index  uint32 // order within the block
	Block  chain.Hash
	Time   int64 // the block's BFT time, Unix nanoseconds
	Source Source
	Amount uint64
	// Peer is the other account of a transfer; zero otherwise.
	Peer keys.Address
	// Tx is the transaction behind the entry; zero for rewards.
	Tx chain.Hash
}

// Signed is the entry's effect on the balance.
func (e *Entry) Signed() int64 {
	if e.Source.Incoming() {
		return int64(e.Amount)
	}
	return -int64(e.Amount)
}

// At is the entry's time.
func (e *Entry) At() time.Time { return time.Unix(0, e.Time) }

// Entries derives the ledger entries of address me from a verified block, given the
// trustee set that certified its parent (whose signers share fees and rewards) and the
// node's replica of the market's deals, which it steps with the block's market
// transactions (chain.StepDeal, the rule Apply uses). The entries follow the order in
// which Apply moves coins: the payload first, then the fees and rewards.
func Entries(p *chain.Params, b *chain.Block, parentSet []chain.Trustee, me keys.Address, book *DealBook) ([]Entry, error) {
	h := &b.Header
	hash := b.Hash()
	var out []Entry
	add := func(src Source, amount uint64, peer keys.Address, tx chain.Hash) {
		if amount == 0 {
			return
		}
		out = append(out, Entry{Height: h.Epoch, Index: uint32(len(out)), Block: hash, Time: h.Time,
			Source: src, Amount: amount, Peer: peer, Tx: tx})
	}
	for i := range b.Payload {
		tx := &b.Payload[i]
		from := tx.Sender()
		body, err := tx.DecodeBody()
		if err != nil {
			return nil, fmt.Errorf("block %d transaction %d: %w", h.Epoch, i, err)
		}
		th := tx.Hash()
		switch body := body.(type) {
		case *chain.Transfer:
			if from == me && body.To != me {
				add(SourceSent, body.Amount, body.To, th)
			}
			if body.To == me && from != me {
				add(SourceReceived, body.Amount, from, th)
			}
		case *chain.TrusteeBond:
			if from == me {
				add(SourceBond, body.Amount, keys.Address{}, th)
			}
		case *chain.DealOpen:
			if from == me {
				add(SourceEscrow, body.MaxPrice+body.BuyerDeposit, keys.Address{}, th)
			}
			book.open(th, tx.From, body, h.Epoch)
		default:
			if !tx.Kind.Market() {
				break
			}
			if a, ok := body.(*chain.DealAccept); ok && from == me {
				add(SourceDeposit, a.Deposit, keys.Address{}, th)
			}
			for _, po := range book.step(tx, body, h.Epoch, me) {
				if po.To == me {
					add(payoutSource(po.Kind), po.Amount, keys.Address{}, th)
				}
			}
		}
		if from == me {
			add(SourceFeePaid, tx.Fee, keys.Address{}, th)
		}
	}
	fees, minted, err := chain.Credits(p, b, parentSet)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", h.Epoch, err)
	}
	for _, c := range append(fees, minted...) {
		if c.To != me {
			continue
		}
		switch c.Source {
		case chain.SourceWinner:
			add(SourceWin, c.Amount, keys.Address{}, chain.Hash{})
		case chain.SourcePayroll:
			add(SourcePayroll, c.Amount, keys.Address{}, chain.Hash{})
		case chain.SourceTrustee:
			add(SourceTrustee, c.Amount, keys.Address{}, chain.Hash{})
		case chain.SourceFees:
			add(SourceFees, c.Amount, keys.Address{}, chain.Hash{})
		}
	}
	return out, nil
}

var ledgerEnc, ledgerDec = func() (cbor.EncMode, cbor.DecMode) {
	enc, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic("light: cbor encoder options: " + err.Error())
	}
	dec, err := cbor.DecOptions{
		MaxNestedLevels: 4, MaxArrayElements: 16, MaxMapPairs: 0,
		IndefLength: cbor.IndefLengthForbidden, TagsMd: cbor.TagsForbidden,
		UTF8: cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic("light: cbor decoder options: " + err.Error())
	}
	return enc, dec
}()

// maxEntrySize bounds an encoded entry; a stored record above it is corrupt.
const maxEntrySize = 256

// EncodeEntry is the stored form of an entry.
func EncodeEntry(e *Entry) []byte {
	b, err := ledgerEnc.Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("light: encode entry: %v", err))
	}
	return b
}

// DecodeEntry parses a stored entry, refusing malformed or oversized records.
func DecodeEntry(data []byte) (*Entry, error) {
	if len(data) > maxEntrySize {
		return nil, fmt.Errorf("%w: ledger entry of %d bytes", ErrCorrupt, len(data))
	}
	e := new(Entry)
	if err := ledgerDec.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("%w: ledger entry: %v", ErrCorrupt, err)
	}
	if e.Source == 0 || e.Source >= sourceEnd {
		return nil, fmt.Errorf("%w: ledger entry of unknown source %d", ErrCorrupt, e.Source)
	}
	return e, nil
}

// Totals sums entries by source.
type Totals map[Source]uint64

// Earned is the sum of the earning sources.
func (t Totals) Earned() uint64 {
	var sum uint64
	for s, v := range t {
		if s.Earning() {
			sum += v
		}
	}
	return sum
}

// Sum adds the entries at or after since to t.
func (t Totals) Sum(entries []Entry, since time.Time) {
	for i := range entries {
		if !entries[i].At().Before(since) {
			t[entries[i].Source] += entries[i].Amount
		}
	}
}
