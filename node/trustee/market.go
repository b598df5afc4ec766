package trustee

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/content"
	"github.com/daolicloud/daoli/node/market"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/wire"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Market is what a trustee needs for its part in the compute market: a content store
// that keeps the blobs deals name (the directory's cache), and a sandbox to re-execute
// the disputed jobs it mediates.
type Market struct {
	Content *content.Store
	Sandbox *compute.Sandbox
	// Quota bounds the bytes the content store keeps for others.
	Quota int64
}

// DefaultContentQuota is the disk a trustee gives to blobs others ask it to keep.
const DefaultContentQuota = 2 << 30

// serveState answers state keys with their proofs against the certified tip.
func (t *Trustee) serveState(_ context.Context, _ peer.ID, req []byte) ([]byte, error) {
	var r wire.StateRequest
	if err := wire.Decode(req, &r, p2p.ProofRequestLimit); err != nil {
		return nil, badInput(err)
	}
	if err := r.ValidateBasic(); err != nil {
		return nil, badInput(err)
	}
	tp := t.tipv.Load()
	resp := wire.StateResponse{Height: tp.header.Epoch}
	for _, k := range r.Keys {
		resp.Proofs = append(resp.Proofs, tp.state.Prove(k))
	}
	return wire.Encode(&resp), nil
}

// startMarket serves the content directory and the state service.
func (t *Trustee) startMarket() error {
	p := t.protos
	if err := t.net.Handle(p.State, t.serveState); err != nil {
		return fmt.Errorf("start market: %w", err)
	}
	if t.market == nil {
		return nil
	}
	if err := content.Serve(t.net, p, t.market.Content); err != nil {
		return fmt.Errorf("start market: %w", err)
	}
	host := &content.Host{Fetcher: t.fetcher(), Quota: t.market.Quota}
	if err := host.Serve(t.net, p.ContentHost); err != nil {
		return fmt.Errorf("start market: %w", err)
	}
	return nil
}

func (t *Trustee) fetcher() *content.Fetcher {
	return &content.Fetcher{Req: t.net, Proto: t.protos.Content, Store: t.market.Content,
		Punish: func(p peer.ID, reason string) { t.net.Penalize(p, p2p.PenaltyBadInput, reason) }}
}

// mediation tracks the disputes this trustee mediates: an attempt at a ruling is
// under way, failed (to be tried again after a backoff) or done. An entry lives while
// its deal is disputed and is forgotten once the deal is settled or timed out.
type mediation struct {
	mu    sync.Mutex
	deals map[chain.Hash]*mediationState
}

type mediationState struct {
	running  bool
	done     bool   // the verdict was sent
	attempts int    // attempts begun
	next     uint64 // the height from which a failed attempt is tried again
}

// due returns the deals of disputed (the disputes this trustee mediates at height h)
// on which an attempt should begin now, marked running; and forgets every deal not in
// disputed any more.
func (m *mediation) due(h uint64, disputed []chain.Deal) []chain.Deal {
	m.mu.Lock()
	defer m.mu.Unlock()
	open := make(map[chain.Hash]bool, len(disputed))
	var start []chain.Deal
	for _, d := range disputed {
		open[d.ID] = true
		st := m.deals[d.ID]
		if st == nil {
			st = &mediationState{}
			m.deals[d.ID] = st
		}
		held := market.Held{Acting: st.running, Ruled: st.done, RetryAt: st.next}
		if !slices.Contains(market.Decide(&d, market.Mediator, h, held), market.Action{Kind: market.Rule, As: market.Mediator}) {
			continue
		}
		st.running = true
		st.attempts++
		st.next = market.RetryAt(h, st.attempts)
		start = append(start, d)
	}
	for id := range m.deals {
		if !open[id] {
			delete(m.deals, id)
		}
	}
	return start
}

// finished records the end of an attempt on deal id: done when err is nil, else
// tried again from the height due set.
func (m *mediation) finished(id chain.Hash, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.deals[id]
	if st == nil {
		return // the deal closed meanwhile
	}
	st.running = false
	st.done = err == nil
}

// mediate begins an attempt at a ruling on each disputed deal of st whose mediator is
// this trustee and that has none under way, done, or failed too recently. It runs
// after each commit, h being the committed height.
func (t *Trustee) mediate(ctx context.Context, h uint64, st *chain.State) {
	if t.market == nil {
		return
	}
	me := t.key.Address()
	var disputed []chain.Deal
	for _, id := range st.Market().Live {
		if d, ok := st.Deal(id); ok && market.RoleOf(&d, me, false)&market.Mediator != 0 {
			disputed = append(disputed, d)
		}
	}
	for _, d := range t.mediating.due(h, disputed) {
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			err := t.rule(ctx, h, &d)
			if err != nil {
				t.log.Warn("mediation: no verdict yet; trying again on a later block", "deal", d.ID.Short(), "err", err)
			}
			t.mediating.finished(d.ID, err)
		}()
	}
}

// rule re-executes a disputed deal and sends the verdict: the provider is at fault
// when its posted output or status differs from the re-execution's. It gives up when
// the dispute's window closes.
func (t *Trustee) rule(ctx context.Context, h uint64, d *chain.Deal) error {
	epochs := uint64(1)
	if end := d.Disputed + chain.VerdictWindow; end > h {
		epochs = end - h
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(epochs)*t.cycle())
	defer cancel()
	job, err := t.fetchJob(ctx, d)
	if err != nil {
		// Without the module or input nobody can rule; the parties time the deal out
		// unless a later attempt finds them.
		return fmt.Errorf("fetch the job: %w", err)
	}
	res, err := t.market.Sandbox.Run(ctx, job)
	if err != nil {
		return fmt.Errorf("re-execute: %w", err)
	}
	v := &chain.Verdict{Deal: d.ID, Output: market.OutputsOf(res).Result.Hash(), ProviderAtFault: !market.Matches(d, res)}
	tx := chain.NewTx(t.key, t.chainID, t.mempool.NextNonce(t.key.Address()), 0, v)
	if _, err := t.SubmitTx(ctx, tx); err != nil {
		return fmt.Errorf("send the verdict: %w", err)
	}
	t.log.Info("mediation: verdict sent", "deal", d.ID.Short(), "provider_at_fault", v.ProviderAtFault, "status", res.Status)
	return nil
}

// fetchJob gathers a deal's module and input, from this trustee's store or the other
// trustees'.
func (t *Trustee) fetchJob(ctx context.Context, d *chain.Deal) (compute.Job, error) {
	f := t.fetcher()
	var peers []peer.ID
	for id := range *t.members.Load() {
		if id != t.net.Self() {
			peers = append(peers, id)
		}
	}
	return market.FetchJob(ctx, d, func(ctx context.Context, h chain.Hash, max int64) ([]byte, error) {
		return f.Fetch(ctx, content.Hash(h), max, peers, nil)
	})
}

func (t *Trustee) cycle() time.Duration {
	p := t.tipv.Load().state.Params()
	return time.Duration(p.CycleMs) * time.Millisecond
}
