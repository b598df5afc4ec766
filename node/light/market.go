package light

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/content"
	"github.com/daolicloud/daoli/node/market"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/wire"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/daolicloud/daoli/node/market/terms"
)

// ProviderFault makes a provider misbehave, for tests of mediation and timeouts.
type ProviderFault uint8

// Provider faults.
const (
	FaultNone        ProviderFault = iota
	FaultWrongOutput               // posts the hash of an output it did not compute
	FaultSilent                    // accepts deals and never posts a result
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

// JobSpec is a job to buy.
type JobSpec struct {
	Module   []byte
	Input    []byte
	Args     []string
	Limits   chain.DealLimits
	MaxPrice uint64
	// BuyerDeposit backs the buyer's reject; default MaxPrice.
	BuyerDeposit uint64
	// Deadline is how many epochs the provider has to post a result.
	Deadline uint64
}

// Job is a deal this node opened, as last proven against a certified state root (or,
// before the first proof, as the node's replica has it).
type Job struct {
	Deal     chain.Deal
	OpenedAt time.Time // the BFT time of the block that opened it; zero before
	Proven   uint64    // height of the last proof; 0 when none yet
	Checked  bool      // this node re-executed the result and it matched
	Error    string    // the last thing that went wrong handling it, in words
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
	regSent   uint64 // height when the last ProviderRegister was sent
	regSlots  uint32 // its slots
	record    *chain.Provider
	runs      map[chain.Hash]*providerRun
	buys      map[chain.Hash]*Job
	acting    map[chain.Hash]bool // a step of the deal is in flight
	sent      map[chain.Hash]uint64
}

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

func (m *agent) buyerStep(ctx context.Context, j *Job, next uint64) {
	d := &j.Deal
	switch d.Phase {
	case chain.PhaseOpen, chain.PhaseAccepted:
		if next > d.Open.Deadline {
			m.timeout(ctx, d, next)
		}
	case chain.PhasePosted:
		dd := *d
		m.once(ctx, d.ID, "react", next, func(ctx context.Context) error { return m.react(ctx, &dd) })
	case chain.PhaseDisputed:
		if next > d.Disputed+chain.VerdictWindow {
			m.timeout(ctx, d, next)
		}
	}
}

// react fetches a posted result, checks it against its hash (the fetch does), re-runs
// the job with probability Recheck, and accepts or rejects it.
func (m *agent) react(ctx context.Context, d *chain.Deal) error {
	ok, checked, err := m.verify(ctx, d)
	if err != nil && ctx.Err() == nil && m.n.Height()+2 < d.Posted+chain.ReactWindow {
		return err // try again next block while there is time
	}
	var body chain.Body = &chain.ResultAccept{Deal: d.ID}
	if !ok {
		reason := "the output differs from a re-execution"
		if err != nil {
			reason = "the output could not be fetched: " + err.Error()
		}
		body = &chain.ResultReject{Deal: d.ID, Reason: truncate(reason, chain.MaxMemo)}
	}
	if _, err := m.n.sendTx(ctx, 0, body); err != nil {
		return err
	}
	m.mu.Lock()
	if j := m.buys[d.ID]; j != nil {
		j.Checked = checked && ok
	}
	m.mu.Unlock()
	return nil
}

// verify reports whether the posted result is to be accepted, and whether it was
// re-executed to decide.
func (m *agent) verify(ctx context.Context, d *chain.Deal) (ok, checked bool, err error) {
	if _, err := m.fetch(ctx, d.Output, int64(d.Open.Limits.OutputMax)); err != nil {
		return false, false, err
	}
	if !m.recheck(d.ID) {
		return true, false, nil
	}
	job, err := m.job(ctx, d)
	if err != nil {
		return false, false, err
	}
	res, err := m.reexecute(ctx, job)
	if err != nil {
		return false, false, err
	}
	same := market.OutputHash(res.Stdout) == d.Output && market.StatusOf(res.Status) == d.Status
	return same, true, nil
}

// recheck decides, from the deal's ID, whether this buyer re-executes its result: a
// fair coin of bias Recheck that the provider cannot predict before it posts (it does
// not know the buyer's key-derived salt).
func (m *agent) recheck(id chain.Hash) bool {
	p := m.cfg.Recheck.Probability()
	switch {
	case p <= 0:
		return false
	case p >= 1:
		return true
	}
	salt := m.n.cfg.Wallet.Sign(append([]byte("daoli/recheck/v1"), id[:]...))
	h := sha256.Sum256(salt)
	return float64(binary.BigEndian.Uint64(h[:8])>>11)/(1<<53) < p
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
	job, err := m.job(ctx, d)
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

// reexecute runs a buyer's check of a result: in a worker process when there is one,
// as providers run jobs, else in this process. Compiling and running a module here
// would cost this process seconds of CPU and tens of megabytes each time.
func (m *agent) reexecute(ctx context.Context, job compute.Job) (compute.Result, error) {
	return m.runJob(ctx, job, nil)
}

// runJob runs job in a worker process, or in this process when there is no worker.
// watch, when set, is handed the worker process before it is waited on, and what it
// returns is called once the process ended.
func (m *agent) runJob(ctx context.Context, job compute.Job, watch func(*compute.Process) (release func())) (compute.Result, error) {
	if m.cfg.Worker == nil {
		sb, err := m.sandbox()
		if err != nil {
			return compute.Result{}, err
		}
		return sb.Run(ctx, job)
	}
	p, err := m.cfg.Worker.Start(job)
	if err != nil {
		return compute.Result{}, err
	}
	if watch != nil {
		defer watch(p)()
	}
	return p.Wait(ctx)
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

// job fetches a deal's module and input.
func (m *agent) job(ctx context.Context, d *chain.Deal) (compute.Job, error) {
	module, err := m.fetch(ctx, d.Open.Module, terms.MaxBlob)
	if err != nil {
		return compute.Job{}, fmt.Errorf("module: %w", err)
	}
	var input []byte
	if !d.Open.Input.IsZero() {
		if input, err = m.fetch(ctx, d.Open.Input, terms.MaxBlob); err != nil {
			return compute.Job{}, fmt.Errorf("input: %w", err)
		}
	}
	return market.JobOf(d, module, input), nil
}

// fetch gets a blob from this node's store or the trustees that keep it.
func (m *agent) fetch(ctx context.Context, h chain.Hash, maxSize int64) ([]byte, error) {
	f := &content.Fetcher{Req: m.n.net, Proto: m.n.rem.protos.Content, Store: m.cs,
		Punish: func(p peer.ID, reason string) { m.n.net.Penalize(p, p2p.PenaltyBadInput, reason) }}
	ctx, cancel := context.WithTimeout(ctx, fetchWait)
	defer cancel()
	return f.Fetch(ctx, content.Hash(h), maxSize, m.n.trusteePeers(), nil)
}

// hostOnTrustees asks the connected trustees to keep blob h, which this node serves;
// one that keeps it is enough for others to find it.
func (m *agent) hostOnTrustees(ctx context.Context, h content.Hash, size int) error {
	ids := m.n.trusteePeers()
	if len(ids) == 0 {
		return ErrNoTrustees
	}
	ctx, cancel := context.WithTimeout(ctx, fetchWait)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var kept int
	var last error
	for _, id := range ids {
		wg.Go(func() {
			err := content.AskHost(ctx, m.n.net, m.n.rem.protos.ContentHost, id, h, size)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				last = err
				return
			}
			kept++
		})
	}
	wg.Wait()
	if kept == 0 {
		return fmt.Errorf("no trustee keeps %s: %w", h, last)
	}
	return nil
}

// fetchWait bounds one blob transfer.
const fetchWait = 2 * time.Minute

// truncate cuts s to at most n bytes of valid UTF-8: a reason goes on chain, which
// refuses text that is not UTF-8, so a cut never splits a character, and bytes that
// were not UTF-8 to begin with (an error can quote anything) become U+FFFD.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ErrNoMarket: the node was started without a market configuration or a wallet.
var ErrNoMarket = errors.New("the compute market is not enabled on this node")

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

// CheckModule says in words why module is not a WASI module the sandbox runs.
func (n *Node) CheckModule(ctx context.Context, module []byte) error {
	if n.mkt == nil {
		return ErrNoMarket
	}
	sb, err := n.mkt.sandbox()
	if err != nil {
		return err
	}
	return sb.Check(ctx, module)
}

// OpenDeal buys a run of a job: the module and input go to this node's content store
// and to the trustees, then a DealOpen escrows the price and the deposit. It returns
// the deal's ID once a trustee took the transaction.
func (n *Node) OpenDeal(ctx context.Context, spec JobSpec) (chain.Hash, error) {
	if n.mkt == nil {
		return chain.Hash{}, ErrNoMarket
	}
	if spec.MaxPrice == 0 {
		return chain.Hash{}, fmt.Errorf("%w: the maximum price must be above zero", ErrAmount)
	}
	if spec.BuyerDeposit == 0 {
		spec.BuyerDeposit = spec.MaxPrice
	}
	if spec.Deadline <= chain.AcceptWindow {
		return chain.Hash{}, fmt.Errorf("%w: a deadline of %d epochs leaves no time to run; give more than %d", ErrAmount, spec.Deadline, chain.AcceptWindow)
	}
	if err := n.CheckModule(ctx, spec.Module); err != nil {
		return chain.Hash{}, err
	}
	acct, err := n.Balance(ctx)
	if err != nil {
		return chain.Hash{}, err
	}
	if need := spec.MaxPrice + spec.BuyerDeposit; need < spec.MaxPrice || acct.Balance < need {
		return chain.Hash{}, fmt.Errorf("%w: the balance is %d, and this job puts %d in escrow (the maximum price %d and a deposit of %d, returned unless a mediator finds against you); earn or receive coins first",
			ErrAmount, acct.Balance, need, spec.MaxPrice, spec.BuyerDeposit)
	}
	m := n.mkt
	mh, err := m.cs.Put(spec.Module)
	if err != nil {
		return chain.Hash{}, err
	}
	if err := m.hostOnTrustees(ctx, mh, len(spec.Module)); err != nil {
		return chain.Hash{}, fmt.Errorf("upload the module: %w", err)
	}
	var ih content.Hash
	if len(spec.Input) > 0 {
		if ih, err = m.cs.Put(spec.Input); err != nil {
			return chain.Hash{}, err
		}
		if err := m.hostOnTrustees(ctx, ih, len(spec.Input)); err != nil {
			return chain.Hash{}, fmt.Errorf("upload the input: %w", err)
		}
	}
	body := &chain.DealOpen{Module: chain.Hash(mh), Input: chain.Hash(ih), Args: spec.Args, Limits: spec.Limits,
		MaxPrice: spec.MaxPrice, BuyerDeposit: spec.BuyerDeposit, Deadline: n.Height() + 1 + spec.Deadline}
	id, err := n.sendTx(ctx, 0, body)
	if err != nil {
		return chain.Hash{}, err
	}
	m.mu.Lock()
	m.buys[id] = &Job{Deal: chain.Deal{ID: id, Buyer: n.me, Open: *body}}
	m.mu.Unlock()
	return id, nil
}

// Jobs lists the deals this node opened, newest first.
func (n *Node) Jobs() []Job {
	if n.mkt == nil {
		return nil
	}
	byID := map[chain.Hash]Job{}
	for _, d := range n.book.Mine() {
		byID[d.ID] = Job{Deal: d}
	}
	n.mkt.mu.Lock()
	for id, j := range n.mkt.buys {
		if cur, ok := byID[id]; ok && cur.Deal.Phase == chain.PhaseClosed && j.Deal.Phase != chain.PhaseClosed {
			// The replica saw it close before the next proof did.
			cur.Checked, cur.Error = j.Checked, j.Error
			byID[id] = cur
			continue
		}
		byID[id] = *j
	}
	n.mkt.mu.Unlock()
	out := make([]Job, 0, len(byID))
	for _, j := range byID {
		if j.Deal.Opened > 0 {
			if h, err := n.store.Header(j.Deal.Opened); err == nil {
				j.OpenedAt = time.Unix(0, h.Time)
			}
		}
		out = append(out, j)
	}
	slices.SortFunc(out, func(a, b Job) int {
		if a.Deal.Opened != b.Deal.Opened {
			if a.Deal.Opened == 0 || a.Deal.Opened > b.Deal.Opened && b.Deal.Opened != 0 {
				return -1
			}
			return 1
		}
		return slices.Compare(a.Deal.ID[:], b.Deal.ID[:])
	})
	return out
}

// JobByID returns one of this node's deals.
func (n *Node) JobByID(id chain.Hash) (Job, bool) {
	for _, j := range n.Jobs() {
		if j.Deal.ID == id {
			return j, true
		}
	}
	return Job{}, false
}

// JobOutput fetches the output of a deal whose result was posted, checked against the
// hash the provider posted.
func (n *Node) JobOutput(ctx context.Context, id chain.Hash) ([]byte, error) {
	j, ok := n.JobByID(id)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoDeal, id.Short())
	}
	if j.Deal.Output.IsZero() {
		return nil, fmt.Errorf("%w: deal %s has no result yet (%s)", ErrNoDeal, id.Short(), j.Deal.Phase)
	}
	return n.mkt.fetch(ctx, j.Deal.Output, int64(j.Deal.Open.Limits.OutputMax))
}

