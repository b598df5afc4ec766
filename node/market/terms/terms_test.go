package terms

import "testing"

func TestState(t *testing.T) {
	for _, c := range []struct{ phase, outcome, want string }{
		{Submitted, "", "submitted, waiting for a block"},
		{Open, "", "waiting for a provider"},
		{Accepted, "", "running on a provider"},
		{Posted, "", "result posted"},
		{Disputed, "", "disputed: a mediator re-executes it"},
		{Closed, "paid", "closed: paid"},
		{Closed, "provider-fined", "closed: the result was wrong, the provider was fined"},
		{Closed, "", "closed"},
		{Closed, "newer", "closed newer"},
		{"unknown", "", "unknown"},
	} {
		if got := State(c.phase, c.outcome); got != c.want {
			t.Errorf("State(%q, %q) = %q, want %q", c.phase, c.outcome, got, c.want)
		}
	}
}

func TestProgress(t *testing.T) {
	for _, c := range []struct {
		j    Job
		want string
	}{
		{Job{Phase: Submitted}, "Submitted, waiting for a block."},
		{Job{Phase: Open}, "Waiting for a provider."},
		{Job{Phase: Open, Reason: "the price is too low"}, "Waiting for a provider: the price is too low."},
		{Job{Phase: Open, Provider: "p1"}, "Waiting for a provider: offered to p1, waiting for it to accept."},
		{Job{Phase: Accepted, Provider: "p1", Price: 12}, "Running on a provider (p1) for 12."},
		{Job{Phase: Posted, Status: "ok"}, "Result posted (ok); checking it."},
		{Job{Phase: Disputed}, "Disputed: a mediator re-executes it."},
		{Job{Phase: Closed, Outcome: "paid", Provider: "p1", Price: 120}, "Done: paid 120 to p1."},
		{Job{Phase: Closed, Outcome: "paid", Provider: "p1", Price: 120, Checked: true}, "Done: paid 120 to p1 (re-run here and matched)."},
		{Job{Phase: Closed, Outcome: "withdrawn"}, "Done: withdrawn, the escrow came back."},
		{Job{Phase: Closed, Outcome: "newer"}, "closed newer"},
		{Job{Phase: "unknown"}, "unknown"},
	} {
		if got := Progress(c.j); got != c.want {
			t.Errorf("Progress(%+v) = %q, want %q", c.j, got, c.want)
		}
	}
}

func TestOutcomes(t *testing.T) {
	for _, c := range []struct {
		outcome         string
		delivered, sold bool
	}{
		{"paid", true, true}, {"buyer-fined", true, true}, {"buyer-late", false, true},
		{"withdrawn", false, false}, {"provider-late", false, false}, {"provider-fined", false, false},
		{"mediator-late", false, false}, {"", false, false},
	} {
		if Delivered(c.outcome) != c.delivered || Sold(c.outcome) != c.sold {
			t.Errorf("%q: delivered %v, sold %v; want %v, %v", c.outcome, Delivered(c.outcome), Sold(c.outcome), c.delivered, c.sold)
		}
	}
}
