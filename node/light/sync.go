package light

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/internal/skew"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/store"
	"github.com/daolicloud/daoli/node/wire"
	"github.com/libp2p/go-libp2p/core/peer"
)

type gossipBlock struct {
	cb   *wire.CertifiedBlock
	from peer.ID
	recv time.Duration
}

// sigCacheSize is how many verified signatures the node remembers: those of the
// certificates the gossip validator checked, until their blocks are applied.
const sigCacheSize = 1 << 12

// validateBlock is the blocks topic's validator. The node relays only what it
// verified: a block whose certificate a quorum of the trustee set it trusts signed
// (Follower.VerifyCert) is accepted; a forged one is rejected, which penalizes the
// peer that sent it; one at or below the tip, or too far ahead to check yet, is
// ignored: neither relayed nor taken as a sync target.
func (n *Node) validateBlock(_ context.Context, from peer.ID, data []byte) (any, p2p.ValidationResult) {
	cb := new(wire.CertifiedBlock)
	if err := wire.Decode(data, cb, p2p.BlockTopicLimit); err != nil {
		return nil, p2p.Reject
	}
	if err := cb.ValidateBasic(); err != nil {
		return nil, p2p.Reject
	}
	n.mu.Lock()
	fol := *n.fol
	n.mu.Unlock()
	err := fol.VerifyCert(&Link{Block: &cb.Block, Cert: &cb.Cert, Trustees: cb.Trustees})
	switch {
	case err == nil:
		return cb, p2p.Accept
	case errors.Is(err, ErrStale), errors.Is(err, ErrUnverifiable), errors.Is(err, ErrNotNext):
		return nil, p2p.Ignore
	default:
		n.log.Warn("gossiped block rejected", "from", from.String(), "height", cb.Block.Header.Epoch, "err", err)
		return nil, p2p.Reject
	}
}

func (n *Node) onBlock(ctx context.Context, msg p2p.Message) {
	cb, ok := msg.Value.(*wire.CertifiedBlock)
	if !ok {
		return
	}
	select {
	case n.gossip <- gossipBlock{cb: cb, from: msg.From, recv: skew.Now().Sub(n.base)}:
	case <-ctx.Done():
	}
}

// syncLoop owns the follower's progress: it takes gossiped blocks at the tip and,
// when behind, fetches the missing ones from trustees in runs.
func (n *Node) syncLoop(ctx context.Context) {
	t := time.NewTicker(n.cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case gb := <-n.gossip:
			n.onGossip(ctx, gb)
		case <-t.C:
			n.catchUp(ctx)
			n.refreshBalance(ctx)
		case <-n.kick:
			n.catchUp(ctx)
		}
	}
}

// refreshBalance proves the wallet's balance again, in the background, when the
// ledger moved past the last proof or none was made yet, so the status always shows a
// balance read from the chain.
func (n *Node) refreshBalance(ctx context.Context) {
	if n.me == (keys.Address{}) || !n.proving.CompareAndSwap(false, true) {
		return
	}
	w := n.wallet.snapshot()
	if w.balanceAt != 0 && w.ledger == n.provenLedger.Load() {
		n.proving.Store(false)
		return
	}
	n.bg.Go(func() {
		defer n.proving.Store(false)
		if _, err := n.Balance(ctx); err != nil {
			n.log.Debug("prove balance", "err", err)
			return
		}
		n.provenLedger.Store(w.ledger)
	})
}

// onGossip takes a block the validator accepted: the next one is applied; one further
// ahead, verified against the trusted set again (the signatures come from the cache),
// raises the sync target and starts a catch-up. Only a verified certificate moves the
// target, so a header claiming any height cannot leave the node "not synced".
func (n *Node) onGossip(ctx context.Context, gb gossipBlock) {
	h := gb.cb.Block.Header.Epoch
	link := Link{Block: &gb.cb.Block, Cert: &gb.cb.Cert, Trustees: gb.cb.Trustees}
	n.mu.Lock()
	fol := *n.fol
	n.mu.Unlock()
	switch {
	case h <= fol.Height():
		return
	case h == fol.Height()+1:
		if _, err := n.apply([]Link{link}, gb.recv); err != nil {
			n.refused(gb.from, err)
			return
		}
		n.raiseTarget(h)
		return
	}
	if err := fol.VerifyCert(&link); err != nil {
		if errors.Is(err, ErrUnverifiable) {
			n.log.Debug("block not verifiable yet", "height", h, "err", err)
			return
		}
		n.refused(gb.from, err)
		return
	}
	n.raiseTarget(h)
	n.catchUp(ctx)
}

// raiseTarget raises the sync target to h, a height the node knows the chain reached.
func (n *Node) raiseTarget(h uint64) {
	n.mu.Lock()
	raised := h > n.target
	n.target = max(n.target, h)
	n.mu.Unlock()
	if raised {
		n.publishStatus("")
	}
}

// runLength is how many verified blocks a catch-up stores in one transaction.
const runLength = 64

