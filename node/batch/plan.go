package batch

import (
	"fmt"
	"slices"
	"strings"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
)

// State is where a task is.
type State uint8

// Task states.
const (
	Waiting   State = iota + 1 // no provider has taken it: no deal yet, or its deal is open
	Running                    // a provider accepted its deal; the result may be posted or disputed
	Done                       // a result was delivered and the program ran to the end
	Failed                     // the program failed or hit a cap, or every attempt's deal failed
	Cancelled                  // the buyer cancelled the batch before a provider took the task
)

func (s State) String() string {
	return [...]string{"unknown", "waiting", "running", "done", "failed", "cancelled"}[min(int(s), 5)]
}

// StateOf is where task i is.
func (b *Batch) StateOf(i int) State {
	t := &b.Tasks[i]
	if len(t.Tries) == 0 {
		if b.Cancelled {
			return Cancelled
		}
		return Waiting
	}
	last := t.Tries[len(t.Tries)-1]
	switch {
	case !last.closed() && (last.Phase == 0 || last.Phase == chain.PhaseOpen):
		return Waiting
	case !last.closed():
		return Running
	case last.delivered() && last.Status == chain.StatusOK:
		return Done
	case last.delivered():
		return Failed // the program's own failure: another provider would fail the same way
	case b.Cancelled && (last.Lost || last.Outcome == chain.OutcomeWithdrawn):
		return Cancelled
	}
	ran, unrun := t.count()
	if !b.Cancelled && ran < int(b.Attempts) && unrun < MaxUnrun {
		return Waiting // to be retried
	}
	return Failed
}

// unrun says the attempt ended before any provider took it: its DealOpen never
// landed, or nobody accepted the deal by its deadline.
func (a Attempt) unrun() bool {
	return a.Lost || a.Phase == chain.PhaseClosed && a.Outcome == chain.OutcomeWithdrawn && a.Provider.IsZero()
}

// Avoid lists the providers a new deal for t must not go to: those that took one of
// its deals and were fined for it (a wrong result) or let it run late (no result by the
// deadline, losing their deposit). Such a provider may still be up, and the cheapest, so
// without this the solver would offer it the retry again. At most chain.MaxAvoid, the
// latest ones.
func (t *Task) Avoid() []keys.Address {
	var out []keys.Address
	for _, a := range t.Tries {
		if a.Phase == chain.PhaseClosed && !a.Provider.IsZero() && !slices.Contains(out, a.Provider) &&
			(a.Outcome == chain.OutcomeProviderFined || a.Outcome == chain.OutcomeProviderLate) {
			out = append(out, a.Provider)
		}
	}
	return out[max(len(out)-chain.MaxAvoid, 0):]
}

// count is how many of t's closed attempts a provider took, and how many nobody did.
func (t *Task) count() (ran, unrun int) {
	for _, a := range t.Tries {
		switch {
		case !a.closed():
		case a.unrun():
			unrun++
		default:
			ran++
		}
	}
	return ran, unrun
}

// Result is the attempt whose result task i has, if it has one: its last, once
// delivered.
func (b *Batch) Result(i int) (Attempt, bool) {
	t := &b.Tasks[i]
	if len(t.Tries) == 0 {
		return Attempt{}, false
	}
	last := t.Tries[len(t.Tries)-1]
	return last, last.delivered()
}

// Why says in words why task i failed, or "" when it did not.
func (b *Batch) Why(i int) string {
	if b.StateOf(i) != Failed {
		return ""
	}
	t := &b.Tasks[i]
	last := t.Tries[len(t.Tries)-1]
	switch {
	case last.delivered() && last.Status == chain.StatusLimit:
		return "the program hit the memory, time or output cap"
	case last.delivered():
		return "the program failed (its standard error and output are in the result)"
	}
	if _, unrun := t.count(); unrun >= MaxUnrun {
		return fmt.Sprintf("no provider took it in %d deals' time", unrun)
	}
	return fmt.Sprintf("%d attempts; the last one ended %s", len(t.Tries), last.Outcome)
}

// Observe folds what the chain shows of the batch's live deals into it: look returns a
// deal as the node last proved (or replicated) it, with phase 0 before any block held
// it. A DealOpen that no block holds LostAfter blocks after it was sent is given up
// on. It reports whether anything changed.
func (b *Batch) Observe(height uint64, look func(chain.Hash) (chain.Deal, bool)) bool {
	changed := false
	for ti := range b.Tasks {
		t := &b.Tasks[ti]
		for ai := range t.Tries {
			a := &t.Tries[ai]
			if a.closed() {
				continue
			}
			d, ok := look(a.Deal)
			if !ok || d.Phase == 0 {
				if height > a.Sent+LostAfter {
					a.Lost, changed = true, true
				}
				continue
			}
			next := *a
			next.Phase, next.Outcome, next.Status, next.Output = d.Phase, d.Outcome, d.Status, d.Output
			if d.Phase >= chain.PhaseAccepted {
				next.Provider = d.Provider
			}
			if d.Phase == chain.PhaseClosed {
				next.Spent = spent(&d)
			}
			if next != *a {
				*a, changed = next, true
			}
		}
	}
	return changed
}

