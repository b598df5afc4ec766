package light

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/store"
	"github.com/daolicloud/daoli/node/wire"
)

// walletState is the in-memory summary of the ledger and the last proven balance.
type walletState struct {
	mu sync.Mutex
	walletSnapshot
	nextNonce uint64 // after the node's own sends, before they are proven
	sentAt    uint64 // height when the node last sent a transaction
}

type walletSnapshot struct {
	ledger             int64
	wins, payrolls     int
	earned             uint64
	tickets            int
	balance, balanceAt uint64
}

func (w *walletState) load(st *store.Store) error {
	return st.Earnings().Range(0, func(height uint64, index uint32, rec []byte) error {
		e, err := DecodeEntry(rec)
		if err != nil {
			return fmt.Errorf("ledger %d/%d: %w", height, index, err)
		}
		w.add([]Entry{*e})
		return nil
	})
}

func (w *walletState) add(es []Entry) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range es {
		e := &es[i]
		w.ledger += e.Signed()
		switch e.Source {
		case SourceWin:
			w.wins++
		case SourcePayroll:
			w.payrolls++
		}
		if e.Source.Earning() {
			w.earned += e.Amount
		}
	}
}

func (w *walletState) ticket() {
	w.mu.Lock()
	w.tickets++
	w.mu.Unlock()
}

func (w *walletState) snapshot() walletSnapshot {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.walletSnapshot
}

// Account is the wallet's account as proven against a certified header.
type Account struct {
	chain.Account
	Height uint64 // the certified block whose state root proves it
}

// waitSynced bounds how long Balance waits for the node to verify the header a proof
// refers to.
const waitSynced = 10 * time.Second

// Balance asks a trustee for the wallet's account and checks the answer against the
// state root of a header the node verified itself. A trustee cannot lie about the
// balance; at worst it refuses to answer, or answers about an older block than the
// node's tip or a height the chain has not reached, and the next one is asked.
func (n *Node) Balance(ctx context.Context) (Account, error) {
	if n.me == (keys.Address{}) {
		return Account{}, ErrNoWallet
	}
	return n.Account(ctx, n.me)
}

// Account proves any account, as Balance does the wallet's.
func (n *Node) Account(ctx context.Context, a keys.Address) (Account, error) {
	acct, ahead, err := n.askAccount(ctx, a)
	if ahead == 0 {
		return acct, err
	}
	// Every answer was about a height beyond what this node knows the chain reached:
	// it was just started or reconnected, and holds fewer trustees than vouch for a
	// height (it keeps two). Follow the chain up to that height for a while, then ask
	// again once.
	n.Kick()
	deadline := time.Now().Add(waitSynced)
	for n.Height() < ahead && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return Account{}, ctx.Err()
		case <-time.After(n.cfg.Poll / 4):
		}
	}
	acct, _, err = n.askAccount(ctx, a)
	return acct, err
}

// askAccount asks the node's trustees in turn for a proof of a's account until one
// verifies. When none does and some answered about a height the node does not know
// the chain reached (ErrAhead), ahead is the highest such height.
func (n *Node) askAccount(ctx context.Context, a keys.Address) (acct Account, ahead uint64, err error) {
	ids := n.trusteePeers()
	if len(ids) == 0 {
		return Account{}, 0, ErrNoTrustees
	}
	var last error
	for _, id := range ids {
		asked := n.Height()
		resp, err := n.rem.account(ctx, id, a)
		if err != nil {
			last = err
			continue
		}
		acct, err := n.verifyAccount(ctx, a, resp)
		if errors.Is(err, ErrStaleProof) && n.Height() > resp.Height && resp.Height >= asked {
			// The node verified a block while the trustee answered: ask it again.
			if resp, err = n.rem.account(ctx, id, a); err == nil {
				acct, err = n.verifyAccount(ctx, a, resp)
			}
		}
		if err != nil {
			n.log.Warn("account proof refused", "trustee", id.String(), "err", err)
			if errors.Is(err, ErrAhead) {
				ahead = max(ahead, resp.Height)
			}
			last = err
			continue
		}
		if a == n.me {
			n.wallet.mu.Lock()
			if acct.Height >= n.wallet.balanceAt {
				n.wallet.balance, n.wallet.balanceAt = acct.Balance, acct.Height
				n.wallet.nextNonce = max(n.wallet.nextNonce, acct.Nonce)
			}
			n.wallet.mu.Unlock()
			n.publishStatus("")
		}
		return acct, 0, nil
	}
	return Account{}, ahead, fmt.Errorf("prove account %s: %w", a, last)
}

