package light

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/market"
)

// TestSetTerms: a running provider's new price and slots reach its record on chain
// without a restart, the next deal is charged at the new price, bad terms are refused
// and change nothing, and every node that verified the accept lists it as a sale.
func TestSetTerms(t *testing.T) {
	dir, nf, _ := startDevnetWith(t, marketTiming)
	user := func(i int) *keys.Key { return userKey(t, dir, i) }
	buyer := startMarketNode(t, nf, user(0), nil)
	provider := startMarketNode(t, nf, user(1), nil)
	poll(t, "both nodes synced", func() bool {
		return buyer.Height() >= 2 && provider.Height() >= 2 && len(buyer.trusteePeers()) > 0 && len(provider.trusteePeers()) > 0
	})
	provide(t, provider, buyer)
	if p, _ := provider.Provider(); p.Price != 1 || p.Slots != 1 {
		t.Fatalf("registered at %d with %d slots, want the defaults 1 and 1", p.Price, p.Slots)
	}

	for _, c := range []struct {
		price uint64
		slots uint32
		want  error
	}{{0, 1, ErrPrice}, {2, 0, ErrSlots}, {2, chain.MaxSlots + 1, ErrSlots}} {
		if err := provider.SetTerms(c.price, c.slots); !errors.Is(err, c.want) {
			t.Fatalf("SetTerms(%d, %d) = %v, want %v", c.price, c.slots, err, c.want)
		}
	}
	if p, s, _ := provider.Terms(); p != 1 || s != 1 {
		t.Fatalf("refused terms changed them to %d and %d", p, s)
	}
	if err := buyer.SetTerms(0, 1); !errors.Is(err, ErrPrice) {
		t.Fatalf("a buyer's bad terms: %v", err)
	}

	if err := provider.SetTerms(2, 3); err != nil {
		t.Fatal(err)
	}
	poll(t, "the new price and slots on chain", func() bool {
		p, ok := provider.Provider()
		return ok && p.Price == 2 && p.Slots == 3
	})
	module, err := os.ReadFile("testdata/echo.wasm")
	if err != nil {
		t.Fatal(err)
	}
	id, err := buyer.OpenDeal(context.Background(), JobSpec{Module: module, MaxPrice: 30, BuyerDeposit: 30, Deadline: 12,
		Limits: chain.DealLimits{MemoryMiB: 64, WallTimeMs: 10_000, OutputMax: 1 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	j := waitOutcome(t, buyer, id)
	if j.Deal.Outcome != chain.OutcomePaid || j.Deal.Provider != provider.Address() || j.Deal.Price != 20 {
		t.Fatalf("deal: %s by %s at %d, want paid by the provider at 2 × 10 s = 20", j.Deal.Outcome, j.Deal.Provider, j.Deal.Price)
	}
	for _, n := range []*Node{buyer, provider} {
		sales := n.Sales()
		if len(sales) == 0 || sales[len(sales)-1].Charge != 20 || sales[len(sales)-1].PerSecond() != 2 {
			t.Fatalf("sales seen: %+v", sales)
		}
		if sg := market.SuggestPrice(market.Machine{}, sales, n.Height(), chain.MaxSlots); sg.Price != 2 || sg.Deals != len(sales) {
			t.Fatalf("suggestion from the sales seen: %+v", sg)
		}
	}
}