// catchUp asks trustees for their height and fetches what the node lacks.
func (n *Node) catchUp(ctx context.Context) {
	ids := n.trusteePeers()
	if len(ids) == 0 {
		n.publishStatus("no trustee connected yet")
		return
	}
	n.mu.Lock()
	setSize, height := len(n.fol.Set()), n.fol.Height()
	n.mu.Unlock()
	claims := n.askHeights(ctx, ids, setSize)
	n.raiseTarget(vouchedHeight(claims, setSize))
	// Fetching up to the highest claim costs little when it is a lie: every block is
	// verified as it arrives, and the first that does not come ends the run.
	if len(claims) > 0 && slices.Max(claims) > height {
		n.fetchRun(ctx, ids, height+1, slices.Max(claims))
	}
	n.publishStatus("")
}

// askHeights asks some of the trustees ids, at once, for their certified height: enough
// of them that the answers can outvote the faulty ones a set of setSize tolerates.
func (n *Node) askHeights(ctx context.Context, ids []peer.ID, setSize int) []uint64 {
	ask := ids[:min(len(ids), max(3, (setSize-1)/3+2))]
	heights := make([]uint64, len(ask))
	answered := make([]bool, len(ask))
	var wg sync.WaitGroup
	for i, id := range ask {
		wg.Go(func() {
			s, err := n.rem.clock(ctx, id)
			if err != nil {
				n.log.Debug("clock", "trustee", id.String(), "err", err)
				return
			}
			heights[i], answered[i] = s.Height, true
		})
	}
	wg.Wait()
	var out []uint64
	for i, ok := range answered {
		if ok {
			out = append(out, heights[i])
		}
	}
	return out
}

// vouchedHeight is the highest height that at least f+1 of the claims reach, f being
// how many faulty trustees a set of setSize tolerates: at least one honest trustee
// has certified it. 0 when fewer than f+1 answered.
func vouchedHeight(claims []uint64, setSize int) uint64 {
	f := max(setSize-1, 0) / 3
	if len(claims) <= f {
		return 0
	}
	sorted := slices.Clone(claims)
	slices.SortFunc(sorted, func(a, b uint64) int { return cmp.Compare(b, a) })
	return sorted[f]
}

// fetched is a block as the sync protocol brought it, not verified yet.
type fetched struct {
	cb   *wire.CertifiedBlock
	from peer.ID
	recv time.Duration
}

// fetchRun fetches the blocks from..to from trustees and verifies each as it arrives:
// the fetcher runs at most one block ahead of the verifier (one block waiting, one
// being fetched), so a trustee that sends junk costs a couple of blocks of memory,
// never a run. Verified blocks are stored runLength at a time; the first block that
// does not come, or does not verify, ends the run.
func (n *Node) fetchRun(ctx context.Context, ids []peer.ID, from, to uint64) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	arrived := make(chan fetched, 1)
	go func() {
		defer close(arrived)
		for h := from; h <= to; h++ {
			cb, id, err := n.fetch(ctx, ids, h)
			if err != nil {
				n.log.Debug("fetch block", "height", h, "err", err)
				return
			}
			select {
			case arrived <- fetched{cb: cb, from: id, recv: skew.Now().Sub(n.base)}:
			case <-ctx.Done():
				return
			}
		}
	}()
	n.mu.Lock()
	next := *n.fol
	n.mu.Unlock()
	var (
		run  []Link
		last fetched
	)
	save := func(recv time.Duration) bool {
		if len(run) == 0 {
			return true
		}
		if err := n.commit(next, run, recv); err != nil {
			n.log.Warn("store blocks", "err", err)
			n.publishStatus(err.Error())
			return false
		}
		run = nil
		return true
	}
	for f := range arrived {
		link := Link{Block: &f.cb.Block, Cert: &f.cb.Cert, Trustees: f.cb.Trustees}
		if _, err := next.Verify([]Link{link}); err != nil {
			n.refused(f.from, err)
			if errors.Is(err, ErrNotNext) {
				// Asked for the block after a verified tip, a trustee has no excuse
				// for one that does not extend it.
				n.net.Penalize(f.from, penaltyBadBlock, "sent a block that does not extend the verified tip")
			}
			break
		}
		run, last = append(run, link), f
		if len(run) == runLength && !save(-1) {
			break
		}
	}
	cancel()
	for range arrived {
		// Wait for the fetcher to stop; what it still brings is dropped.
	}
	// Only the block at the network's tip, fetched now, times the clock: the height
	// the trustees vouch for or, without one, the highest they claim.
	tipAt := to
	n.mu.Lock()
	if t := n.target; t > 0 && t < to {
		tipAt = t
	}
	n.mu.Unlock()
	recv := time.Duration(-1)
	if len(run) > 0 && run[len(run)-1].Block.Header.Epoch >= tipAt {
		recv = last.recv
	}
	save(recv)
}

func (n *Node) fetch(ctx context.Context, ids []peer.ID, h uint64) (*wire.CertifiedBlock, peer.ID, error) {
	var last error
	for _, id := range ids {
		cb, err := n.rem.block(ctx, id, h)
		if err == nil {
			return cb, id, nil
		}
		last = err
	}
	return nil, "", last
}

