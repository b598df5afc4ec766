//go:build unix

package app

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/control"
)

// TestProviderPriceEndToEnd: `daoli share price` changes what buyers see of a running
// provider, without a restart, with real processes (four daoli-trustee processes, a
// `daoli node` provider and a `daoli node` buyer). The provider starts at the default
// price of 1; bad input is refused with exit 2 and changes nothing; price 3 with 2
// slots reaches its record on chain, a buyer's deal that allows less is told the
// cheapest provider asks 30 for its 10 s, and one that allows 40 is charged 30. The
// price is saved: the provider restarted without flags asks 3 again.
func TestProviderPriceEndToEnd(t *testing.T) {
	cache := t.TempDir()
	// The buyer asks more than its balance could ever cover a deposit of, so it never
	// registers as a provider: a registered one, even without slots, counts among the
	// providers the chain says fit a deal.
	m := startMarket(t, []string{"--wasm-cache", cache, "--price", "1000000"}, []string{"--wasm-cache", cache})
	tn, nodes, dump := m.tn, m.nodes, m.dump
	buyer, provider := nodes[0], nodes[1]
	price := func(args ...string) (int, control.PricingState, string) {
		t.Helper()
		code, out, errOut := runCLI(t, append(append([]string{"share", "price"}, args...), "--data", provider.dir, "--json")...)
		var st control.PricingState
		if code == 0 {
			if err := json.Unmarshal([]byte(out), &st); err != nil {
				t.Fatalf("daoli share price %v: %v: %s", args, err, out)
			}
		}
		return code, st, errOut
	}
	// The provider's deposit at price 3 is 3 × 10 s × 8 = 240; the buyer escrows 40
	// and a deposit of the same.
	m.fund(200, 300)
	waitUntil(t, "the provider registered at the default price", func() bool {
		code, st, _ := price()
		return code == 0 && st.Registered != nil && st.Registered.Price == 1 && st.Registered.Slots == 1
	}, dump)

	for _, args := range [][]string{{"0"}, {"-3"}, {"x"}, {"2.5"}, {"3", "--slots", "0"}, {"3", "--slots", "65"}, {"--slots", "2"}, {"3", "4"}} {
		if code, _, errOut := price(args...); code != 2 || errOut == "" {
			t.Errorf("daoli share price %v: exit %d, %q; want a usage error", args, code, errOut)
		}
	}
	if code, st, errOut := price(); code != 0 || st.Price != 1 || st.Slots != 1 || st.Suggested == nil || st.Suggested.Reason == "" {
		t.Fatalf("after refused commands: exit %d, %+v, %s", code, st, errOut)
	}

	if code, st, errOut := price("3", "--slots", "2"); code != 0 || st.Price != 3 || st.Slots != 2 {
		t.Fatalf("daoli share price 3 --slots 2: exit %d, %+v, %s", code, st, errOut)
	}
	waitUntil(t, "the new price on chain", func() bool {
		code, st, _ := price()
		return code == 0 && st.Registered != nil && st.Registered.Price == 3 && st.Registered.Slots == 2
	}, dump)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bc := buyer.client(t)
	run := func(maxPrice uint64) chain.Hash {
		t.Helper()
		r, err := bc.RunJob(ctx, control.JobRequest{Template: "pi", Args: []string{"20000"}, MaxPrice: maxPrice, Deadline: "5m",
			MemoryMiB: 128, WallTimeMs: 10_000, OutputMax: 1 << 20})
		if err != nil {
			dump()
			t.Fatalf("run: %v", err)
		}
		return r.ID
	}
	low := run(20)
	var j control.JobView
	waitUntil(t, "the buyer told the price", func() bool {
		var err error
		j, err = bc.Job(ctx, low)
		return err == nil && j.Reason != ""
	}, dump)
	if want := "the cheapest provider that fits asks 30, the maximum price is 20"; !strings.Contains(j.Reason, want) || j.Phase != "open" {
		t.Fatalf("a deal below the price: %s, %q; want %q", j.Phase, j.Reason, want)
	}
	if _, err := bc.CancelJob(ctx, low); err != nil {
		t.Fatal(err)
	}
	paid := run(40)
	waitUntil(t, "the deal at the new price closed", func() bool {
		var err error
		j, err = bc.Job(ctx, paid)
		return err == nil && j.Phase == "closed"
	}, dump)
	if j.Outcome != "paid" || j.Price != 30 {
		dump()
		t.Fatalf("the deal at the new price: %s at %d, want paid at 3 × 10 s = 30", j.Outcome, j.Price)
	}

	// Saved: a restart without flags asks the same.
	provider.restart(t, tn.networkFile, "--wasm-cache", cache)
	waitUntil(t, "the provider serving again", func() bool { _, ok := provider.status(); return ok }, dump)
	if code, st, errOut := price(); code != 0 || st.Price != 3 || st.Slots != 2 {
		t.Fatalf("after a restart: exit %d, %+v, %s", code, st, errOut)
	}
	for _, n := range nodes {
		n.reconcile(t)
		n.stop(t)
	}
}
