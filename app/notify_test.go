package app

import (
	"strings"
	"testing"

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
