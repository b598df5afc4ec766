package batch

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
)

func newBatch(n int) *Batch {
	b := &Batch{ID: chain.Hash{9}, Name: "echo", Module: chain.Hash{1}, MaxPrice: 20, BuyerDeposit: 20, Deadline: 12, Attempts: 2,
		Limits: chain.DealLimits{MemoryMiB: 64, WallTimeMs: 1000, OutputMax: 1024}}
	for i := range n {
		b.Tasks = append(b.Tasks, Task{Name: TaskName(i, n), Args: Args([]string{"n={task}"}, i)})
	}
	return b
}

// chainView is a fake chain: the deals the batch's runner would prove.
type chainView map[chain.Hash]chain.Deal

func (c chainView) look(id chain.Hash) (chain.Deal, bool) { d, ok := c[id]; return d, ok }

func deal(id byte) chain.Hash { return chain.Hash{id} }

var buyer, provA, provB = keys.Address{0xb}, keys.Address{0xa}, keys.Address{0xc}

// closed is a deal that closed with outcome, paying back back to the buyer.
func closed(id chain.Hash, prov keys.Address, o chain.DealOutcome, st chain.DealStatus, back uint64) chain.Deal {
	d := chain.Deal{ID: id, Buyer: buyer, Provider: prov, Phase: chain.PhaseClosed, Outcome: o, Status: st,
		Open: chain.DealOpen{MaxPrice: 20, BuyerDeposit: 20}, Payouts: []chain.Payout{{To: buyer, Amount: back, Kind: chain.PayoutRefund}}}
	if st != 0 {
		d.Output = chain.Hash{0xee}
	}
	return d
}

// TestLifecycle walks a three-task batch through a paid task, a task whose provider
// went silent and is retried once then fails, and a program failure that is not
// retried; the progress line counts each step.
func TestLifecycle(t *testing.T) {
	b := newBatch(3)
	if got := b.Tasks[2].Args; !slices.Equal(got, []string{"n=2"}) {
		t.Fatalf("args of task 2: %q", got)
	}
	p := b.Next(10, MaxUnconfirmed)
	if !slices.Equal(p.Open, []int{0, 1, 2}) || p.Withdraw != nil {
		t.Fatalf("first plan %+v", p)
	}
	for i, id := range []byte{1, 2, 3} {
		b.Opened(i, deal(id), 10)
	}
	if p := b.Next(10, MaxUnconfirmed); len(p.Open) != 0 {
		t.Fatalf("tasks with deals in flight opened again: %+v", p)
	}
	if got := b.Summarize(); got.Waiting != 3 || b.Unconfirmed() != 3 {
		t.Fatalf("after opening: %+v, %d unconfirmed", got, b.Unconfirmed())
	}
	c := chainView{
		deal(1): {ID: deal(1), Phase: chain.PhaseAccepted, Provider: provA},
		deal(2): {ID: deal(2), Phase: chain.PhaseAccepted, Provider: provB},
		deal(3): {ID: deal(3), Phase: chain.PhaseOpen, Provider: provA}, // offered, not taken
	}
	if !b.Observe(11, c.look) {
		t.Fatal("observing accepted deals changed nothing")
	}
	if b.Tasks[2].Tries[0].Provider != (keys.Address{}) {
		t.Fatal("a provider merely offered the deal is recorded as having taken it")
	}
	if got := b.Summarize(); got.Running != 2 || got.Waiting != 1 || got.Providers != 2 {
		t.Fatalf("running: %+v", got)
	}
	if b.Observe(11, c.look) {
		t.Fatal("observing the same deals again changed the batch")
	}
	c[deal(1)] = closed(deal(1), provA, chain.OutcomePaid, chain.StatusOK, 20)
	c[deal(2)] = closed(deal(2), provB, chain.OutcomeProviderLate, 0, 20+20+160)
	c[deal(3)] = closed(deal(3), provA, chain.OutcomePaid, chain.StatusFailed, 20)
	b.Observe(30, c.look)
	if b.StateOf(0) != Done || b.StateOf(1) != Waiting || b.StateOf(2) != Failed {
		t.Fatalf("states %s %s %s", b.StateOf(0), b.StateOf(1), b.StateOf(2))
	}
	if w := b.Why(2); w == "" {
		t.Fatal("no reason for a failed program")
	}
	if p := b.Next(30, MaxUnconfirmed); !slices.Equal(p.Open, []int{1}) {
		t.Fatalf("retry plan %+v", p)
	}
	b.Opened(1, deal(4), 30)
	c[deal(4)] = closed(deal(4), provA, chain.OutcomeProviderFined, chain.StatusOK, 20+20+140)
	b.Observe(40, c.look)
	if b.StateOf(1) != Failed || b.Why(1) == "" {
		t.Fatalf("task 1 after its last attempt failed: %s", b.StateOf(1))
	}
	if p := b.Next(40, MaxUnconfirmed); len(p.Open) != 0 {
		t.Fatalf("a task past its attempts opened again: %+v", p)
	}
	got := b.Summarize()
	want := Progress{Tasks: 3, Done: 1, Failed: 2, Retries: 1, Spent: 20 + 20, Providers: 2}
	if got != want {
		t.Fatalf("progress %+v, want %+v", got, want)
	}
	if !b.Finished() {
		t.Fatal("a batch whose tasks all ended is not finished")
	}
	if s := got.String(); s != "1 done, 0 running, 0 waiting, 2 failed of 3; spent 40; 1 retried; on 2 providers" {
		t.Fatalf("progress line %q", s)
	}
}

