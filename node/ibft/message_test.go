package ibft

import (
	"bytes"
	"errors"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/luck"
)

// wireSamples are valid encodings of every wire and log type, from a real epoch.
type wireSamples struct {
	reports, proposals, messages, records [][]byte
}

func newWireSamples(tb testing.TB) *wireSamples {
	fx := newEdgeFixture(tb)
	w := &wireSamples{}
	for _, r := range fx.reports {
		w.reports = append(w.reports, EncodeReport(r))
	}
	w.proposals = append(w.proposals, EncodeProposal(fx.proposal))
	reproposal := fx.resignedProposal(fx.bed.trustees[1], func(p *Proposal) { p.Round, p.ValidRound = 5, 2 })
	w.proposals = append(w.proposals, EncodeProposal(reproposal))
	precommit := fx.signedVote(fx.bed.trustees[1], func(v *chain.Vote) { v.Kind = chain.Precommit })
	cert, err := chain.NewCert([]*chain.Vote{precommit})
	if err != nil {
		tb.Fatal(err)
	}
	for _, m := range []Message{{Report: fx.reports[0]}, {Proposal: fx.proposal}, {Vote: fx.prevote}, {Certified: &Certified{Block: fx.proposal.Block, Cert: *cert}}} {
		w.messages = append(w.messages, EncodeMessage(&m))
	}
	for _, r := range []Record{{Report: fx.reports[1]}, {Proposal: fx.proposal}, {Vote: fx.prevote}, {Vote: precommit, Proposal: fx.proposal}} {
		w.records = append(w.records, EncodeRecord(&r))
	}
	return w
}

// corruptions returns damaged copies of an encoding: truncated, a byte flipped in the
// middle, a byte appended, the first byte changed.
func corruptions(b []byte) [][]byte {
	flipped := bytes.Clone(b)
	flipped[len(b)/2] ^= 0x40
	first := bytes.Clone(b)
	first[0] ^= 0x01
	return [][]byte{b[:len(b)/2], flipped, append(bytes.Clone(b), 0), first}
}

func isDecodeError(err error) bool {
	return errors.Is(err, chain.ErrMalformed) || errors.Is(err, chain.ErrNonCanonical) || errors.Is(err, chain.ErrTooLarge)
}

func TestEncodingRoundTrips(t *testing.T) {
	w := newWireSamples(t)
	check := func(name string, samples [][]byte, decode func([]byte) (any, error), encode func(any) []byte) {
		for i, b := range samples {
			v, err := decode(b)
			if err != nil {
				t.Fatalf("%s %d: %v", name, i, err)
			}
			if !bytes.Equal(encode(v), b) {
				t.Fatalf("%s %d: encodes differently after decoding", name, i)
			}
			for j, c := range corruptions(b) {
				if _, err := decode(c); err == nil && bytes.Equal(c, b) {
					t.Fatalf("%s %d corruption %d: decodes", name, i, j)
				} else if err != nil && !isDecodeError(err) {
					t.Fatalf("%s %d corruption %d: %v is not a decoding error", name, i, j, err)
				}
			}
		}
	}
	check("report", w.reports, func(b []byte) (any, error) { return DecodeReport(b) }, func(v any) []byte { return EncodeReport(v.(*Report)) })
	check("proposal", w.proposals, func(b []byte) (any, error) { return DecodeProposal(b) }, func(v any) []byte { return EncodeProposal(v.(*Proposal)) })
	check("message", w.messages, func(b []byte) (any, error) { return DecodeMessage(b) }, func(v any) []byte { return EncodeMessage(v.(*Message)) })
	check("record", w.records, func(b []byte) (any, error) { return DecodeRecord(b) }, func(v any) []byte { return EncodeRecord(v.(*Record)) })
}

