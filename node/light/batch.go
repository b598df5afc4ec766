package light

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"sync"
	"time"

	"github.com/daolicloud/daoli/node/batch"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/content"
)

// A buyer's batches: node/batch decides, this file carries the decisions out. After
// each verified block the runner folds the deals of every unfinished batch into it
// (as the buyer agent last proved them), opens the deals batch.Next asks for through
// OpenDeal, the single job's path, sends the withdrawals of a cancelled batch, and
// stores each batch that changed, so an app restart loses no task's result or retry.

// BatchSpec is a batch to buy: Job's terms (its Input and Args are ignored) for every
// task, each task with its own input and arguments.
type BatchSpec struct {
	Name     string // what runs, for the lists: a template's or a module file's name
	Job      JobSpec
	Tasks    []TaskSpec
	Attempts int // deals a task gets at most; 0 takes batch.DefaultAttempts
}

// TaskSpec is one task of a batch.
type TaskSpec struct {
	Name      string // its folder in the results
	Input     []byte
	InputTree bool // Input is a packed folder (compute.PackTree), the job's /input
	Args      []string
}

// BatchStatus is a batch as the node holds it, and what last went wrong running it.
type BatchStatus struct {
	Batch *batch.Batch // a copy
	Error string
}

type batchRunner struct {
	n    *Node
	kick chan struct{}

	mu   sync.Mutex
	all  map[chain.Hash]*batch.Batch
	errs map[chain.Hash]string
}

func loadBatches(n *Node) (*batchRunner, error) {
	r := &batchRunner{n: n, kick: make(chan struct{}, 1), all: map[chain.Hash]*batch.Batch{}, errs: map[chain.Hash]string{}}
	err := n.store.ForEachBatch(func(id chain.Hash, v []byte) error {
		b, err := batch.Decode(v)
		if err != nil || b.ID != id {
			return fmt.Errorf("%w: batch %s: %v", ErrCorrupt, id.Short(), err)
		}
		r.all[id] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load batches: %w", err)
	}
	return r, nil
}

func (r *batchRunner) poke() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// loop runs a pass after each verified block and each request, while ctx lasts.
func (r *batchRunner) loop(ctx context.Context) {
	events, unsub := r.n.Subscribe()
	defer unsub()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-events:
			if !ok {
				return
			}
			if e.Kind != EventBlock && e.Kind != EventJob {
				continue
			}
		case <-r.kick:
		}
		r.pass(ctx)
	}
}

// pass takes every unfinished batch a step.
func (r *batchRunner) pass(ctx context.Context) {
	r.mu.Lock()
	live := false
	for _, b := range r.all {
		live = live || !b.Finished()
	}
	r.mu.Unlock()
	if !live {
		return
	}
	r.follow()
	h := r.n.Height()
	deals := map[chain.Hash]chain.Deal{}
	for _, j := range r.n.Jobs() {
		deals[j.Deal.ID] = j.Deal
	}
	look := func(id chain.Hash) (chain.Deal, bool) { d, ok := deals[id]; return d, ok }

	type work struct {
		b    *batch.Batch
		plan batch.Plan
	}
	var todo []work
	r.mu.Lock()
	budget := batch.MaxUnconfirmed
	for _, b := range r.all {
		budget -= b.Unconfirmed()
	}
	ids := make([]chain.Hash, 0, len(r.all))
	for id := range r.all {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(x, y chain.Hash) int { return int(r.all[x].Created - r.all[y].Created) })
	for _, id := range ids {
		b := r.all[id]
		if b.Finished() {
			continue
		}
		if b.Observe(h, look) {
			r.save(b)
		}
		p := b.Next(h, max(budget, 0))
		budget -= len(p.Open)
		if len(p.Open) > 0 || len(p.Withdraw) > 0 {
			todo = append(todo, work{b, p})
		}
	}
	r.mu.Unlock()

	for _, w := range todo {
		if err := r.carryOut(ctx, w.b, w.plan, h); err != nil && ctx.Err() == nil {
			r.n.log.Info("batch step", "batch", w.b.ID.Short(), "err", err)
		}
	}
}

// follow has the buyer's agent follow every live deal of the batches: a DealOpen sent
// just before a restart lands after it, when the agent, which follows the deals the
// store held at its start, would not see its result posted and would let the reaction
// window pass.
func (r *batchRunner) follow() {
	r.mu.Lock()
	var live []chain.Hash
	for _, b := range r.all {
		for _, t := range b.Tasks {
			for _, a := range t.Tries {
				if a.Phase != chain.PhaseClosed && !a.Lost {
					live = append(live, a.Deal)
				}
			}
		}
	}
	r.mu.Unlock()
	m := r.n.mkt
	m.mu.Lock()
	for _, id := range live {
		if _, ok := m.buys[id]; ok {
			continue
		}
		if d, ok := r.n.book.Deal(id); ok && d.Phase == chain.PhaseClosed {
			continue // the store's replica saw it close
		}
		m.buys[id] = &Job{Deal: chain.Deal{ID: id, Buyer: r.n.me}}
	}
	m.mu.Unlock()
}