// CancelJob withdraws a deal no provider has accepted yet; its escrow comes back.
func (n *Node) CancelJob(ctx context.Context, id chain.Hash) error {
	j, ok := n.JobByID(id)
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoDeal, id.Short())
	}
	if j.Deal.Phase != chain.PhaseOpen && j.Deal.Phase != 0 {
		return fmt.Errorf("%w: deal %s is %s; only a deal no provider accepted can be withdrawn", ErrDealState, id.Short(), j.Deal.Phase)
	}
	_, err := n.sendTx(ctx, 0, &chain.DealTimeout{Deal: id})
	return err
}

// proveState proves state keys against a verified header, waiting briefly for the
// node to verify the trustee's height. A nil value is a key the state does not hold.
func (n *Node) proveState(ctx context.Context, ks []chain.Hash) ([][]byte, uint64, error) {
	ids := n.trusteePeers()
	if len(ids) == 0 {
		return nil, 0, ErrNoTrustees
	}
	var last error
	for _, id := range ids {
		resp := new(wire.StateResponse)
		if err := n.rem.ask(ctx, id, n.rem.protos.State, &wire.StateRequest{Keys: ks}, resp, p2p.ProofResponseLimit); err != nil {
			last = err
			continue
		}
		if len(resp.Proofs) != len(ks) {
			last = fmt.Errorf("%w: %d proofs for %d keys", ErrBadProof, len(resp.Proofs), len(ks))
			continue
		}
		if err := n.awaitHeight(ctx, resp.Height); err != nil {
			last = err
			continue
		}
		h, err := n.store.Header(resp.Height)
		if err != nil {
			return nil, 0, err
		}
		values := make([][]byte, len(ks))
		for i, k := range ks {
			if values[i], err = chain.VerifyProof(h.StateRoot, k, &resp.Proofs[i]); err != nil {
				break
			}
		}
		if err != nil {
			n.net.Penalize(id, p2p.PenaltyBadInput, "state proof that does not verify")
			last = fmt.Errorf("%w: %w", ErrBadProof, err)
			continue
		}
		return values, resp.Height, nil
	}
	return nil, 0, fmt.Errorf("prove state: %w", last)
}