func TestDecodeRejects(t *testing.T) {
	w := newWireSamples(t)
	fx := newEdgeFixture(t)
	tests := []struct {
		name   string
		decode func([]byte) error
		data   []byte
		want   error
	}{
		{"oversized report", func(b []byte) error { _, err := DecodeReport(b); return err }, make([]byte, MaxReportSize+1), chain.ErrTooLarge},
		{"report as proposal", func(b []byte) error { _, err := DecodeProposal(b); return err }, w.reports[0], chain.ErrMalformed},
		{"message of no part", func(b []byte) error { _, err := DecodeMessage(b); return err }, EncodeMessage(&Message{}), chain.ErrMalformed},
		{"message of two parts", func(b []byte) error { _, err := DecodeMessage(b); return err },
			EncodeMessage(&Message{Report: fx.reports[0], Vote: fx.prevote}), chain.ErrMalformed},
		{"empty record", func(b []byte) error { _, err := DecodeRecord(b); return err }, EncodeRecord(&Record{}), chain.ErrMalformed},
		{"record of a prevote beside a proposal", func(b []byte) error { _, err := DecodeRecord(b); return err },
			EncodeRecord(&Record{Vote: fx.prevote, Proposal: fx.proposal}), chain.ErrMalformed},
		{"record of a report and a vote", func(b []byte) error { _, err := DecodeRecord(b); return err },
			EncodeRecord(&Record{Report: fx.reports[0], Vote: fx.prevote}), chain.ErrMalformed},
	}
	for _, tc := range tests {
		if err := tc.decode(tc.data); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestSelectWinner drives the rule through the path consensus takes, verified reports
// of real tickets, including an equivocating key.
func TestSelectWinner(t *testing.T) {
	bed := newTestbed(t, 4, 5)
	m, err := New(Config{Key: bed.trustees[0], State: bed.state0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	all := bed.ticketsFor(bed.state0, 5)
	var ts []luck.Ticket
	for i := range all {
		tk, err := m.ticket(&all[i])
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tk)
	}
	// A second ticket of user 0's key for the same epoch: equivocation.
	second := all[0]
	second.Nonce += 1 << 40
	for !chain.Admitted(chain.Work(chain.WorkPrefix(second.ChainID, 1, second.Parent, second.Miner, ts[0].Luck[:]), second.Nonce), bed.state0.Meta().Target) {
		second.Nonce++
	}
	second.Sign(bed.users[0])
	dup, err := m.ticket(&second)
	if err != nil {
		t.Fatal(err)
	}
	report := func(ts []luck.Ticket) Report {
		var r Report
		for _, tk := range ts {
			r.Tickets = append(r.Tickets, *tk.KeyBlock)
		}
		return r
	}
	sorted := luck.Luckiest(ts, 10)
	sel := m.selection([]Report{report(ts[:3]), report(ts[2:])})
	if sel.Tickets != 5 || sel.winner().Hash() != sorted[0].Hash || len(sel.Payroll) != 3 || sel.Payroll[2].Hash != sorted[3].Hash {
		t.Fatalf("selection of 5 tickets: %d tickets, winner %s", sel.Tickets, sel.winner().Hash().Short())
	}
	if again := m.selection([]Report{report(ts[2:]), report(ts[:3])}); again.winner().Hash() != sel.winner().Hash() {
		t.Fatal("the order of the reports changed the winner")
	}
	sel = m.selection([]Report{report(ts), report([]luck.Ticket{dup})})
	if sel.Tickets != 4 {
		t.Fatalf("%d tickets counted with an equivocating key, want 4", sel.Tickets)
	}
	for _, kb := range append(sel.payroll(), *sel.winner()) {
		if kb.Miner == bed.users[0].Public() {
			t.Fatal("an equivocating key was paid")
		}
	}
	if got := luck.Luckiest(append(ts, dup), 10); len(got) != 4 {
		t.Fatalf("a report keeps %d tickets with an equivocating key, want 4", len(got))
	}
	if sel := m.selection(nil); sel.winner() != nil || sel.Tickets != 0 {
		t.Fatal("a winner without tickets")
	}
}
