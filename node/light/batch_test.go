package light

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/node/batch"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/keys"
)

// TestBatch runs a batch of 20 tasks over three providers on a four-trustee devnet.
// One provider goes silent after taking tasks (it accepts and never posts, as a
// crashed machine would) and is then stopped; its tasks time out and are retried on
// the others. The buyer is restarted in the middle and carries on from its store.
// Every task ends done, its result delivered and its provider paid; the two providers left did
// some each; and the ledgers of the buyer and of both reconcile with the balances
// the trustees prove.
func TestBatch(t *testing.T) {
	const tasks = 20
	dir, nf, _ := startDevnetWith(t, marketTiming)
	user := func(i int) *keys.Key { return userKey(t, dir, i) }
	buyerCfg := testConfig(t, nf, user(0))
	mc := DefaultMarketConfig(buyerCfg.DataDir, chain.ProviderSpec{CPUModel: "test", Cores: 2, MemoryMiB: 1024})
	buyerCfg.Market = &mc
	buyer, err := Start(context.Background(), buyerCfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { buyer.Stop() })
	slots := func(mc *MarketConfig) { mc.Slots = 3 }
	p1 := startMarketNode(t, nf, user(1), slots)
	p2 := startMarketNode(t, nf, user(2), slots)
	victim := startMarketNode(t, nf, user(3), func(mc *MarketConfig) { mc.Slots, mc.Fault = 3, FaultSilent })
	for _, p := range []*Node{p1, p2, victim} {
		if err := p.SetProviding(true); err != nil {
			t.Fatal(err)
		}
	}
	poll(t, "three providers registered", func() bool {
		for _, p := range []*Node{p1, p2, victim} {
			if r, ok := p.Provider(); !ok || r.Slots != 3 || p.Height() < 2 {
				return false
			}
		}
		return len(buyer.trusteePeers()) > 0
	})
	module, err := os.ReadFile("testdata/echo.wasm")
	if err != nil {
		t.Fatal(err)
	}
	spec := BatchSpec{Name: "echo", Attempts: 3,
		Job: JobSpec{Module: module, MaxPrice: 20, BuyerDeposit: 20, Deadline: 12, Env: []string{"BATCH=yes"},
			Limits: chain.DealLimits{MemoryMiB: 64, WallTimeMs: 10_000, OutputMax: 1 << 10}}}
	tree, err := compute.PackTree([]compute.TreeEntry{{Path: "a.txt", Data: []byte("a")}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range tasks {
		ts := TaskSpec{Name: batch.TaskName(i, tasks), Args: batch.Args([]string{"{task}"}, i)}
		if i == 0 {
			ts.Input, ts.InputTree = tree, true // a folder as the first task's /input
		}
		spec.Tasks = append(spec.Tasks, ts)
	}
	id, err := buyer.OpenBatch(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	get := func() *batch.Batch {
		s, ok := buyer.BatchByID(id)
		if !ok {
			t.Fatalf("batch %s is gone", id.Short())
		}
		return s.Batch
	}
	took := func(b *batch.Batch, p *Node) (n int) {
		for _, task := range b.Tasks {
			for _, a := range task.Tries {
				if a.Provider == p.Address() {
					n++
				}
			}
		}
		return n
	}
	poll(t, "the silent provider took a task", func() bool { return took(get(), victim) > 0 })
	if err := victim.Stop(); err != nil {
		t.Fatal(err)
	}
	poll(t, "some tasks done", func() bool { return get().Summarize().Done >= 3 })
	if err := buyer.Stop(); err != nil {
		t.Fatal(err)
	}
	if buyer, err = Start(context.Background(), buyerCfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { buyer.Stop() })
	nodetest.Poll(t, time.Now().Add(4*time.Minute), "the batch finished", func() bool { return get().Finished() })

	b := get()
	p := b.Summarize()
	t.Logf("batch: %s", p)
	if p.Done != tasks || p.Retries == 0 {
		t.Fatalf("batch ended %s, want all %d done after retries", p, tasks)
	}
	if took(b, p1) == 0 || took(b, p2) == 0 {
		t.Fatalf("tasks were not spread: %d on one provider, %d on the other", took(b, p1), took(b, p2))
	}
	var spent uint64
	for i, task := range b.Tasks {
		a, ok := b.Result(i)
		// The buyer's restart may make it miss a reaction window: the provider is
		// paid all the same, with the buyer's deposit (docs/market.md).
		if !ok || a.Outcome != chain.OutcomePaid && a.Outcome != chain.OutcomeBuyerLate || a.Provider == victim.Address() {
			t.Fatalf("task %s: result %+v", task.Name, a)
		}
		for _, tr := range task.Tries[:len(task.Tries)-1] {
			if tr.Provider != victim.Address() && !tr.Lost {
				t.Fatalf("task %s was retried after an attempt by %s ending %s", task.Name, tr.Provider, tr.Outcome)
			}
		}
		j, ok := buyer.JobByID(a.Deal)
		if !ok || j.Deal.Open.Args[0] != task.Args[0] || !slices.Equal(j.Deal.Open.Env, []string{"BATCH=yes"}) || j.Deal.Open.InputTree != (i == 0) {
			t.Fatalf("task %s's deal: %+v", task.Name, j.Deal.Open)
		}
		spent += j.Deal.Price
		if a.Outcome == chain.OutcomeBuyerLate {
			spent += j.Deal.Open.BuyerDeposit
		}
		out, err := buyer.JobOutput(context.Background(), a.Deal)
		if err != nil || !strings.HasPrefix(string(out), "daoli test job ") {
			t.Fatalf("task %s's output %q, %v", task.Name, out, err)
		}
	}
	if took(b, victim) == 0 || p.Spent != spent {
		t.Fatalf("the silent provider took %d tasks; spent %d, the paid prices add up to %d", took(b, victim), p.Spent, spent)
	}
	for _, n := range []*Node{buyer, p1, p2} {
		reconcile(t, n)
	}
}

// TestBatchCancel: a cancelled batch opens nothing more and withdraws the deals
// nobody took (their escrow comes back whole); the task a provider took finishes and
// is paid; the ledgers reconcile.
func TestBatchCancel(t *testing.T) {
	const tasks = 12
	dir, nf, _ := startDevnetWith(t, marketTiming)
	user := func(i int) *keys.Key { return userKey(t, dir, i) }
	buyer := startMarketNode(t, nf, user(0), nil)
	p := startMarketNode(t, nf, user(1), nil) // one slot
	provide(t, p)
	module, err := os.ReadFile("testdata/echo.wasm")
	if err != nil {
		t.Fatal(err)
	}
	// A deadline far beyond the wait below: the deals nobody took end by withdrawal.
	spec := BatchSpec{Name: "echo", Job: JobSpec{Module: module, MaxPrice: 20, Deadline: 200,
		Limits: chain.DealLimits{MemoryMiB: 64, WallTimeMs: 10_000, OutputMax: 1 << 10}}}
	for i := range tasks {
		spec.Tasks = append(spec.Tasks, TaskSpec{Name: batch.TaskName(i, tasks), Args: []string{fmt.Sprint(i)}})
	}
	id, err := buyer.OpenBatch(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	get := func() *batch.Batch { s, _ := buyer.BatchByID(id); return s.Batch }
	poll(t, "a task taken", func() bool { pr := get().Summarize(); return pr.Running+pr.Done > 0 })
	if err := buyer.CancelBatch(id); err != nil {
		t.Fatal(err)
	}
	// A DealOpen already on its way when the cancel came may still be sent; the runner
	// sends no other, and withdraws that one too.
	opened := 0
	for _, task := range get().Tasks {
		opened += len(task.Tries)
	}
	nodetest.Poll(t, time.Now().Add(time.Minute), "the cancelled batch finished", func() bool { return get().Finished() })
	b := get()
	pr := b.Summarize()
	t.Logf("batch: %s", pr)
	after, withdrawn := 0, 0
	for _, task := range b.Tasks {
		after += len(task.Tries)
		for _, a := range task.Tries {
			if a.Outcome == chain.OutcomeWithdrawn {
				withdrawn++
				// Its escrow comes back whole. It may name a provider: the one it was
				// offered to, who had not accepted it when the buyer withdrew it.
				if a.Spent != 0 {
					t.Fatalf("task %s: a withdrawn deal cost %d: %+v", task.Name, a.Spent, a)
				}
			}
		}
	}
	if pr.Done == 0 || withdrawn == 0 || pr.Cancelled < tasks-batch.MinWaiting || pr.Done+pr.Cancelled != tasks || pr.Failed != 0 || after > opened+1 {
		t.Fatalf("after the cancel: %s; %d deals opened before it, %d after", pr, opened, after)
	}
	for _, n := range []*Node{buyer, p} {
		reconcile(t, n)
	}
}

// TestBatchAvoidsFined: a provider that posts wrong outputs, stays up and stays the
// cheapest is fined for each task it takes, and the task's retry goes to another
// provider (DealOpen.Avoid), so every task ends done. Before, the solver offered the
// retry to the cheat again, and the tasks failed after their attempts.
func TestBatchAvoidsFined(t *testing.T) {
	const tasks = 2
	dir, nf, _ := startDevnetWith(t, marketTiming)
	user := func(i int) *keys.Key { return userKey(t, dir, i) }
	buyer := startMarketNode(t, nf, user(0), func(mc *MarketConfig) { mc.Recheck = RecheckAlways() })
	cheat := startMarketNode(t, nf, user(1), func(mc *MarketConfig) { mc.Price, mc.Slots, mc.Fault = 1, tasks, FaultWrongOutput })
	honest := startMarketNode(t, nf, user(2), func(mc *MarketConfig) { mc.Price, mc.Slots = 2, tasks })
	for _, p := range []*Node{cheat, honest} {
		if err := p.SetProviding(true); err != nil {
			t.Fatal(err)
		}
	}
	poll(t, "two providers registered", func() bool {
		for _, p := range []*Node{cheat, honest} {
			if r, ok := p.Provider(); !ok || r.Slots != tasks || p.Height() < 2 {
				return false
			}
		}
		return len(buyer.trusteePeers()) > 0
	})
	module, err := os.ReadFile("testdata/echo.wasm")
	if err != nil {
		t.Fatal(err)
	}
	spec := BatchSpec{Name: "echo", Attempts: 2,
		Job: JobSpec{Module: module, MaxPrice: 20, BuyerDeposit: 20, Deadline: 12,
			Limits: chain.DealLimits{MemoryMiB: 64, WallTimeMs: 10_000, OutputMax: 1 << 10}}}
	for i := range tasks {
		spec.Tasks = append(spec.Tasks, TaskSpec{Name: batch.TaskName(i, tasks), Args: []string{fmt.Sprint(i)}})
	}
	id, err := buyer.OpenBatch(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	var b *batch.Batch
	nodetest.Poll(t, time.Now().Add(4*time.Minute), "the batch finished", func() bool {
		s, ok := buyer.BatchByID(id)
		b = s.Batch
		return ok && b.Finished()
	})
	if p := b.Summarize(); p.Done != tasks {
		t.Fatalf("batch ended %s, want every task done", p)
	}
	for _, task := range b.Tasks {
		var fined int
		for _, a := range task.Tries {
			if a.Provider == cheat.Address() {
				fined++
				if a.Outcome != chain.OutcomeProviderFined {
					t.Fatalf("task %s: the cheat's deal ended %s", task.Name, a.Outcome)
				}
			}
		}
		last := task.Tries[len(task.Tries)-1]
		if fined > 1 || last.Provider != honest.Address() {
			t.Fatalf("task %s: %d deals fined on the cheat, the last one on %s; want at most one, and the honest provider last", task.Name, fined, last.Provider)
		}
	}
}
