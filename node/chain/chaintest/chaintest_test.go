package chaintest

import (
	"testing"

	"github.com/daolicloud/daoli/node/chain"
)

// TestFollowerAccepts checks that every block a Net builds passes Apply from the
// previous state, the way a follower would check it, and that its certificate verifies.
func TestFollowerAccepts(t *testing.T) {
	n, err := New(Config{Users: 6})
	if err != nil {
		t.Fatal(err)
	}
	st := n.State()
	steps := []Step{{}, {Transfers: 10}, {Tickets: 5}, {Transfers: 7, Tickets: 2}, {Signers: 3}, {Transfers: 30, Tickets: 6}, {}}
	for i, s := range steps {
		c, err := n.Next(s)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		next, _, err := chain.Apply(st, c.Block)
		if err != nil {
			t.Fatalf("step %d: follower rejects the block: %v", i, err)
		}
		if next.Root() != c.State.Root() || next.Tip() != c.State.Tip() {
			t.Fatalf("step %d: follower state differs", i)
		}
		if err := c.Cert.Verify(n.Genesis.ChainID, c.Block.Header.Epoch, c.Block.Hash(), st.Active()); err != nil {
			t.Fatalf("step %d: certificate: %v", i, err)
		}
		if len(c.Block.Payload) != s.Transfers {
			t.Fatalf("step %d: %d transactions, want %d", i, len(c.Block.Payload), s.Transfers)
		}
		if wantWinner := s.Tickets > 0; (c.Block.Winner != nil) != wantWinner {
			t.Fatalf("step %d: winner %v, want one: %v", i, c.Block.Winner != nil, wantWinner)
		}
		if max := int(n.Genesis.Params.Payroll); s.Tickets > 1 && len(c.Block.Payroll) != min(s.Tickets-1, max) {
			t.Fatalf("step %d: payroll of %d", i, len(c.Block.Payroll))
		}
		st = next
	}
	if st.Meta().Minted == 0 {
		t.Fatal("tickets minted nothing")
	}
}

// TestResumeIsDeterministic checks that a Net resumed from a state and the last
// certificate builds the same blocks as one that ran on.
func TestResumeIsDeterministic(t *testing.T) {
	step := Step{Transfers: 5, Tickets: 3}
	a, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Run(3, step); err != nil {
		t.Fatal(err)
	}
	b, err := Resume(Config{}, a.State(), a.LastCert())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		ca, err := a.Next(step)
		if err != nil {
			t.Fatal(err)
		}
		cb, err := b.Next(step)
		if err != nil {
			t.Fatal(err)
		}
		if ca.Block.Hash() != cb.Block.Hash() || ca.Cert.Hash() != cb.Cert.Hash() {
			t.Fatalf("block %d differs after resuming", i)
		}
	}
	// Resuming at genesis needs no certificate.
	g, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Resume(Config{}, g.State(), nil); err != nil {
		t.Fatalf("resume at genesis: %v", err)
	}
}

func TestResumeRejects(t *testing.T) {
	n, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	first, err := n.Next(Step{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Next(Step{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  Config
		st   *chain.State
		cert *chain.Cert
	}{
		{"no certificate", Config{}, n.State(), nil},
		{"certificate of another block", Config{}, n.State(), first.Cert},
		{"another chain", Config{ChainID: "other"}, n.State(), n.LastCert()},
		{"unknown trustees", Config{Trustees: 1}, n.State(), n.LastCert()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Resume(tc.cfg, tc.st, tc.cert); err == nil {
				t.Fatal("resumed")
			}
		})
	}
	if _, err := n.Next(Step{Tickets: 99}); err == nil {
		t.Fatal("more tickets than users accepted")
	}
}
