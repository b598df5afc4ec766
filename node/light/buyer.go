package light

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/content"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/market"
)

// JobSpec is a job to buy.
type JobSpec struct {
	Module []byte
	Input  []byte
	// InputTree says Input is a packed tree (compute.PackTree) for /input.
	InputTree bool
	Args      []string
	Env       []string // NAME=value
	Limits    chain.DealLimits
	MaxPrice  uint64
	// BuyerDeposit backs the buyer's reject; default MaxPrice.
	BuyerDeposit uint64
	// Deadline is how many epochs the provider has to post a result.
	Deadline uint64
	// Avoid names providers the deal must not go to (chain.DealOpen.Avoid).
	Avoid []keys.Address
	// Executor is "" for a WASI module, or chain.ExecutorWebGPU for a GPU job, whose
	// Module is a GPU manifest (node/gpu) and whose Input, if any, a tree.
	Executor string
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

// react fetches a posted result, checks it against its hash (the fetch does), re-runs
// the job with probability Recheck, and accepts or rejects it as market.Answer says;
// it records whether this node re-executed the result and it matched.
func (m *agent) react(ctx context.Context, d *chain.Deal) (record func(), err error) {
	ok, checked, err := m.verify(ctx, d)
	body, retry := market.Answer(d, m.n.Height(), ok, err)
	if retry {
		return nil, err // try again next block while there is time
	}
	if _, err := m.n.sendTx(ctx, 0, body); err != nil {
		return nil, err
	}
	return func() {
		if j := m.buys[d.ID]; j != nil {
			j.Checked = checked && ok
		}
	}, nil
}

// verify reports whether the posted result is to be accepted, and whether it was
// re-executed to decide.
func (m *agent) verify(ctx context.Context, d *chain.Deal) (ok, checked bool, err error) {
	posted, err := market.FetchOutputs(ctx, d, m.fetch)
	if err != nil {
		return false, false, err
	}
	if !market.Recheck(m.n.cfg.Wallet.Sign(market.RecheckSalt(d.ID)), m.cfg.Recheck.Probability()) {
		return true, false, nil
	}
	job, err := market.FetchJob(ctx, d, m.fetch)
	if err != nil {
		return false, false, err
	}
	if d.Open.ExecutorName() == chain.ExecutorWebGPU {
		return m.recheckGPU(ctx, d, job, posted)
	}
	res, err := m.reexecute(ctx, job)
	if err != nil {
		return false, false, err
	}
	return market.Matches(d, res), true, nil
}

// reexecute runs a buyer's check of a result: in a worker process when there is one,
// as providers run jobs, else in this process. Compiling and running a module here
// would cost this process seconds of CPU and tens of megabytes each time.
func (m *agent) reexecute(ctx context.Context, job compute.Job) (compute.Result, error) {
	return m.runJob(ctx, job, nil)
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
	check := &chain.DealOpen{Module: chain.Hash(content.HashOf(spec.Module)), Input: chain.Hash(content.HashOf(spec.Input)), InputTree: spec.InputTree,
		Args: spec.Args, Env: spec.Env, Limits: spec.Limits, MaxPrice: spec.MaxPrice, BuyerDeposit: spec.BuyerDeposit, Deadline: spec.Deadline, Avoid: spec.Avoid, Executor: spec.Executor}
	if err := chain.ValidateBody(check); err != nil {
		return chain.Hash{}, err
	}
	if spec.InputTree {
		if _, err := compute.UnpackTree(spec.Input); err != nil {
			return chain.Hash{}, fmt.Errorf("the input: %w", err)
		}
	}
	if spec.Executor == chain.ExecutorWebGPU {
		if err := market.CheckGPUDeal(check, spec.Module, spec.Input); err != nil {
			return chain.Hash{}, fmt.Errorf("the GPU job: %w", err)
		}
	} else if err := n.CheckModule(ctx, spec.Module); err != nil {
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
	body := &chain.DealOpen{Module: chain.Hash(mh), Input: chain.Hash(ih), InputTree: spec.InputTree, Args: spec.Args, Env: spec.Env, Limits: spec.Limits,
		MaxPrice: spec.MaxPrice, BuyerDeposit: spec.BuyerDeposit, Deadline: n.Height() + 1 + spec.Deadline, Avoid: spec.Avoid, Executor: spec.Executor}
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

// JobOutput fetches the standard output of a deal whose result was posted, checked
// against the hashes the provider posted.
func (n *Node) JobOutput(ctx context.Context, id chain.Hash) ([]byte, error) {
	o, err := n.JobResult(ctx, id)
	return o.Stdout, err
}

// JobResult fetches the result of a deal whose result was posted: the document (its
// standard error and reason) and the standard output and output tree it names, each
// checked against the hashes the provider posted.
func (n *Node) JobResult(ctx context.Context, id chain.Hash) (market.Outputs, error) {
	j, ok := n.JobByID(id)
	if !ok {
		return market.Outputs{}, fmt.Errorf("%w: %s", ErrNoDeal, id.Short())
	}
	if j.Deal.Output.IsZero() {
		return market.Outputs{}, fmt.Errorf("%w: deal %s has no result yet (%s)", ErrNoDeal, id.Short(), j.Deal.Phase)
	}
	return market.FetchOutputs(ctx, &j.Deal, n.mkt.fetch)
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
