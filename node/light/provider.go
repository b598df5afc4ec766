package light

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/market"
)

// ProviderFault makes a provider misbehave, for tests of mediation and timeouts.
type ProviderFault uint8

// Provider faults.
const (
	FaultNone        ProviderFault = iota
	FaultWrongOutput               // posts the hash of an output it did not compute
	FaultSilent                    // accepts deals and never posts a result
)

// providerRun is a deal this node was offered and took.
type providerRun struct {
	deal    chain.Deal
	done    bool
	output  chain.Hash
	status  chain.DealStatus
	posted  bool
	proc    *compute.Process
	stopped bool
}

// register keeps the provider record in line with the sharing switch: registered with
// its slots while sharing, with none otherwise. A registration waits a few blocks to
// be certified before it is sent again.
func (m *agent) register(ctx context.Context, h uint64, rec *chain.Provider) {
	m.mu.Lock()
	want := uint32(0)
	if m.providing && m.n.Status().Balance >= m.minDeposit() {
		want = m.cfg.Slots
	}
	current := rec != nil && !rec.Away && rec.Slots == want && rec.Price == m.cfg.Price
	if rec == nil && want == 0 {
		current = true
	}
	if current || (m.regSent > 0 && h < m.regSent+3 && m.regSlots == want) {
		m.mu.Unlock()
		return
	}
	m.regSent, m.regSlots = max(h, 1), want
	m.mu.Unlock()
	body := &chain.ProviderRegister{Spec: m.cfg.Spec, Executors: []string{chain.ExecutorWASI}, Price: m.cfg.Price, Slots: want}
	if _, err := m.n.sendTx(ctx, 0, body); err != nil {
		m.n.log.Info("provider registration not sent", "err", err)
		return
	}
	m.n.log.Info("provider registration sent", "slots", want, "price", m.cfg.Price)
}

func (m *agent) providerStep(ctx context.Context, d *chain.Deal, next uint64) {
	r, ok := m.runs[d.ID]
	switch d.Phase {
	case chain.PhaseOpen:
		if !ok {
			r = &providerRun{deal: *d}
			m.runs[d.ID] = r
			m.wg.Add(1)
			go func() {
				defer m.wg.Done()
				m.run(ctx, r)
			}()
		}
		dd := *d
		m.once(ctx, d.ID, "accept", next, func(ctx context.Context) error { return m.accept(ctx, &dd) })
	case chain.PhaseAccepted:
		if !ok {
			// Accepted before a restart: run it again.
			r = &providerRun{deal: *d}
			m.runs[d.ID] = r
			m.wg.Add(1)
			go func() {
				defer m.wg.Done()
				m.run(ctx, r)
			}()
		}
		if r.done && !r.posted && m.cfg.Fault != FaultSilent && next <= d.Open.Deadline {
			out, status := r.output, r.status
			m.once(ctx, d.ID, "post", next, func(ctx context.Context) error {
				if _, err := m.n.sendTx(ctx, 0, &chain.ResultPost{Deal: d.ID, Output: out, Status: status}); err != nil {
					return err
				}
				m.mu.Lock()
				r.posted = true
				m.mu.Unlock()
				return nil
			})
		}
	case chain.PhasePosted:
		if next > d.Posted+chain.ReactWindow {
			m.timeout(ctx, d, next)
		}
	case chain.PhaseDisputed:
		if next > d.Disputed+chain.VerdictWindow {
			m.timeout(ctx, d, next)
		}
	case chain.PhaseClosed:
		if ok {
			m.stopRunLocked(r)
			delete(m.runs, d.ID)
		}
		m.n.events.publish(Event{Kind: EventJob, Height: d.Closed, Deal: d.ID, Phase: d.Phase, Outcome: d.Outcome})
	}
}

// minDeposit is the deposit of a short deal (minDealSeconds of wall time) at this
// node's price: below it the node could not accept the deals it would be offered, so
// it does not take offers (each would lapse and set it aside).
func (m *agent) minDeposit() uint64 {
	if m.cfg.Price > math.MaxUint64/(minDealSeconds*chain.DepositFactor) {
		return math.MaxUint64
	}
	return m.cfg.Price * minDealSeconds * chain.DepositFactor
}

const minDealSeconds = 10

func (m *agent) accept(ctx context.Context, d *chain.Deal) error {
	charge, ok := chain.Charge(m.cfg.Price, d.Open.Limits)
	if !ok || charge > d.Open.MaxPrice {
		return fmt.Errorf("%w: the deal's price no longer fits this node's", ErrAmount)
	}
	_, err := m.n.sendTx(ctx, 0, &chain.DealAccept{Deal: d.ID, Price: charge, Deposit: charge * chain.DepositFactor})
	return err
}