// spent is what a closed deal cost its buyer: its escrow less what came back.
func spent(d *chain.Deal) uint64 {
	back := uint64(0)
	for _, p := range d.Payouts {
		if p.To == d.Buyer {
			back += p.Amount
		}
	}
	put := d.Open.MaxPrice + d.Open.BuyerDeposit
	if back > put {
		return 0 // a fine won from the provider: the buyer gained
	}
	return put - back
}

// Plan is what to do about a batch now.
type Plan struct {
	Open     []int        // tasks to open a deal for, in order
	Withdraw []chain.Hash // open deals to withdraw
}

// Next says which tasks to open a deal for at height, at most budget of them (the
// DealOpens the buyer may still have waiting for a block), and, once the batch is
// cancelled, which open deals nobody has taken to withdraw.
//
// The batch keeps no more of its deals waiting for a provider than it has running, or
// MinWaiting when fewer run: a deal's deadline counts from its opening, so a deal
// queued behind many others for the providers' slots would reach its deadline before
// anyone took it.
func (b *Batch) Next(height uint64, budget int) Plan {
	var p Plan
	waiting, running := 0, 0
	for i, t := range b.Tasks {
		switch b.StateOf(i) {
		case Running:
			running++
		case Waiting:
			if n := len(t.Tries); n > 0 && !t.Tries[n-1].closed() {
				waiting++
			}
		}
	}
	budget = min(budget, max(MinWaiting, running)-waiting)
	for i := range b.Tasks {
		t := &b.Tasks[i]
		if b.Cancelled {
			if n := len(t.Tries); n > 0 {
				last := t.Tries[n-1]
				if !last.closed() && last.Phase == chain.PhaseOpen && (last.Withdrawn == 0 || height >= last.Withdrawn+Resend) {
					p.Withdraw = append(p.Withdraw, last.Deal)
				}
			}
			continue
		}
		if len(p.Open) >= budget {
			continue
		}
		if b.StateOf(i) == Waiting && (len(t.Tries) == 0 || t.Tries[len(t.Tries)-1].closed()) {
			p.Open = append(p.Open, i)
		}
	}
	return p
}

// Opened records that a deal was opened for task i at height.
func (b *Batch) Opened(i int, deal chain.Hash, height uint64) {
	b.Tasks[i].Tries = append(b.Tasks[i].Tries, Attempt{Deal: deal, Sent: height})
}

// WithdrawSent records that a withdrawal of deal was sent at height.
func (b *Batch) WithdrawSent(deal chain.Hash, height uint64) {
	for ti := range b.Tasks {
		for ai := range b.Tasks[ti].Tries {
			if a := &b.Tasks[ti].Tries[ai]; a.Deal == deal {
				a.Withdrawn = height
			}
		}
	}
}

// Unconfirmed counts the batch's DealOpens no block holds yet.
func (b *Batch) Unconfirmed() int {
	n := 0
	for _, t := range b.Tasks {
		for _, a := range t.Tries {
			if a.Phase == 0 && !a.Lost {
				n++
			}
		}
	}
	return n
}

// Finished says nothing more will happen to the batch: every task is done, failed or
// cancelled, and none of its deals is live.
func (b *Batch) Finished() bool {
	for i, t := range b.Tasks {
		switch b.StateOf(i) {
		case Waiting, Running:
			return false
		}
		for _, a := range t.Tries {
			if !a.closed() {
				return false
			}
		}
	}
	return true
}

// Progress counts a batch's tasks by state.
type Progress struct {
	Tasks, Done, Running, Waiting, Failed, Cancelled int
	Retries                                          int    // deals opened beyond each task's first
	Spent                                            uint64 // what the closed deals cost
	Providers                                        int    // distinct providers that took a task
}

// Summarize counts b's tasks.
func (b *Batch) Summarize() Progress {
	p := Progress{Tasks: len(b.Tasks)}
	provs := map[keys.Address]bool{}
	for i, t := range b.Tasks {
		switch b.StateOf(i) {
		case Waiting:
			p.Waiting++
		case Running:
			p.Running++
		case Done:
			p.Done++
		case Failed:
			p.Failed++
		case Cancelled:
			p.Cancelled++
		}
		p.Retries += max(len(t.Tries)-1, 0)
		for _, a := range t.Tries {
			p.Spent += a.Spent
			if !a.Provider.IsZero() {
				provs[a.Provider] = true
			}
		}
	}
	p.Providers = len(provs)
	return p
}

// String is the batch's one progress line.
func (p Progress) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d done, %d running, %d waiting, %d failed", p.Done, p.Running, p.Waiting, p.Failed)
	if p.Cancelled > 0 {
		fmt.Fprintf(&b, ", %d cancelled", p.Cancelled)
	}
	fmt.Fprintf(&b, " of %d; spent %d", p.Tasks, p.Spent)
	if p.Retries > 0 {
		fmt.Fprintf(&b, "; %d retried", p.Retries)
	}
	if p.Providers > 0 {
		fmt.Fprintf(&b, "; on %d provider%s", p.Providers, map[bool]string{true: "", false: "s"}[p.Providers == 1])
	}
	return b.String()
}
