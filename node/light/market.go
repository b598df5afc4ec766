package light

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/content"
	"github.com/daolicloud/daoli/node/wire"
)

// MarketConfig sets up the node's part in the compute market: as a provider while
// sharing is on (SetProviding), and as a buyer (OpenDeal).
//
// DefaultMarketConfig gives one with each option at its default; Validate (in
// config.go) names the first option that is wrong.
type MarketConfig struct {
	Spec  chain.ProviderSpec // the machine, from the capacity check
	Price uint64             // per core-second, at least 1 (default 1)
	Slots uint32             // deals run at once, 1 to chain.MaxSlots (default 1)
	// Worker runs jobs, and the buyer's re-checks, in a subprocess the governor can
	// pause; nil runs them in this process.
	Worker *compute.Worker
	// Recheck is how often the buyer re-executes a result itself before accepting it
	// (default DefaultRecheck).
	Recheck Recheck
	Fault   ProviderFault
	// CacheDir keeps compiled modules (default DefaultCacheDir of the node's data
	// directory); nodes of one user may share one.
	CacheDir string
}

// ErrNoMarket: the node was started without a market configuration or a wallet.
var ErrNoMarket = errors.New("the compute market is not enabled on this node")

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
	regSent   uint64 // height when the last ProviderRegister was sent
	regSlots  uint32 // its slots
	record    *chain.Provider
	runs      map[chain.Hash]*providerRun
	buys      map[chain.Hash]*Job
	acting    map[chain.Hash]bool // a step of the deal is in flight
	sent      map[chain.Hash]uint64
}

func newMarket(n *Node, cfg MarketConfig) (*agent, error) {
	cs, err := content.OpenStore(filepath.Join(n.cfg.DataDir, "content"))
	if err != nil {
		return nil, err
	}
	if err := content.Serve(n.net, n.rem.protos, cs); err != nil {
		return nil, err
	}
	m := &agent{n: n, cfg: cfg, cs: cs, kick: make(chan struct{}, 1),
		runs: map[chain.Hash]*providerRun{}, buys: map[chain.Hash]*Job{}, acting: map[chain.Hash]bool{}, sent: map[chain.Hash]uint64{}}
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
	providing, regSent := m.providing, m.regSent
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

	if providing || regSent > 0 {
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
		m.mu.Lock()
		m.record = rec
		m.mu.Unlock()
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

// stepDeal takes the next step of a deal proven at height at.
func (m *agent) stepDeal(ctx context.Context, d *chain.Deal, at uint64) {
	next := at + 1 // the epoch a transaction sent now can land in, at the earliest
	me := m.n.me
	m.mu.Lock()
	defer m.mu.Unlock()
	if j, ok := m.buys[d.ID]; ok || d.Buyer == me {
		if !ok {
			j = &Job{}
			m.buys[d.ID] = j
		}
		was := j.Deal.Phase
		j.Deal, j.Proven = *d, at
		m.buyerStep(ctx, j, next)
		if was != d.Phase {
			m.n.events.publish(Event{Kind: EventJob, Height: at, Deal: d.ID, Phase: d.Phase, Outcome: d.Outcome, Bought: true})
		}
	}
	if d.Provider == me {
		m.providerStep(ctx, d, next)
	} else if r, ok := m.runs[d.ID]; ok && d.Phase == chain.PhaseOpen {
		// The offer lapsed, or went to another provider.
		m.stopRunLocked(r)
		delete(m.runs, d.ID)
	}
}

// once runs a deal step in the background unless one is in flight, and not again for
// the same phase within a few blocks (a transaction takes a block to be certified).
func (m *agent) once(ctx context.Context, id chain.Hash, phase string, at uint64, f func(context.Context) error) {
	key := sha256.Sum256(append(id[:], phase...))
	if m.acting[id] || (m.sent[key] > 0 && at < m.sent[key]+3) {
		return
	}
	m.acting[id], m.sent[key] = true, at
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		err := f(ctx)
		m.mu.Lock()
		delete(m.acting, id)
		if j, ok := m.buys[id]; ok {
			if err != nil {
				j.Error = err.Error()
			} else {
				j.Error = ""
			}
		}
		m.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			m.n.log.Info("deal step", "deal", id.Short(), "step", phase, "err", err)
			return
		}
		m.poke()
	}()
}

func (m *agent) timeout(ctx context.Context, d *chain.Deal, at uint64) {
	m.once(ctx, d.ID, "timeout", at, func(ctx context.Context) error {
		_, err := m.n.sendTx(ctx, 0, &chain.DealTimeout{Deal: d.ID})
		return err
	})
}
