package light

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/content"
	"github.com/daolicloud/daoli/node/gpu"
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
	gpu     *gpu.Process
	stopped bool
}

// state is how far the run got, as market.Decide reads it; nil is no run.
func (r *providerRun) state() market.Run {
	switch {
	case r == nil:
		return market.RunNone
	case r.posted:
		return market.RunPosted
	case r.done:
		return market.RunDone
	}
	return market.RunGoing
}

// register keeps the provider record in line with the sharing switch, as
// market.Reregister decides from the record proven at height h (rec, nil when none).
func (m *agent) register(ctx context.Context, h uint64, rec *chain.Provider) {
	m.mu.Lock()
	m.record = rec
	price := m.price
	want := market.Slots(m.providing, m.n.Status().Balance, price, m.slots)
	send := market.Reregister(rec, want, price, h, m.reg)
	if send {
		m.reg = market.Registration{Slots: want, Price: price, At: max(h, 1)}
	}
	m.mu.Unlock()
	if !send {
		return
	}
	body := &chain.ProviderRegister{Spec: m.cfg.Spec, Executors: append([]string{chain.ExecutorWASI}, m.cfg.Executors...), Price: price, Slots: want}
	if _, err := m.n.sendTx(ctx, 0, body); err != nil {
		m.n.log.Info("provider registration not sent", "err", err)
		return
	}
	m.n.log.Info("provider registration sent", "slots", want, "price", price)
}

func (m *agent) accept(ctx context.Context, d *chain.Deal) error {
	m.mu.Lock()
	price := m.price
	m.mu.Unlock()
	charge, ok := chain.Charge(price, d.Open.Limits)
	if !ok || charge > d.Open.MaxPrice {
		return fmt.Errorf("%w: the deal's price no longer fits this node's", ErrAmount)
	}
	_, err := m.n.sendTx(ctx, 0, &chain.DealAccept{Deal: d.ID, Price: charge, Deposit: charge * chain.DepositFactor})
	return err
}

// run fetches a deal's job and runs it; the result waits for the accept to be
// certified before it is posted. It starts on the offer, so a job runs within the
// epoch it was offered in. A run that fails is forgotten, to be taken again while the
// deal allows.
func (m *agent) run(ctx context.Context, r *providerRun) {
	out, status, err := m.produce(ctx, r)
	m.mu.Lock()
	if err != nil {
		delete(m.runs, r.deal.ID)
	} else {
		r.done, r.output, r.status = true, out, status
	}
	m.mu.Unlock()
	if err == nil {
		m.poke()
	}
}

// produce runs a deal's job, stores its result document and the outputs it names,
// and has a trustee keep them.
func (m *agent) produce(ctx context.Context, r *providerRun) (chain.Hash, chain.DealStatus, error) {
	d := &r.deal
	log := m.n.log.With("deal", d.ID.Short())
	job, err := market.FetchJob(ctx, d, m.fetch)
	if err != nil {
		log.Info("job not fetched", "err", err)
		return chain.Hash{}, 0, err
	}
	m.n.events.publish(Event{Kind: EventRun, Height: m.n.Height(), Deal: d.ID, Phase: d.Phase})
	var res compute.Result
	if d.Open.ExecutorName() == chain.ExecutorWebGPU {
		res, err = m.runGPU(ctx, d, job, r)
	} else {
		res, err = m.execute(ctx, r, job)
	}
	if err != nil {
		log.Info("job not run", "err", err)
		return chain.Hash{}, 0, err
	}
	o := market.OutputsOf(res)
	if m.cfg.Fault == FaultWrongOutput {
		o.Stdout = append(slices.Clone(o.Stdout), "tampered"...)
		o.Result.Stdout = market.Part{Hash: chain.Hash(content.HashOf(o.Stdout)), Size: uint64(len(o.Stdout))}
	}
	doc := o.Result.Encode()
	for _, b := range [][]byte{o.Stdout, o.Tree, doc} {
		if len(b) == 0 {
			continue
		}
		h, err := m.cs.Put(b)
		if err == nil {
			err = m.hostOnTrustees(ctx, h, len(b))
		}
		if err != nil {
			log.Info("output not stored", "err", err)
			return chain.Hash{}, 0, err
		}
	}
	log.Info("job ran", "status", res.Status, "elapsed", res.Elapsed, "stdout", len(o.Stdout), "tree", len(o.Tree), "reason", res.Reason)
	return o.Result.Hash(), market.StatusOf(res.Status), nil
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
	if r.gpu != nil && !r.done {
		r.gpu.Kill()
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

// SetTerms changes the price (per second of a deal's wall-time limit) and the slots
// the provider asks, as MarketConfig's Price and Slots, while the node runs: the next
// market pass registers them on chain, as a change of the sharing switch does. Deals
// offered at the old price and not accepted yet are accepted at the new one only if
// it still fits their maximum price.
func (n *Node) SetTerms(price uint64, slots uint32) error {
	if n.mkt == nil {
		return ErrNoMarket
	}
	if err := checkTerms(price, slots); err != nil {
		return err
	}
	n.mkt.mu.Lock()
	n.mkt.price, n.mkt.slots = price, slots
	n.mkt.mu.Unlock()
	n.mkt.poke()
	return nil
}

// checkTerms is MarketConfig.Validate's rule for the price and the slots.
func checkTerms(price uint64, slots uint32) error {
	switch {
	case price == 0:
		return fmt.Errorf("%w: price 0", ErrPrice)
	case slots < 1 || slots > chain.MaxSlots:
		return fmt.Errorf("%w: %d slots, want 1 to %d", ErrSlots, slots, chain.MaxSlots)
	}
	return nil
}

// Terms returns the price and slots the provider asks now (SetTerms); ok is false
// without a market role.
func (n *Node) Terms() (price uint64, slots uint32, ok bool) {
	if n.mkt == nil {
		return 0, 0, false
	}
	n.mkt.mu.Lock()
	defer n.mkt.mu.Unlock()
	return n.mkt.price, n.mkt.slots, true
}

// Sales lists the deals this node saw accepted, by any provider, in verified blocks
// of the last market.PriceWindow epochs it followed, oldest first: what
// market.SuggestPrice reads. Without a wallet the node keeps no deals and lists none.
func (n *Node) Sales() []market.Sale {
	if n.book == nil {
		return nil
	}
	return n.book.Sales()
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
