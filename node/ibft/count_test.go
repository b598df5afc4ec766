package ibft

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
)

// TestHeaderCountIsMedian checks the count a block must carry: the median of the
// admitted counts its reports state, whatever one Byzantine report among them says,
// and never the number of tickets the reports list.
func TestHeaderCountIsMedian(t *testing.T) {
	fx := newEdgeFixture(t)
	const listed = 4 // P+1 tickets in every report
	for _, tc := range []struct {
		name   string
		counts [3]uint32 // of trustees 0, 2 and 3 (3 lies in the last two cases)
		want   uint32
	}{
		{"honest counts", [3]uint32{40, 50, 60}, 50},
		{"a Byzantine count far above", [3]uint32{40, 50, 1 << 30}, 50},
		{"a Byzantine count at the floor", [3]uint32{40, 50, listed}, 40},
		{"counts no larger than the lists", [3]uint32{listed, listed, listed}, listed},
		{"the ticket count alone is wrong", [3]uint32{6, 6, 6}, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var reports []Report
			for k, i := range []int{0, 2, 3} {
				reports = append(reports, *fx.resignedReport(i, func(r *Report) { r.Admitted = tc.counts[k] }))
				if n := len(reports[k].Tickets); n != listed {
					t.Fatalf("report of trustee %d lists %d tickets, want %d", i, n, listed)
				}
			}
			slices.SortFunc(reports, func(a, b Report) int { return bytes.Compare(a.Trustee[:], b.Trustee[:]) })
			sel := fx.m.selection(reports)
			// Every trustee saw the same six tickets and lists the luckiest four.
			if sel.Tickets != listed {
				t.Fatalf("the union holds %d tickets, want %d", sel.Tickets, listed)
			}
			for _, count := range []uint32{tc.want, tc.want - 1, tc.want + 1, sel.Tickets} {
				b, _, _, err := chain.Propose(fx.bed.state0, chain.Proposal{
					Time: fx.bed.state0.Params().GenesisTime, Winner: sel.winner(), Payroll: sel.payroll(), Tickets: count,
				})
				if err != nil {
					t.Fatal(err)
				}
				p := &Proposal{Epoch: 1, ValidRound: NoRound, Block: *b, Reports: reports}
				p.Sign(fx.bed.trustees[1])
				err = fx.m.justify(p)
				if count == tc.want && err != nil {
					t.Fatalf("a block counting the median %d: %v", count, err)
				}
				if count != tc.want && !errors.Is(err, errWrongSelection) {
					t.Fatalf("a block counting %d, median %d: %v", count, tc.want, err)
				}
			}
		})
	}
}
