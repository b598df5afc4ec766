package trustee

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/content"
	"github.com/daolicloud/daoli/node/market"
	"github.com/daolicloud/daoli/node/p2p"
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

// MaxStateKeys bounds the keys one state request may ask for.
const MaxStateKeys = 16

// StateRequest asks for state keys (chain.ProviderKey, chain.DealKey, …) with their
// proofs against the certified tip.
type StateRequest struct {
	_    struct{} `cbor:",toarray"`
	Keys []chain.Hash
}

// StateResponse carries one proof per key asked for, against the state root of the
// certified block Height (verify with chain.VerifyProof).
type StateResponse struct {
	_      struct{} `cbor:",toarray"`
	Height uint64
	Proofs []chain.Proof
}

// ValidateBasic checks the shape of a request.
func (r *StateRequest) ValidateBasic() error {
	if len(r.Keys) == 0 || len(r.Keys) > MaxStateKeys {
		return fmt.Errorf("%w: %d keys, want 1 to %d", ErrBadRequest, len(r.Keys), MaxStateKeys)
	}
	return nil
}

func (t *Trustee) serveState(_ context.Context, _ peer.ID, req []byte) ([]byte, error) {
	var r StateRequest
	if err := Decode(req, &r, proofRequestLimit); err != nil {
		return nil, badInput(err)
	}
	if err := r.ValidateBasic(); err != nil {
		return nil, badInput(err)
	}
	tp := t.tipv.Load()
	resp := StateResponse{Height: tp.header.Epoch}
	for _, k := range r.Keys {
		resp.Proofs = append(resp.Proofs, tp.state.Prove(k))
	}
	return Encode(&resp), nil
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

// mediation tracks the disputes this trustee has taken up, so each is re-executed once.
type mediation struct {
	mu    sync.Mutex
	doing map[chain.Hash]bool
}

// mediate starts re-executing every disputed deal of st whose mediator is this
// trustee and that it has not taken up yet. It runs after each commit.
func (t *Trustee) mediate(ctx context.Context, st *chain.State) {
	if t.market == nil {
		return
	}
	me := t.key.Public()
	for _, id := range st.Market().Live {
		d, ok := st.Deal(id)
		if !ok || d.Phase != chain.PhaseDisputed || d.Mediator != me {
			continue
		}
		t.mediating.mu.Lock()
		busy := t.mediating.doing[id]
		if !busy {
			t.mediating.doing[id] = true
		}
		t.mediating.mu.Unlock()
		if busy {
			continue
		}
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			t.rule(ctx, &d)
		}()
	}
}

// rule re-executes a disputed deal and sends the verdict: the provider is at fault
// when its posted output or status differs from the re-execution's.
func (t *Trustee) rule(ctx context.Context, d *chain.Deal) {
	log := t.log.With("deal", d.ID.Short())
	ctx, cancel := context.WithTimeout(ctx, time.Duration(chain.VerdictWindow)*t.cycle())
	defer cancel()
	job, err := t.fetchJob(ctx, d)
	if err != nil {
		// Without the module or input nobody can rule; the parties time the deal out.
		log.Warn("mediation: cannot fetch the job", "err", err)
		return
	}
	res, err := t.market.Sandbox.Run(ctx, job)
	if err != nil {
		log.Warn("mediation: re-execution", "err", err)
		return
	}
	out := market.OutputHash(res.Stdout)
	status := market.StatusOf(res.Status)
	v := &chain.Verdict{Deal: d.ID, Output: out, ProviderAtFault: out != d.Output || status != d.Status}
	tx := chain.NewTx(t.key, t.chainID, t.mempool.NextNonce(t.key.Address()), 0, v)
	if _, err := t.SubmitTx(ctx, tx); err != nil {
		log.Warn("mediation: verdict", "err", err)
		return
	}
	log.Info("mediation: verdict sent", "provider_at_fault", v.ProviderAtFault, "status", res.Status)
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
	module, err := f.Fetch(ctx, content.Hash(d.Open.Module), content.MaxBlobSize, peers, nil)
	if err != nil {
		return compute.Job{}, fmt.Errorf("module: %w", err)
	}
	var input []byte
	if !d.Open.Input.IsZero() {
		if input, err = f.Fetch(ctx, content.Hash(d.Open.Input), content.MaxBlobSize, peers, nil); err != nil {
			return compute.Job{}, fmt.Errorf("input: %w", err)
		}
	}
	return market.JobOf(d, module, input), nil
}

func (t *Trustee) cycle() time.Duration {
	p := t.tipv.Load().state.Params()
	return time.Duration(p.CycleMs) * time.Millisecond
}