// TestBudget: a batch keeps at most MinWaiting deals waiting for a provider, or as
// many as it has running when more do, and no more DealOpens wait for a block than
// the budget allows.
func TestBudget(t *testing.T) {
	b := newBatch(100)
	p := b.Next(1, MaxUnconfirmed)
	if !slices.Equal(p.Open, []int{0, 1, 2, 3, 4, 5, 6, 7}) {
		t.Fatalf("first plan: %v", p.Open)
	}
	c := chainView{}
	for _, i := range p.Open {
		b.Opened(i, chain.Hash{byte(i), 1}, 1)
	}
	if n := b.Unconfirmed(); n != MinWaiting {
		t.Fatalf("%d unconfirmed", n)
	}
	if p := b.Next(1, MaxUnconfirmed); len(p.Open) != 0 {
		t.Fatalf("opened past the window: %v", p.Open)
	}
	// Providers take six; the window is still MinWaiting, two of them left waiting.
	for i := range 8 {
		d := chain.Deal{ID: chain.Hash{byte(i), 1}, Phase: chain.PhaseOpen}
		if i < 6 {
			d.Phase, d.Provider = chain.PhaseAccepted, provA
		}
		c[d.ID] = d
	}
	b.Observe(2, c.look)
	if p := b.Next(2, MaxUnconfirmed); len(p.Open) != MinWaiting-2 || p.Open[0] != 8 {
		t.Fatalf("after six were taken: %v", p.Open)
	}
	if p := b.Next(2, 3); len(p.Open) != 3 {
		t.Fatalf("past the budget: %v", p.Open)
	}
	// Twelve running, none waiting: the window grows to twelve.
	for i := 8; i < 14; i++ {
		b.Opened(i, chain.Hash{byte(i), 1}, 2)
	}
	for i := range 14 {
		c[chain.Hash{byte(i), 1}] = chain.Deal{ID: chain.Hash{byte(i), 1}, Phase: chain.PhaseAccepted, Provider: provB}
	}
	c[chain.Hash{0, 1}] = closed(chain.Hash{0, 1}, provA, chain.OutcomePaid, chain.StatusOK, 20)
	c[chain.Hash{1, 1}] = closed(chain.Hash{1, 1}, provA, chain.OutcomePaid, chain.StatusOK, 20)
	b.Observe(3, c.look)
	if p := b.Next(3, MaxUnconfirmed); len(p.Open) != 12 {
		t.Fatalf("with twelve running: %v", p.Open)
	}
}

