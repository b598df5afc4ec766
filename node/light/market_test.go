package light

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/network"
)

// startMarketNode starts a node of wallet in the market, with the market options at
// their defaults but for what set changes.
func startMarketNode(t *testing.T, nf *network.File, wallet *keys.Key, set func(*MarketConfig)) *Node {
	t.Helper()
	c := testConfig(t, nf, wallet)
	mc := DefaultMarketConfig(c.DataDir, chain.ProviderSpec{CPUModel: "test", Cores: 2, MemoryMiB: 1024})
	if set != nil {
		set(&mc)
	}
	c.Market = &mc
	n, err := Start(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	return n
}

// provide turns providing on for n and off for the others, and waits until the chain
// has them so.
func provide(t *testing.T, n *Node, others ...*Node) {
	t.Helper()
	for _, o := range others {
		if err := o.SetProviding(false); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.SetProviding(true); err != nil {
		t.Fatal(err)
	}
	poll(t, "the provider registered and the others paused", func() bool {
		if p, ok := n.Provider(); !ok || p.Slots == 0 || p.Away {
			return false
		}
		for _, o := range others {
			if p, ok := o.Provider(); ok && p.Slots != 0 {
				return false
			}
		}
		return true
	})
}

// TestProviderRegistersGPU: a provider whose machine has a WebGPU adapter registers
// the WebGPU executor beside WASI, and the adapter in its spec, as the chain then
// holds them; one without registers WASI alone.
func TestProviderRegistersGPU(t *testing.T) {
	dir, nf, _ := startDevnetWith(t, marketTiming)
	const adapter = "llvmpipe (LLVM 15.0.6, 256 bits) (mesa, cpu, vulkan)"
	withGPU := startMarketNode(t, nf, userKey(t, dir, 0), func(mc *MarketConfig) {
		mc.Executors, mc.GPU = []string{chain.ExecutorWebGPU}, gpuRunner()
		mc.Spec.GPUs = []string{adapter}
	})
	plain := startMarketNode(t, nf, userKey(t, dir, 1), nil)
	provide(t, withGPU)
	provide(t, plain)
	p, _ := withGPU.Provider()
	if !slices.Equal(p.Executors, []string{chain.ExecutorWASI, chain.ExecutorWebGPU}) || !slices.Equal(p.Spec.GPUs, []string{adapter}) {
		t.Errorf("provider with a GPU registered %v, GPUs %v", p.Executors, p.Spec.GPUs)
	}
	p, _ = plain.Provider()
	if !slices.Equal(p.Executors, []string{chain.ExecutorWASI}) || len(p.Spec.GPUs) != 0 {
		t.Errorf("provider without a GPU registered %v, GPUs %v", p.Executors, p.Spec.GPUs)
	}
}

func waitOutcome(t *testing.T, buyer *Node, id chain.Hash) Job {
	t.Helper()
	var j Job
	deadline := time.Now().Add(90 * time.Second)
	for {
		var ok bool
		if j, ok = buyer.JobByID(id); ok && j.Deal.Phase == chain.PhaseClosed {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("deal %s not closed: %+v", id.Short(), j)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMarketDeals runs three deals on a four-trustee devnet: one an honest provider
// is paid for, one whose provider posts a wrong output and loses its deposit through
// mediation, and one whose provider goes silent and is timed out, the buyer refunded.
// Every party's ledger then adds up to the balance the trustees prove.
func TestMarketDeals(t *testing.T) {
	dir, nf, _ := startDevnetWith(t, marketTiming)
	user := func(i int) *keys.Key { return userKey(t, dir, i) }
	buyer := startMarketNode(t, nf, user(0), func(mc *MarketConfig) { mc.Recheck = RecheckAlways() })
	honest := startMarketNode(t, nf, user(1), nil)
	cheat := startMarketNode(t, nf, user(2), func(mc *MarketConfig) { mc.Fault = FaultWrongOutput })
	silent := startMarketNode(t, nf, user(3), func(mc *MarketConfig) { mc.Fault = FaultSilent })
	all := []*Node{buyer, honest, cheat, silent}
	poll(t, "every node synced", func() bool {
		for _, n := range all {
			if n.Height() < 2 || len(n.trusteePeers()) == 0 {
				return false
			}
		}
		return true
	})
	// A tiny module: compiling a Go-built one takes seconds under the race detector,
	// longer than these short epochs give. The example jobs run end to end with real
	// processes in the app's tests.
	module, err := os.ReadFile("testdata/echo.wasm")
	if err != nil {
		t.Fatal(err)
	}
	spec := JobSpec{Module: module, MaxPrice: 20, BuyerDeposit: 20, Deadline: 12,
		Limits: chain.DealLimits{MemoryMiB: 64, WallTimeMs: 10_000, OutputMax: 1 << 10}}
	open := func() chain.Hash {
		t.Helper()
		id, err := buyer.OpenDeal(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}

	provide(t, honest, cheat, silent)
	paid := waitOutcome(t, buyer, open())
	if paid.Deal.Outcome != chain.OutcomePaid || paid.Deal.Provider != honest.Address() || !paid.Checked {
		t.Fatalf("honest deal: %s by %s, checked %v", paid.Deal.Outcome, paid.Deal.Provider, paid.Checked)
	}
	out, err := buyer.JobOutput(context.Background(), paid.Deal.ID)
	if err != nil || len(out) == 0 {
		t.Fatalf("output of the paid deal: %q, %v", out, err)
	}

	provide(t, cheat, honest, silent)
	fined := waitOutcome(t, buyer, open())
	if fined.Deal.Outcome != chain.OutcomeProviderFined || fined.Deal.Provider != cheat.Address() {
		t.Fatalf("deal with a wrong output: %s by %s", fined.Deal.Outcome, fined.Deal.Provider)
	}

	provide(t, silent, honest, cheat)
	late := waitOutcome(t, buyer, open())
	if late.Deal.Outcome != chain.OutcomeProviderLate || late.Deal.Provider != silent.Address() {
		t.Fatalf("deal with a silent provider: %s by %s", late.Deal.Outcome, late.Deal.Provider)
	}

	for _, n := range all {
		reconcile(t, n)
	}
	es, err := cheat.Ledger(0)
	if err != nil {
		t.Fatal(err)
	}
	var deposits int
	for _, e := range es {
		if e.Source == SourceDeposit {
			deposits++
		}
		if e.Source == SourceDepositBack {
			t.Fatalf("the cheating provider got a deposit back: %+v", e)
		}
	}
	if deposits != 1 {
		t.Fatalf("the cheating provider paid %d deposits, want 1", deposits)
	}
}

// BenchmarkDealOpenToRunning measures, on a four-trustee devnet on loopback, how many
// epochs pass from the block that opens a deal to the provider starting its job
// (target: at most 2). The provider starts on the offer, which the solver makes in the
// very block that opens the deal.
func BenchmarkDealOpenToRunning(b *testing.B) {
	dir, nf, _ := startDevnetWith(b, marketTiming)
	ctx := context.Background()
	key := func(i int) *keys.Key { return userKey(b, dir, i) }
	start := func(k *keys.Key, recheck Recheck) *Node {
		c := DefaultConfig(nf, b.TempDir())
		c.Wallet, c.Listen, c.DHT = k, []string{"/ip4/127.0.0.1/tcp/0"}, false
		mc := DefaultMarketConfig(c.DataDir, chain.ProviderSpec{CPUModel: "bench", Cores: 2, MemoryMiB: 1024})
		mc.Slots, mc.Recheck = 4, recheck
		c.Market = &mc
		n, err := Start(ctx, c)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { n.Stop() })
		return n
	}
	buyer, provider := start(key(0), RecheckNever()), start(key(1), DefaultRecheck())
	if err := provider.SetProviding(true); err != nil {
		b.Fatal(err)
	}
	for {
		if p, ok := provider.Provider(); ok && p.Slots > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	module, err := os.ReadFile("testdata/echo.wasm")
	if err != nil {
		b.Fatal(err)
	}
	events, unsub := provider.Subscribe()
	defer unsub()
	var epochs, waits []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		begin := time.Now()
		id, err := buyer.OpenDeal(ctx, JobSpec{Module: module, MaxPrice: 20, Deadline: 20,
			Limits: chain.DealLimits{MemoryMiB: 64, WallTimeMs: 10_000, OutputMax: 1 << 10}})
		if err != nil {
			b.Fatal(err)
		}
		var ran Event
		for ran.Deal != id {
			select {
			case ev := <-events:
				if ev.Kind == EventRun {
					ran = ev
				}
			case <-time.After(time.Minute):
				b.Fatal("the job never ran")
			}
		}
		b.StopTimer()
		var opened uint64
		for opened == 0 {
			j, _ := buyer.JobByID(id)
			opened = j.Deal.Opened
			if opened == 0 {
				time.Sleep(20 * time.Millisecond)
			}
		}
		epochs = append(epochs, float64(ran.Height+1-opened))
		waits = append(waits, float64(time.Since(begin).Milliseconds()))
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(epochs)
	slices.Sort(waits)
	b.ReportMetric(waits[len(waits)/2], "ms-submit-to-run-p50")
	b.ReportMetric(epochs[len(epochs)/2], "epochs-open-to-run-p50")
	b.ReportMetric(epochs[len(epochs)-1], "epochs-open-to-run-max")
}

// TestRuns: the jobs run for buyers now are the provider's runs neither done nor
// stopped, in a stable order.
func TestRuns(t *testing.T) {
	if (&Node{}).Runs() != nil {
		t.Fatal("a node without a market runs jobs")
	}
	run := func(id byte, done, stopped bool) *providerRun {
		return &providerRun{deal: chain.Deal{ID: chain.Hash{id}, Price: uint64(id), Open: chain.DealOpen{Module: chain.Hash{id, id}}}, done: done, stopped: stopped}
	}
	n := &Node{mkt: &agent{runs: map[chain.Hash]*providerRun{
		{3}: run(3, false, false), {1}: run(1, false, false), {2}: run(2, true, false), {4}: run(4, false, true),
	}}}
	got := n.Runs()
	if len(got) != 2 || got[0].Deal != (chain.Hash{1}) || got[1].Deal != (chain.Hash{3}) || got[1].Price != 3 || got[1].Module != (chain.Hash{3, 3}) || got[0].Paused {
		t.Fatalf("runs %+v", got)
	}
}