// carryOut opens the deals and sends the withdrawals of plan p, recording each as it
// goes; the first error ends it until the next pass.
func (r *batchRunner) carryOut(ctx context.Context, b *batch.Batch, p batch.Plan, h uint64) (err error) {
	defer func() {
		r.mu.Lock()
		r.errs[b.ID] = ""
		if err != nil {
			r.errs[b.ID] = err.Error()
		}
		r.save(b)
		r.mu.Unlock()
	}()
	for _, id := range p.Withdraw {
		if _, err := r.n.sendTx(ctx, 0, &chain.DealTimeout{Deal: id}); err != nil {
			return fmt.Errorf("withdraw deal %s: %w", id.Short(), err)
		}
		r.mu.Lock()
		b.WithdrawSent(id, h)
		r.save(b)
		r.mu.Unlock()
	}
	if len(p.Open) == 0 {
		return nil
	}
	cs := r.n.mkt.cs
	module, err := cs.Get(content.Hash(b.Module))
	if err != nil {
		return fmt.Errorf("the batch's module: %w", err)
	}
	for _, i := range p.Open {
		r.mu.Lock()
		t, cancelled := b.Tasks[i], b.Cancelled
		r.mu.Unlock()
		if cancelled {
			return nil
		}
		spec := JobSpec{Module: module, InputTree: t.InputTree, Args: t.Args, Env: b.Env, Limits: b.Limits,
			MaxPrice: b.MaxPrice, BuyerDeposit: b.BuyerDeposit, Deadline: b.Deadline, Avoid: t.Avoid()}
		if !t.Input.IsZero() {
			if spec.Input, err = cs.Get(content.Hash(t.Input)); err != nil {
				return fmt.Errorf("task %s's input: %w", t.Name, err)
			}
		}
		id, err := r.n.OpenDeal(ctx, spec)
		if err != nil {
			return fmt.Errorf("task %s: %w", t.Name, err)
		}
		// Stored at once: a crash before the next save would open this task again.
		r.mu.Lock()
		b.Opened(i, id, h)
		r.save(b)
		r.mu.Unlock()
	}
	return nil
}

// save stores b; the caller holds mu. A batch that cannot be stored keeps running, and
// the error is its problem until a later save goes through.
func (r *batchRunner) save(b *batch.Batch) {
	if err := r.n.store.PutBatch(b.ID, batch.Encode(b)); err != nil {
		r.errs[b.ID] = err.Error()
		r.n.log.Warn("store batch", "batch", b.ID.Short(), "err", err)
	}
}