// TestUnrun: a deal nobody took by its deadline uses no attempt, as nothing ran; the
// task is opened again, up to MaxUnrun times.
func TestUnrun(t *testing.T) {
	b := newBatch(1)
	c := chainView{}
	for k := range MaxUnrun {
		if b.StateOf(0) != Waiting {
			t.Fatalf("after %d deals nobody took: %s", k, b.StateOf(0))
		}
		id := chain.Hash{byte(k), 2}
		b.Opened(0, id, uint64(k))
		c[id] = closed(id, keys.Address{}, chain.OutcomeWithdrawn, 0, 40)
		b.Observe(uint64(k), c.look)
	}
	if b.StateOf(0) != Failed || !strings.Contains(b.Why(0), "no provider took it") {
		t.Fatalf("after %d deals nobody took: %s, %q", MaxUnrun, b.StateOf(0), b.Why(0))
	}
	if _, err := Decode(Encode(b)); err != nil {
		t.Fatalf("a task with every deal it may get does not decode: %v", err)
	}
}

// TestLost: a DealOpen that never reaches a block is given up on after LostAfter
// blocks and the task opened again.
func TestLost(t *testing.T) {
	b := newBatch(1)
	b.Opened(0, deal(1), 5)
	none := chainView{}
	if b.Observe(5+LostAfter, none.look) || b.StateOf(0) != Waiting {
		t.Fatal("an open given up on too early")
	}
	if p := b.Next(5+LostAfter, 1); len(p.Open) != 0 {
		t.Fatal("reopened while the first open may still land")
	}
	if !b.Observe(6+LostAfter, none.look) || !b.Tasks[0].Tries[0].Lost {
		t.Fatal("an open that never landed is not lost")
	}
	if p := b.Next(6+LostAfter, 1); !slices.Equal(p.Open, []int{0}) {
		t.Fatalf("plan after a lost open: %+v", p)
	}
}

// TestCancel: a cancelled batch opens nothing more, withdraws the open deals nobody
// took (again only after Resend blocks), and lets the taken ones finish.
func TestCancel(t *testing.T) {
	b := newBatch(4)
	b.Opened(0, deal(1), 1)
	b.Opened(1, deal(2), 1)
	b.Opened(2, deal(3), 1)
	c := chainView{
		deal(1): {ID: deal(1), Phase: chain.PhaseAccepted, Provider: provA},
		deal(2): {ID: deal(2), Phase: chain.PhaseOpen},
		deal(3): {ID: deal(3), Phase: chain.PhaseOpen, Provider: provB},
	}
	b.Observe(2, c.look)
	b.Cancelled = true
	p := b.Next(2, MaxUnconfirmed)
	if len(p.Open) != 0 || !slices.Equal(p.Withdraw, []chain.Hash{deal(2), deal(3)}) {
		t.Fatalf("cancel plan %+v", p)
	}
	for _, id := range p.Withdraw {
		b.WithdrawSent(id, 2)
	}
	if p := b.Next(2+Resend-1, MaxUnconfirmed); len(p.Withdraw) != 0 {
		t.Fatalf("withdrawal resent too soon: %+v", p)
	}
	if p := b.Next(2+Resend, MaxUnconfirmed); len(p.Withdraw) != 2 {
		t.Fatalf("withdrawal not resent: %+v", p)
	}
	if b.StateOf(3) != Cancelled || b.Finished() {
		t.Fatalf("task never opened: %s; finished %v", b.StateOf(3), b.Finished())
	}
	c[deal(2)] = closed(deal(2), keys.Address{}, chain.OutcomeWithdrawn, 0, 40)
	c[deal(3)] = closed(deal(3), keys.Address{}, chain.OutcomeWithdrawn, 0, 40)
	b.Observe(6, c.look)
	if got := b.Summarize(); got.Cancelled != 3 || got.Running != 1 || got.Spent != 0 {
		t.Fatalf("after the withdrawals: %+v", got)
	}
	c[deal(1)] = closed(deal(1), provA, chain.OutcomePaid, chain.StatusOK, 20)
	b.Observe(9, c.look)
	if b.StateOf(0) != Done || !b.Finished() {
		t.Fatalf("the taken task: %s, finished %v", b.StateOf(0), b.Finished())
	}
}