// penaltyBadBlock is what sending a forged certified block costs a peer: two get it
// banned.
const penaltyBadBlock = 50

// refused logs why a block was not accepted and penalizes the peer that sent it when
// the block was invalid rather than merely not next.
func (n *Node) refused(from peer.ID, err error) {
	n.log.Warn("block refused", "from", from.String(), "err", err)
	if from != "" && !errors.Is(err, ErrNotNext) {
		n.net.Penalize(from, penaltyBadBlock, "invalid certified block")
	}
	n.events.publish(Event{Kind: EventRefused, Err: err})
	n.publishStatus(err.Error())
}

// apply verifies links, stores those that extend the chain with the wallet's ledger
// entries, and tells the app. recv ≥ 0 is the receipt time of the last link when it is
// the network's newest block, which calibrates the DCC and starts the next epoch's
// mining.
func (n *Node) apply(links []Link, recv time.Duration) (int, error) {
	n.mu.Lock()
	next := *n.fol
	n.mu.Unlock()
	accepted, verr := next.Verify(links)
	if accepted == 0 {
		return 0, verr
	}
	if accepted < len(links) {
		recv = -1
	}
	if err := n.commit(next, links[:accepted], recv); err != nil {
		return 0, err
	}
	return accepted, verr
}

// commit stores links, which next verified from the node's tip, with the wallet's
// ledger entries, moves the tip to next and tells the app; recv is as for apply.
func (n *Node) commit(next Follower, links []Link, recv time.Duration) error {
	n.mu.Lock()
	parentSet := n.fol.Set()
	n.mu.Unlock()
	accepted := len(links)
	fs := make([]store.Followed, accepted)
	var entries [][]Entry
	for i, l := range links {
		set := parentSet
		if l.Trustees != nil {
			set = l.Trustees
		}
		fs[i] = store.Followed{Header: l.Block.Header, Cert: l.Cert, Set: l.Trustees}
		if n.me != (keys.Address{}) {
			es, err := Entries(&n.params, l.Block, parentSet, n.me, n.book)
			if err != nil {
				n.book.discard()
				return fmt.Errorf("ledger of block %d: %w", l.Block.Header.Epoch, err)
			}
			for j := range es {
				fs[i].Earnings = append(fs[i].Earnings, EncodeEntry(&es[j]))
			}
			entries = append(entries, es)
		}
		parentSet = set
	}
	if n.book != nil {
		fs[accepted-1].Deals = n.book.writes()
	}
	if err := n.store.Follow(fs); err != nil {
		if n.book != nil {
			n.book.discard()
		}
		return err
	}
	if n.book != nil {
		n.book.commit()
	}
	n.mu.Lock()
	*n.fol = next
	n.target = max(n.target, next.Height()) // a verified block: the chain reached it
	n.cert = links[accepted-1].Cert
	n.certSigned = next.TipSigners()
	for _, l := range links {
		n.noteDraw(l.Block)
	}
	n.mu.Unlock()
	for _, es := range entries {
		n.wallet.add(es)
	}
	last := links[accepted-1].Block.Header
	for _, es := range entries {
		for _, e := range es {
			switch e.Source {
			case SourceWin:
				n.events.publish(Event{Kind: EventWon, Height: e.Height, Amount: e.Amount, Balance: n.wallet.snapshot().ledger})
			case SourcePayroll:
				n.events.publish(Event{Kind: EventPayroll, Height: e.Height, Amount: e.Amount, Balance: n.wallet.snapshot().ledger})
			case SourceReceived:
				n.events.publish(Event{Kind: EventPayment, Height: e.Height, Amount: e.Amount, Balance: n.wallet.snapshot().ledger})
			}
		}
		if len(es) > 0 {
			n.events.publish(Event{Kind: EventBalance, Height: es[0].Height, Balance: n.wallet.snapshot().ledger})
		}
	}
	n.events.publish(Event{Kind: EventBlock, Height: last.Epoch})
	if n.mkt != nil {
		n.mkt.poke()
	}
	if recv >= 0 {
		n.observe(last, recv)
	}
	n.publishStatus("")
	return nil
}

// observe calibrates the DCC with the network's newest block and hands it to the miner.
func (n *Node) observe(h chain.Header, recv time.Duration) {
	n.mu.Lock()
	if err := n.cal.Observe(h.Epoch, h.Time, recv); err != nil {
		n.cal.Reset()
		if err := n.cal.Observe(h.Epoch, h.Time, recv); err != nil {
			n.mu.Unlock()
			n.log.Warn("calibrate", "height", h.Epoch, "err", err)
			return
		}
	}
	n.mu.Unlock()
	select {
	case <-n.tips:
	default:
	}
	n.tips <- h
}

// Height is the newest verified height.
func (n *Node) Height() uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.fol.Height()
}

// Target is the highest height the node knows the chain has reached: from a
// certificate it verified, or claimed by enough trustees that one of them is honest.
func (n *Node) Target() uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return max(n.target, n.fol.Height())
}

// Kick asks the node to check the trustees' height now.
func (n *Node) Kick() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}
