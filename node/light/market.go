package light

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/content"
	"github.com/daolicloud/daoli/node/gpu"
	"github.com/daolicloud/daoli/node/market"
	"github.com/daolicloud/daoli/node/wire"
)

// The node's part in the compute market is an agent that carries out what
// market.Decide says: after each verified block it proves the deals it follows, asks
// Decide what to do about each, and does it. This file is the agent's loop and its
// execution of actions; provider.go and buyer.go are the two roles' work and methods,
// plumbing.go the state proofs, transactions and blobs they share.

// MarketConfig sets up the node's part in the compute market: as a provider while
// sharing is on (SetProviding), and as a buyer (OpenDeal).
//
// DefaultMarketConfig gives one with each option at its default; Validate (in
// config.go) names the first option that is wrong.
type MarketConfig struct {
	Spec chain.ProviderSpec // the machine, from the capacity check
	// Executors are what the provider registers beside chain.ExecutorWASI, which it
	// always runs: chain.ExecutorWebGPU when the machine has a WebGPU adapter.
	Executors []string
	Price     uint64 // per core-second, at least 1 (default 1)
	Slots     uint32 // deals run at once, 1 to chain.MaxSlots (default 1)
	// Worker runs jobs, and the buyer's re-checks, in a subprocess the governor can
	// pause; nil runs them in this process.
	Worker *compute.Worker
	// GPU runs webgpu deals' jobs, and the buyer's re-checks of them, each in a GPU
	// worker process (`daoli gpu-worker`), within GPULimits (zero: gpu.DefaultLimits).
	// nil runs none: a provider without it leaves webgpu offers to lapse, and a buyer
	// accepts a GPU result without re-running it.
	GPU       *gpu.Runner
	GPULimits gpu.Limits
	// GPUGate, when set, holds GPU jobs to the governor's GPU rules: while it is closed
	// a job submits no next dispatch.
	GPUGate *capacity.Gate
	// Recheck is how often the buyer re-executes a result itself before accepting it
	// (default DefaultRecheck).
	Recheck Recheck
	Fault   ProviderFault
	// CacheDir keeps compiled modules (default DefaultCacheDir of the node's data
	// directory); nodes of one user may share one.
	CacheDir string
}

// agent is the node's buyer and provider agent. Each verified block kicks a pass that
// proves the deals it follows and takes the next step of each.
type agent struct {
	n    *Node
	cfg  MarketConfig
	cs   *content.Store
	kick chan struct{}
	wg   sync.WaitGroup

	sbOnce sync.Once
	sb     *compute.Sandbox
	sbErr  error

	mu        sync.Mutex
	providing bool
	price     uint64              // what the provider asks, from cfg.Price until SetTerms
	slots     uint32              // from cfg.Slots until SetTerms
	reg       market.Registration // the last ProviderRegister sent
	record    *chain.Provider
	runs      map[chain.Hash]*providerRun
	buys      map[chain.Hash]*Job
	acting    map[chain.Hash]bool                   // a step of the deal is in flight
	sent      map[chain.Hash]map[market.Kind]uint64 // when each step of a deal was last begun
}

func newMarket(n *Node, cfg MarketConfig) (*agent, error) {
	cs, err := content.OpenStore(filepath.Join(n.cfg.DataDir, "content"))
	if err != nil {
		return nil, err
	}
	if err := content.Serve(n.net, n.rem.protos, cs); err != nil {
		return nil, err
	}
	m := &agent{n: n, cfg: cfg, cs: cs, kick: make(chan struct{}, 1), price: cfg.Price, slots: cfg.Slots,
		runs: map[chain.Hash]*providerRun{}, buys: map[chain.Hash]*Job{}, acting: map[chain.Hash]bool{},
		sent: map[chain.Hash]map[market.Kind]uint64{}}
	for _, d := range n.book.Mine() {
		if d.Phase != chain.PhaseClosed {
			m.buys[d.ID] = &Job{Deal: d}
		}
	}
	return m, nil
}

func (m *agent) sandbox() (*compute.Sandbox, error) {
	m.sbOnce.Do(func() { m.sb, m.sbErr = compute.NewSandbox(m.cfg.CacheDir) })
	return m.sb, m.sbErr
}

func (m *agent) poke() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

func (m *agent) loop(ctx context.Context) {
	defer func() {
		m.wg.Wait()
		if m.sb != nil {
			m.sb.Close()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			m.stopRuns()
			return
		case <-m.kick:
		}
		if err := m.pass(ctx); err != nil && ctx.Err() == nil {
			m.n.log.Debug("market pass", "err", err)
		}
	}
}

