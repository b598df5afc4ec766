package app

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/control"
)

// marketNode is a `daoli node` process that buys or provides compute.
type marketNode struct {
	*lightProc
	flags []string
}

func (n *marketNode) restart(t testing.TB, networkFile string, flags ...string) {
	t.Helper()
	if n.cmd != nil {
		n.stop(t)
	}
	n.flags = flags
	args := append([]string{"node", "--data", n.dir, "--network", networkFile, "--listen", "/ip4/127.0.0.1/tcp/0"}, flags...)
	n.cmd = daoliCmd(args...)
	n.cmd.Stderr = n.log
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
}

func (n *marketNode) share(t testing.TB, on bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := n.client(t).SetSharing(ctx, on); err != nil {
		t.Fatal(err)
	}
}

// TestMarketEndToEnd runs the compute market with real processes: four daoli-trustee
// processes, three `daoli node` providers and a `daoli node` buyer that re-checks
// every result. The buyer runs 50 jobs of the example modules, which all settle;
// then a provider that posts a wrong output loses its deposit through mediation, and
// one that goes silent is timed out and the buyer refunded. Every ledger adds up to
// the balance the trustees prove.
func TestMarketEndToEnd(t *testing.T) {
	cache := t.TempDir() // compiled modules, shared: one compilation per module
	common := []string{"--wasm-cache", cache, "--price", "1", "--slots", "2"}
	m := startMarket(t, slices.Concat(common, []string{"--recheck", "1"}), common, common, common)
	tn, nodes, dump := m.tn, m.nodes, m.dump
	buyer, providers := nodes[0], nodes[1:]
	m.fund(600, 200)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bc := buyer.client(t)
	deadline := "40s"
	run := func(template string, args ...string) chain.Hash {
		t.Helper()
		r, err := bc.RunJob(ctx, control.JobRequest{Template: template, Args: args, MaxPrice: 20, Deadline: deadline,
			MemoryMiB: 128, WallTimeMs: 10_000, OutputMax: 1 << 20})
		if err != nil {
			dump()
			t.Fatalf("run %s: %v", template, err)
		}
		return r.ID
	}
	closed := func(id chain.Hash) control.JobView {
		t.Helper()
		var j control.JobView
		waitUntil(t, "deal "+id.Short()+" closed", func() bool {
			var err error
			j, err = bc.Job(ctx, id)
			return err == nil && j.Phase == "closed"
		}, dump)
		return j
	}

	// 50 jobs, a few in flight at a time.
	start := time.Now()
	var ids []chain.Hash
	jobs := []struct {
		template string
		args     []string
	}{{"pi", []string{"20000"}}, {"mandelbrot", []string{"32", "64"}}}
	byProvider := map[string]int{}
	const total, inFlight = 50, 6
	// The first job of each module goes alone and with time to spare: its worker
	// compiles the module into the shared cache (slow under the race detector), which
	// the other workers then load.
	for _, j := range jobs {
		deadline = "5m"
		ids = append(ids, run(j.template, j.args...))
		closed(ids[len(ids)-1])
	}
	deadline = "40s"
	for len(ids) < total {
		if pending(t, bc, ctx) >= inFlight {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		j := jobs[len(ids)%len(jobs)]
		ids = append(ids, run(j.template, j.args...))
	}
	for _, id := range ids {
		j := closed(id)
		if j.Outcome != "paid" || !j.Checked || j.Output == nil {
			dump()
			t.Fatalf("deal %s: %s, checked %v, output %v", id.Short(), j.Outcome, j.Checked, j.Output)
		}
		byProvider[j.Provider.String()]++
	}
	t.Logf("%d jobs paid in %v, by provider: %v", total, time.Since(start).Round(time.Second), byProvider)
	out := filepath.Join(t.TempDir(), "tile.png")
	if _, err := bc.JobOutput(ctx, ids[1], out); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(out); err != nil || len(data) < 8 || string(data[1:4]) != "PNG" {
		t.Fatalf("the Mandelbrot output is not a PNG: %v", err)
	}

	// One provider posts a wrong output; the others stop sharing.
	cheat, silent := providers[0], providers[1]
	providers[1].share(t, false)
	providers[2].share(t, false)
	cheat.restart(t, tn.networkFile, append(common, "--provider-fault", "wrong-output")...)
	waitUntil(t, "the cheating provider serving", func() bool { _, ok := cheat.status(); return ok }, dump)
	fined := closed(run("pi", "30000"))
	if fined.Outcome != "provider-fined" {
		dump()
		t.Fatalf("deal with a wrong output: %s", fined.Outcome)
	}
	// Then a provider that goes silent.
	cheat.share(t, false)
	silent.restart(t, tn.networkFile, append(common, "--provider-fault", "silent")...)
	waitUntil(t, "the silent provider serving", func() bool { _, ok := silent.status(); return ok }, dump)
	silent.share(t, true)
	late := closed(run("pi", "40000"))
	if late.Outcome != "provider-late" {
		dump()
		t.Fatalf("deal with a silent provider: %s", late.Outcome)
	}

	for _, n := range nodes {
		n.reconcile(t)
	}
	// The buyer paid exactly the price of each paid job and the fees, and was made
	// whole (and more) for the two faults.
	_, es := buyer.reconcile(t)
	var fines int64
	for _, e := range es {
		if e.Source == "fine" {
			fines += e.Amount
		}
	}
	if fines == 0 {
		t.Fatal("the buyer received no fine")
	}
	for _, n := range nodes {
		n.stop(t)
	}
}

// pending counts the buyer's deals not closed yet.
func pending(t *testing.T, c *control.Client, ctx context.Context) int {
	t.Helper()
	js, err := c.Jobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, j := range js {
		if j.Phase != "closed" {
			n++
		}
	}
	return n
}

// marketProcs is a compute market of real processes: four daoli-trustee processes and
// `daoli node`s, node 0 the buyer.
type marketProcs struct {
	t     testing.TB
	tn    *trusteeNet
	nodes []*marketNode
}

// startMarket starts the trustees and one `daoli node` per entry of flags, each with a
// new wallet and sharing always, so that it mines from the start. The processes are
// killed when the test ends.
func startMarket(t testing.TB, flags ...[]string) *marketProcs {
	t.Helper()
	return startMarketOn(t, startMarketTrustees(t), flags...)
}

// startMarketOn is startMarket on trustees already started (with other timing).
func startMarketOn(t testing.TB, tn *trusteeNet, flags ...[]string) *marketProcs {
	t.Helper()
	m := &marketProcs{t: t, tn: tn}
	for _, f := range flags {
		p := &marketNode{lightProc: &lightProc{dir: t.TempDir(), log: new(nodetest.Buffer)}}
		if out, err := daoliCmd("wallet", "new", "--data", p.dir).CombinedOutput(); err != nil {
			t.Fatalf("wallet new: %v\n%s", err, out)
		}
		shareAlways(t, p.dir)
		p.restart(t, m.tn.networkFile, f...)
		t.Cleanup(func() {
			if p.cmd != nil {
				p.cmd.Process.Kill()
				p.cmd.Wait()
			}
		})
		m.nodes = append(m.nodes, p)
	}
	return m
}

// dump logs what every process wrote, for a failure.
func (m *marketProcs) dump() {
	for i, l := range m.tn.logs {
		m.t.Logf("trustee %d:\n%s", i, l.String())
	}
	for i, n := range m.nodes {
		m.t.Logf("node %d:\n%s", i, n.log.String())
	}
}

// fund waits until the buyer holds buyer coins and every other node each, then stops
// the buyer sharing so that it never provides. Mining funds everyone (the buyer's
// escrow, the providers' deposits), and once sharing is off the buyer earns nothing
// more: stopping it earlier would leave it what it happened to earn before.
func (m *marketProcs) fund(buyer, each uint64) {
	m.t.Helper()
	waitUntil(m.t, "every node earning enough to trade", func() bool {
		for i, n := range m.nodes {
			s, ok := n.status()
			if !ok || s.Balance < each || (i == 0 && s.Balance < buyer) {
				return false
			}
		}
		return true
	}, m.dump)
	m.nodes[0].share(m.t, false)
}

// startMarketTrustees starts four daoli-trustee processes with epochs of about 1.5 s: the
// market's windows are counted in epochs, and a result must be fetched and re-run
// within a few (six for the buyer's answer: 0.75 s epochs left a buyer late once
// while make test loaded the machine).
func startMarketTrustees(t testing.TB) *trusteeNet {
	return startTrusteesWith(t, 4, "1s", "500ms", "2s")
}
