package app

import (
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/daolicloud/daoli/assets"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/light"
)

func TestNotifications(t *testing.T) {
	for _, c := range []struct {
		e     light.Event
		title string // "" for no notification
	}{
		{light.Event{Kind: light.EventWon, Height: 3, Amount: 400}, "You won an epoch"},
		{light.Event{Kind: light.EventPayment, Height: 3, Amount: 7}, "Payment received"},
		{light.Event{Kind: light.EventJob, Phase: chain.PhaseClosed, Outcome: chain.OutcomePaid, Bought: true}, "Job finished"},
		{light.Event{Kind: light.EventJob, Phase: chain.PhaseClosed, Outcome: chain.OutcomeProviderLate, Bought: true}, "Job ended without a result"},
		{light.Event{Kind: light.EventJob, Phase: chain.PhaseClosed, Outcome: chain.OutcomePaid}, "Compute sold"},
		{light.Event{Kind: light.EventJob, Phase: chain.PhaseClosed, Outcome: chain.OutcomeProviderFined}, ""},
		{light.Event{Kind: light.EventJob, Phase: chain.PhaseAccepted, Bought: true}, ""},
		{light.Event{Kind: light.EventBlock, Height: 9}, ""},
	} {
		n := notification(c.e)
		switch {
		case c.title == "" && n != nil:
			t.Errorf("%v: notified %q", c.e, n.Title)
		case c.title != "" && (n == nil || !strings.HasPrefix(n.Title, c.title) || n.Content == ""):
			t.Errorf("%v: %+v, want %q", c.e, n, c.title)
		}
	}
}

func TestJobNames(t *testing.T) {
	dir := t.TempDir()
	n := newJobNames(dir)
	pi, err := assets.Job("pi")
	if err != nil {
		t.Fatal(err)
	}
	piHash := chain.Hash(sha256.Sum256(pi))
	if got := n.name(chain.Hash{1}, piHash); got != "pi" {
		t.Fatalf("an example module named %q", got)
	}
	if got := n.name(chain.Hash{2}, chain.Hash{9}); !strings.HasPrefix(got, "module 09") {
		t.Fatalf("an unknown module named %q", got)
	}
	n.set(chain.Hash{2}, "render.wasm")
	if got := newJobNames(dir).name(chain.Hash{2}, chain.Hash{9}); got != "render.wasm" {
		t.Fatalf("a named job after a restart: %q", got)
	}
}

func TestDashboardGroupsMarketEarnings(t *testing.T) {
	got := totalsMap(light.Totals{light.SourceWin: 400, light.SourceSale: 20, light.SourceFine: 140,
		light.SourceMediation: 20, light.SourceTrustee: 5, light.SourceRefund: 30, light.SourceEscrow: 90})
	want := map[string]uint64{"win": 400, "compute": 160, "trustee": 25}
	if len(got) != len(want) {
		t.Fatalf("groups %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("groups %v, want %v", got, want)
		}
	}
}