// awaitHeight waits briefly until the node has verified height h.
func (n *Node) awaitHeight(ctx context.Context, h uint64) error {
	if h <= n.Height() {
		return nil
	}
	n.Kick()
	deadline := time.Now().Add(waitSynced)
	for n.Height() < h {
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: proof at height %d, verified up to %d", ErrBehind, h, n.Height())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(n.cfg.Poll / 4):
		}
	}
	return nil
}

// sendTx signs body with the wallet at its next nonce and hands it to the trustees.
func (n *Node) sendTx(ctx context.Context, fee uint64, body chain.Body) (chain.Hash, error) {
	if n.cfg.Wallet == nil {
		return chain.Hash{}, ErrNoWallet
	}
	acct, err := n.Balance(ctx)
	if err != nil {
		return chain.Hash{}, err
	}
	n.txMu.Lock()
	defer n.txMu.Unlock()
	n.wallet.mu.Lock()
	nonce := max(n.wallet.nextNonce, acct.Nonce)
	if n.wallet.nextNonce > acct.Nonce && acct.Height > n.wallet.sentAt+staleNonce {
		// Transactions sent long ago never landed (a trustee dropped them): the
		// account's own nonce is the next one.
		nonce = acct.Nonce
	}
	n.wallet.mu.Unlock()
	tx := chain.NewTx(n.cfg.Wallet, n.cfg.Network.ChainID, nonce, fee, body)
	if _, err := tx.ValidateBasic(n.cfg.Network.ChainID); err != nil {
		return chain.Hash{}, err
	}
	if took, err := n.submit(ctx, &wire.SubmitRequest{Tx: tx}); took == 0 {
		return chain.Hash{}, fmt.Errorf("%s: %w: %v", tx.Kind, ErrNotTaken, err)
	}
	n.wallet.mu.Lock()
	n.wallet.nextNonce = nonce + 1
	n.wallet.sentAt = max(n.wallet.sentAt, n.Height())
	n.wallet.mu.Unlock()
	return tx.Hash(), nil
}

// staleNonce is how many blocks a sent transaction may take to land before its nonce
// is given up on.
const staleNonce = 8

// Params are the chain's genesis parameters.
func (n *Node) Params() chain.Params { return n.params }

// Submit signs body with the wallet at its next nonce and hands it to the trustees,
// for transactions the node has no method of its own for (a trustee's bond).
func (n *Node) Submit(ctx context.Context, fee uint64, body chain.Body) (chain.Hash, error) {
	return n.sendTx(ctx, fee, body)
}

// ProveState proves one state key against a verified header and returns its value
// (nil when the state does not hold it) and the header's height.
func (n *Node) ProveState(ctx context.Context, key chain.Hash) ([]byte, uint64, error) {
	values, h, err := n.proveState(ctx, []chain.Hash{key})
	if err != nil {
		return nil, 0, err
	}
	return values[0], h, nil
}