func TestNames(t *testing.T) {
	if got := TaskName(7, 1000); got != "task-007" {
		t.Fatalf("TaskName %q", got)
	}
	if got := TaskName(0, 1); got != "task-0" {
		t.Fatalf("TaskName %q", got)
	}
	got := FileNames([]string{"/a/x.png", "/b/x.png", "/a/y.png", "/c/x.png"})
	if !slices.Equal(got, []string{"x.png", "x.png-2", "y.png", "x.png-3"}) {
		t.Fatalf("FileNames %q", got)
	}
	for _, bad := range []string{"", ".", "..", "a/b", `a\b`, "a\x00"} {
		if err := CheckName(bad); !errors.Is(err, ErrRequest) {
			t.Errorf("CheckName(%q) = %v", bad, err)
		}
	}
	for _, n := range []int{0, -1, MaxTasks + 1} {
		if err := CheckSize(n); !errors.Is(err, ErrRequest) {
			t.Errorf("CheckSize(%d) = %v", n, err)
		}
	}
	if CheckSize(MaxTasks) != nil || CheckSize(1) != nil {
		t.Fatal("a batch of a legal size refused")
	}
}

func TestEncode(t *testing.T) {
	b := newBatch(3)
	b.Opened(1, deal(5), 7)
	b.Tasks[1].Tries[0].Provider = provA
	got, err := Decode(Encode(b))
	if err != nil {
		t.Fatal(err)
	}
	if string(Encode(got)) != string(Encode(b)) || got.Tasks[1].Tries[0].Provider != provA {
		t.Fatalf("round trip: %+v", got)
	}
	dup := newBatch(2)
	dup.Tasks[1].Name = dup.Tasks[0].Name
	for _, bad := range [][]byte{nil, {0xff}, Encode(&Batch{Attempts: 1}), Encode(dup)} {
		if _, err := Decode(bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Decode(%x) = %v", bad, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	b := newBatch(2)
	b.Opened(0, deal(1), 3)
	f.Add(Encode(b))
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Decode(data)
		if err != nil {
			return
		}
		again, err := Decode(Encode(b))
		if err != nil {
			t.Fatalf("a decoded record does not decode once encoded again: %v", err)
		}
		for i := range again.Tasks {
			_ = again.StateOf(i)
		}
		_ = again.Summarize()
	})
}

// TestAvoid: a task's retry avoids the providers fined or late for it, once each, and
// not those paid or that never took it.
func TestAvoid(t *testing.T) {
	fined, late, paid := keys.Address{1}, keys.Address{2}, keys.Address{3}
	task := Task{Name: "t", Tries: []Attempt{
		{Phase: chain.PhaseClosed, Outcome: chain.OutcomeProviderFined, Provider: fined},
		{Phase: chain.PhaseClosed, Outcome: chain.OutcomeProviderLate, Provider: late},
		{Phase: chain.PhaseClosed, Outcome: chain.OutcomeProviderFined, Provider: fined},
		{Phase: chain.PhaseClosed, Outcome: chain.OutcomePaid, Provider: paid},
		{Phase: chain.PhaseClosed, Outcome: chain.OutcomeWithdrawn},
		{Lost: true},
	}}
	if got := task.Avoid(); !slices.Equal(got, []keys.Address{fined, late}) {
		t.Fatalf("avoid %v", got)
	}
}