// OpenBatch buys a batch: it checks the module once and that the balance covers every
// task's escrow, keeps the module and the inputs in this node's content store, stores
// the batch and returns its ID. The runner opens the tasks' deals from the next pass
// on, spread over the blocks so that no more than batch.MaxUnconfirmed wait at once.
func (n *Node) OpenBatch(ctx context.Context, spec BatchSpec) (chain.Hash, error) {
	if n.mkt == nil || n.bat == nil {
		return chain.Hash{}, ErrNoMarket
	}
	if err := batch.CheckSize(len(spec.Tasks)); err != nil {
		return chain.Hash{}, err
	}
	js := spec.Job
	if js.MaxPrice == 0 {
		return chain.Hash{}, fmt.Errorf("%w: the maximum price must be above zero", ErrAmount)
	}
	if js.BuyerDeposit == 0 {
		js.BuyerDeposit = js.MaxPrice
	}
	if js.Deadline <= chain.AcceptWindow {
		return chain.Hash{}, fmt.Errorf("%w: a deadline of %d epochs leaves no time to run; give more than %d", ErrAmount, js.Deadline, chain.AcceptWindow)
	}
	attempts := spec.Attempts
	if attempts == 0 {
		attempts = batch.DefaultAttempts
	}
	if err := n.CheckModule(ctx, js.Module); err != nil {
		return chain.Hash{}, err
	}
	acct, err := n.Balance(ctx)
	if err != nil {
		return chain.Hash{}, err
	}
	each := js.MaxPrice + js.BuyerDeposit
	hi, need := bits.Mul64(each, uint64(len(spec.Tasks)))
	if each < js.MaxPrice || hi != 0 || acct.Balance < need {
		return chain.Hash{}, fmt.Errorf("%w: the balance is %d, and %d tasks put %d in escrow (%d each: the maximum price %d and a deposit of %d, returned unless a mediator finds against you); earn or receive coins first, or run fewer tasks",
			ErrAmount, acct.Balance, len(spec.Tasks), need, each, js.MaxPrice, js.BuyerDeposit)
	}
	cs := n.mkt.cs
	mh, err := cs.Put(js.Module)
	if err != nil {
		return chain.Hash{}, err
	}
	b := &batch.Batch{Name: spec.Name, Created: time.Now().UnixNano(), Module: chain.Hash(mh), Limits: js.Limits,
		MaxPrice: js.MaxPrice, BuyerDeposit: js.BuyerDeposit, Deadline: js.Deadline, Env: slices.Clone(js.Env),
		Attempts: uint32(min(attempts, batch.MaxAttempts+1))}
	for _, t := range spec.Tasks {
		// Each task's deal is checked as OpenDeal checks one, before anything is kept.
		check := &chain.DealOpen{Module: chain.Hash(mh), Input: chain.Hash(content.HashOf(t.Input)), InputTree: t.InputTree,
			Args: t.Args, Env: js.Env, Limits: js.Limits, MaxPrice: js.MaxPrice, BuyerDeposit: js.BuyerDeposit, Deadline: js.Deadline}
		if err := chain.ValidateBody(check); err != nil {
			return chain.Hash{}, fmt.Errorf("task %s: %w", t.Name, err)
		}
		if t.InputTree {
			if _, err := compute.UnpackTree(t.Input); err != nil {
				return chain.Hash{}, fmt.Errorf("task %s's input: %w", t.Name, err)
			}
		}
		task := batch.Task{Name: t.Name, InputTree: t.InputTree, Args: slices.Clone(t.Args)}
		if len(t.Input) > 0 {
			ih, err := cs.Put(t.Input)
			if err != nil {
				return chain.Hash{}, fmt.Errorf("task %s's input: %w", t.Name, err)
			}
			task.Input = chain.Hash(ih)
		}
		b.Tasks = append(b.Tasks, task)
	}
	if err := b.Check(); err != nil {
		return chain.Hash{}, err
	}
	var salt [8]byte
	_, _ = rand.Read(salt[:])
	sum := sha256.New()
	sum.Write([]byte("daoli/batch"))
	sum.Write(n.me[:])
	sum.Write(binary.BigEndian.AppendUint64(nil, uint64(b.Created)))
	sum.Write(salt[:])
	sum.Write(batch.Encode(b))
	b.ID = chain.Hash(sum.Sum(nil))
	r := n.bat
	r.mu.Lock()
	err = n.store.PutBatch(b.ID, batch.Encode(b))
	if err == nil {
		r.all[b.ID] = b
	}
	r.mu.Unlock()
	if err != nil {
		return chain.Hash{}, fmt.Errorf("store the batch: %w", err)
	}
	r.poke()
	return b.ID, nil
}

// Batches lists this node's batches, newest first.
func (n *Node) Batches() []BatchStatus {
	if n.bat == nil {
		return nil
	}
	r := n.bat
	r.mu.Lock()
	out := make([]BatchStatus, 0, len(r.all))
	for id, b := range r.all {
		c, err := batch.Decode(batch.Encode(b))
		if err != nil {
			panic(fmt.Sprintf("light: batch %s does not survive its own encoding: %v", id.Short(), err))
		}
		out = append(out, BatchStatus{Batch: c, Error: r.errs[id]})
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(x, y BatchStatus) int {
		if x.Batch.Created != y.Batch.Created {
			return int(y.Batch.Created - x.Batch.Created)
		}
		return slices.Compare(x.Batch.ID[:], y.Batch.ID[:])
	})
	return out
}

// BatchByID returns one of this node's batches.
func (n *Node) BatchByID(id chain.Hash) (BatchStatus, bool) {
	for _, b := range n.Batches() {
		if b.Batch.ID == id {
			return b, true
		}
	}
	return BatchStatus{}, false
}

// CancelBatch cancels a batch: no task is opened any more, the deals no provider has
// taken are withdrawn (their escrow comes back), and the taken ones finish and are
// paid as the market's rules say.
func (n *Node) CancelBatch(id chain.Hash) error {
	if n.bat == nil {
		return ErrNoMarket
	}
	r := n.bat
	r.mu.Lock()
	b, ok := r.all[id]
	if ok && !b.Cancelled {
		b.Cancelled = true
		r.save(b)
	}
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: batch %s", ErrNoDeal, id.Short())
	}
	r.poke()
	return nil
}