// run fetches a deal's job and runs it; the result waits for the accept to be
// certified before it is posted. It starts on the offer, so a job runs within the
// epoch it was offered in.
func (m *agent) run(ctx context.Context, r *providerRun) {
	d := &r.deal
	log := m.n.log.With("deal", d.ID.Short())
	job, err := market.FetchJob(ctx, d, m.fetch)
	if err != nil {
		log.Info("job not fetched", "err", err)
		m.mu.Lock()
		delete(m.runs, d.ID)
		m.mu.Unlock()
		return
	}
	m.n.events.publish(Event{Kind: EventRun, Height: m.n.Height(), Deal: d.ID, Phase: d.Phase})
	res, err := m.execute(ctx, r, job)
	if err != nil {
		log.Info("job not run", "err", err)
		m.mu.Lock()
		delete(m.runs, d.ID)
		m.mu.Unlock()
		return
	}
	out := res.Stdout
	if m.cfg.Fault == FaultWrongOutput {
		out = append(slices.Clone(out), "tampered"...)
	}
	h, err := m.cs.Put(out)
	if err == nil {
		err = m.hostOnTrustees(ctx, h, len(out))
	}
	if err != nil {
		log.Info("output not stored", "err", err)
		m.mu.Lock()
		delete(m.runs, d.ID)
		m.mu.Unlock()
		return
	}
	log.Info("job ran", "status", res.Status, "elapsed", res.Elapsed, "output", len(out))
	m.mu.Lock()
	r.done, r.output, r.status = true, chain.Hash(h), market.StatusOf(res.Status)
	m.mu.Unlock()
	m.poke()
}

// execute runs a provider's job in a worker process that the governor holds to its
// cores and duty and pauses, or in this process when there is no worker.
func (m *agent) execute(ctx context.Context, r *providerRun, job compute.Job) (compute.Result, error) {
	return m.runJob(ctx, job, func(p *compute.Process) (release func()) {
		m.mu.Lock()
		r.proc = p
		stopped := r.stopped
		m.mu.Unlock()
		if stopped {
			p.Kill()
		}
		g := m.n.cfg.Gate
		if g == nil {
			return func() {}
		}
		// The governor holds the worker to its cores and duty, and stops it while it
		// pauses; where it cannot (Windows), the job runs as it is.
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = capacity.SuperviseProcess(sctx, g, p)
		}()
		return func() { cancel(); <-done }
	})
}

func (m *agent) stopRunLocked(r *providerRun) {
	r.stopped = true
	if r.proc != nil && !r.done {
		r.proc.Kill()
	}
}

func (m *agent) stopRuns() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.runs {
		m.stopRunLocked(r)
	}
}

// SetProviding turns the node's provider role on or off: on, it registers as a
// provider with its slots and runs the deals it is offered; off, it registers with no
// slots (deals already running go on to their end).
func (n *Node) SetProviding(on bool) error {
	if n.mkt == nil {
		return ErrNoMarket
	}
	n.mkt.mu.Lock()
	n.mkt.providing = on
	n.mkt.mu.Unlock()
	n.mkt.poke()
	return nil
}

// Run is a job this node runs for a buyer now.
type Run struct {
	Deal   chain.Hash
	Module chain.Hash
	Price  uint64 // the accepted charge; 0 until the accept is certified
	Paused bool   // the governor paused its worker
}

// Runs lists the jobs this node runs for buyers now.
func (n *Node) Runs() []Run {
	if n.mkt == nil {
		return nil
	}
	n.mkt.mu.Lock()
	defer n.mkt.mu.Unlock()
	var out []Run
	for id, r := range n.mkt.runs {
		if r.done || r.stopped {
			continue
		}
		run := Run{Deal: id, Module: r.deal.Open.Module, Price: r.deal.Price}
		if r.proc != nil {
			run.Paused = r.proc.Paused()
		}
		out = append(out, run)
	}
	slices.SortFunc(out, func(a, b Run) int { return cmp.Compare(a.Deal.String(), b.Deal.String()) })
	return out
}

// Provider returns this node's provider record as last proven, if it is registered.
func (n *Node) Provider() (chain.Provider, bool) {
	if n.mkt == nil {
		return chain.Provider{}, false
	}
	n.mkt.mu.Lock()
	defer n.mkt.mu.Unlock()
	if n.mkt.record == nil {
		return chain.Provider{}, false
	}
	return *n.mkt.record, true
}