// verifyAccount checks a trustee's answer. Only an answer about the node's tip is
// current: one about an older block is refused (ErrStaleProof), and one about a
// height the node has not verified yet is waited for only when the node knows the
// chain reached it (a certificate it verified, or enough trustees' answers that one is
// honest); otherwise it is refused (ErrAhead) at once.
func (n *Node) verifyAccount(ctx context.Context, a keys.Address, resp *wire.ProofResponse) (Account, error) {
	if tip := n.Height(); resp.Height < tip {
		return Account{}, fmt.Errorf("%w: proof at height %d, verified tip %d", ErrStaleProof, resp.Height, tip)
	}
	if resp.Height > n.Height() {
		if resp.Height > n.knownHeight(ctx, resp.Height) {
			return Account{}, fmt.Errorf("%w: proof at height %d, the chain is known to have reached %d", ErrAhead, resp.Height, n.Target())
		}
		n.Kick()
		deadline := time.Now().Add(waitSynced)
		for n.Height() < resp.Height {
			if time.Now().After(deadline) {
				return Account{}, fmt.Errorf("%w: proof at height %d, verified up to %d", ErrBehind, resp.Height, n.Height())
			}
			select {
			case <-ctx.Done():
				return Account{}, ctx.Err()
			case <-time.After(n.cfg.Poll / 4):
			}
		}
	}
	h, err := n.store.Header(resp.Height)
	if err != nil {
		return Account{}, err
	}
	acct, err := chain.VerifyAccount(h.StateRoot, a, &resp.Proof)
	if err != nil {
		return Account{}, fmt.Errorf("%w: %w", ErrBadProof, err)
	}
	if acct != resp.Account {
		return Account{}, fmt.Errorf("%w: the account sent is not the one proven", ErrBadProof)
	}
	return Account{Account: acct, Height: resp.Height}, nil
}

// knownHeight is the highest height the node knows the chain has reached; when that
// is below h, it asks the trustees for their heights first.
func (n *Node) knownHeight(ctx context.Context, h uint64) uint64 {
	if t := n.Target(); t >= h {
		return t
	}
	n.mu.Lock()
	setSize := len(n.fol.Set())
	n.mu.Unlock()
	if ids := n.trusteePeers(); len(ids) > 0 {
		n.raiseTarget(vouchedHeight(n.askHeights(ctx, ids, setSize), setSize))
	}
	return n.Target()
}

// Send transfers amount to the address to, paying fee, and returns the transaction's
// hash once at least one trustee took it into its mempool.
func (n *Node) Send(ctx context.Context, to keys.Address, amount, fee uint64, memo string) (chain.Hash, error) {
	if n.cfg.Wallet == nil {
		return chain.Hash{}, ErrNoWallet
	}
	if amount == 0 {
		return chain.Hash{}, fmt.Errorf("%w: nothing to send", ErrAmount)
	}
	acct, err := n.Balance(ctx)
	if err != nil {
		return chain.Hash{}, err
	}
	if amount > acct.Balance || fee > acct.Balance-amount {
		return chain.Hash{}, fmt.Errorf("%w: %d + fee %d, balance %d", ErrAmount, amount, fee, acct.Balance)
	}
	return n.sendTx(ctx, fee, &chain.Transfer{To: to, Amount: amount, Memo: memo})
}

// Ledger returns the wallet's ledger entries from height on, oldest first.
func (n *Node) Ledger(from uint64) ([]Entry, error) {
	var out []Entry
	err := n.store.Earnings().Range(from, func(height uint64, index uint32, rec []byte) error {
		e, err := DecodeEntry(rec)
		if err != nil {
			return fmt.Errorf("ledger %d/%d: %w", height, index, err)
		}
		out = append(out, *e)
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return out, nil
}

// Summary totals the ledger by source over the windows the dashboard shows.
type Summary struct {
	Today, Week, Month, All Totals
	Ledger                  int64  // the ledger's sum since genesis
	Genesis                 uint64 // the wallet's balance at genesis
}

// Summary totals the ledger for the day, 7 and 30 days before now.
func (n *Node) Summary(now time.Time) (Summary, error) {
	es, err := n.Ledger(0)
	if err != nil {
		return Summary{}, err
	}
	s := Summary{Today: Totals{}, Week: Totals{}, Month: Totals{}, All: Totals{}, Genesis: n.start}
	y, m, d := now.Date()
	s.Today.Sum(es, time.Date(y, m, d, 0, 0, 0, 0, now.Location()))
	s.Week.Sum(es, now.AddDate(0, 0, -7))
	s.Month.Sum(es, now.AddDate(0, 0, -30))
	s.All.Sum(es, time.Time{})
	for i := range es {
		s.Ledger += es[i].Signed()
	}
	return s, nil
}