// pass proves the deals the node follows and takes the next step of each.
func (m *agent) pass(ctx context.Context) error {
	h := m.n.Height()
	m.mu.Lock()
	registered := m.providing || m.reg.At > 0
	ids := make([]chain.Hash, 0, len(m.runs)+len(m.buys))
	for id := range m.runs {
		ids = append(ids, id)
	}
	for id, j := range m.buys {
		if j.Deal.Phase != chain.PhaseClosed {
			ids = append(ids, id)
		}
	}
	m.mu.Unlock()

	if registered {
		values, _, err := m.n.proveState(ctx, []chain.Hash{chain.ProviderKey(m.n.me)})
		if err != nil {
			return err
		}
		var rec *chain.Provider
		if values[0] != nil {
			if rec, err = chain.DecodeProvider(values[0]); err != nil {
				return fmt.Errorf("%w: %w", ErrBadProof, err)
			}
		}
		m.register(ctx, h, rec)
		if rec != nil {
			for _, id := range rec.Deals {
				if !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
		}
	}
	for len(ids) > 0 {
		batch := ids[:min(len(ids), wire.MaxStateKeys)]
		ids = ids[len(batch):]
		keys := make([]chain.Hash, len(batch))
		for i, id := range batch {
			keys[i] = chain.DealKey(id)
		}
		values, at, err := m.n.proveState(ctx, keys)
		if err != nil {
			return err
		}
		for i, id := range batch {
			if values[i] == nil {
				continue // not certified yet
			}
			d, err := chain.DecodeDeal(values[i])
			if err != nil || d.ID != id {
				return fmt.Errorf("%w: deal %s: %v", ErrBadProof, id.Short(), err)
			}
			m.stepDeal(ctx, d, at)
		}
	}
	return nil
}

// stepDeal asks market.Decide what to do about a deal proven at height at, and does
// it: the agent's one place that reads and changes what it holds of a deal.
func (m *agent) stepDeal(ctx context.Context, d *chain.Deal, at uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, bought := m.buys[d.ID]
	role := market.RoleOf(d, m.n.me, bought) &^ market.Mediator // trustees mediate, not light nodes
	r := m.runs[d.ID]
	held := market.Held{Run: r.state(), Mute: m.cfg.Fault == FaultSilent, Acting: m.acting[d.ID], Sent: m.sent[d.ID]}
	if role&market.Buyer != 0 {
		if !bought {
			j = &Job{}
			m.buys[d.ID] = j
		}
		held.Seen = j.Deal.Phase
		j.Deal, j.Proven = *d, at
	}
	for _, a := range market.Decide(d, role, at, held) {
		switch a.Kind {
		case market.Start:
			run := &providerRun{deal: *d}
			m.runs[d.ID], r = run, run
			m.wg.Go(func() { m.run(ctx, run) })
		case market.Stop:
			m.stopRunLocked(r)
			delete(m.runs, d.ID)
		case market.Announce:
			e := Event{Kind: EventJob, Height: d.Closed, Deal: d.ID, Phase: d.Phase, Outcome: d.Outcome}
			if a.As == market.Buyer {
				e.Height, e.Bought = at, true
			}
			m.n.events.publish(e)
		default:
			m.begin(ctx, d.ID, a.Kind, at+1, m.stepFunc(a.Kind, *d, r))
		}
	}
}

// step is the work of a step: it sends the step's transaction and returns what to
// record once it went through, which begin applies under mu.
type step func(context.Context) (record func(), err error)

// stepFunc is the work of step k of deal d. The caller holds mu.
func (m *agent) stepFunc(k market.Kind, d chain.Deal, r *providerRun) step {
	send := func(body chain.Body) step {
		return func(ctx context.Context) (func(), error) {
			_, err := m.n.sendTx(ctx, 0, body)
			return nil, err
		}
	}
	switch k {
	case market.Accept:
		return func(ctx context.Context) (func(), error) { return nil, m.accept(ctx, &d) }
	case market.Post:
		post := send(&chain.ResultPost{Deal: d.ID, Output: r.output, Status: r.status})
		return func(ctx context.Context) (func(), error) {
			_, err := post(ctx)
			return func() { r.posted = true }, err
		}
	case market.React:
		return func(ctx context.Context) (func(), error) { return m.react(ctx, &d) }
	case market.Timeout:
		return send(&chain.DealTimeout{Deal: d.ID})
	}
	panic(fmt.Sprintf("market: %s is not a step", k))
}

// begin runs a step of deal id in the background, marking it in flight and sent at
// epoch next; the caller holds mu. What went wrong is the job's error until the next
// step; a step that went through records what it did and kicks another pass.
func (m *agent) begin(ctx context.Context, id chain.Hash, k market.Kind, next uint64, f step) {
	if m.sent[id] == nil {
		m.sent[id] = map[market.Kind]uint64{}
	}
	m.acting[id], m.sent[id][k] = true, next
	m.wg.Go(func() {
		record, err := f(ctx)
		m.mu.Lock()
		delete(m.acting, id)
		if err == nil && record != nil {
			record()
		}
		if j, ok := m.buys[id]; ok {
			j.Error = ""
			if err != nil {
				j.Error = err.Error()
			}
		}
		m.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			m.n.log.Info("deal step", "deal", id.Short(), "step", k, "err", err)
			return
		}
		m.poke()
	})
}
