package luck

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
)

// syntheticTicket is a ticket with chosen luck: the winner rule trusts verified
// tickets, so its tests need no VRF. Small lucks force ties.
func syntheticTicket(rng *rand.Rand, miner keys.PublicKey, luckLevels int) Ticket {
	kb := &chain.KeyBlock{ChainID: testChain, Epoch: 7, Miner: miner, Nonce: rng.Uint64()}
	var l chain.Luck
	l[0] = byte(rng.IntN(luckLevels))
	return Ticket{KeyBlock: kb, Luck: l, Hash: kb.Hash()}
}

// referenceSelect is the rule written the slow, obvious way: distinct tickets by hash,
// keys with two distinct tickets dropped, then the minimum by (luck, hash) picked
// again and again.
func referenceSelect(sets [][]Ticket, payroll int) (order []chain.Hash, equivocators []keys.PublicKey) {
	var distinct []Ticket
	for _, set := range sets {
		for _, t := range set {
			seen := false
			for _, d := range distinct {
				seen = seen || d.Hash == t.Hash
			}
			if !seen {
				distinct = append(distinct, t)
			}
		}
	}
	var valid []Ticket
	for _, t := range distinct {
		twice := false
		for _, d := range distinct {
			twice = twice || (d.KeyBlock.Miner == t.KeyBlock.Miner && d.Hash != t.Hash)
		}
		if !twice {
			valid = append(valid, t)
		} else if !slices.Contains(equivocators, t.KeyBlock.Miner) {
			equivocators = append(equivocators, t.KeyBlock.Miner)
		}
	}
	for len(order) < 1+payroll && len(valid) > 0 {
		best := 0
		for i, t := range valid {
			b := valid[best]
			if c := bytes.Compare(t.Luck[:], b.Luck[:]); c < 0 || c == 0 && bytes.Compare(t.Hash[:], b.Hash[:]) < 0 {
				best = i
			}
		}
		order = append(order, valid[best].Hash)
		valid = append(valid[:best], valid[best+1:]...)
	}
	slices.SortFunc(equivocators, func(a, b keys.PublicKey) int { return bytes.Compare(a[:], b[:]) })
	return order, equivocators
}

func selectionOrder(s Selection) []chain.Hash {
	var out []chain.Hash
	if s.Winner != nil {
		out = append(out, s.Winner.Hash)
	}
	for _, t := range s.Payroll {
		out = append(out, t.Hash)
	}
	return out
}

// TestSelectWinnerAgainstReference checks the one rule consensus uses (node/ibft
// calls SelectWinner and Luckiest) against the brute-force reference.
func TestSelectWinnerAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var withEquivocation, withTies int
	for trial := range 500 {
		nMiners := 1 + rng.IntN(30)
		miners := make([]keys.PublicKey, nMiners)
		for i := range miners {
			miners[i][0], miners[i][1] = byte(i), byte(trial)
		}
		var tickets []Ticket
		for range rng.IntN(40) {
			// Most keys make one ticket; a drawn key sometimes makes another.
			tickets = append(tickets, syntheticTicket(rng, miners[rng.IntN(nMiners)], 1+rng.IntN(8)))
		}
		sets := make([][]Ticket, 1+rng.IntN(5))
		for i := range sets {
			for _, tk := range tickets {
				if rng.IntN(3) > 0 {
					sets[i] = append(sets[i], tk)
				}
			}
			if len(sets[i]) > 0 && rng.IntN(4) == 0 {
				sets[i] = append(sets[i], sets[i][0]) // a repeat within one set
			}
		}
		payroll := rng.IntN(10) - 1
		want, wantEq := referenceSelect(sets, max(payroll, 0))
		if len(wantEq) > 0 {
			withEquivocation++
		}
		for i := range tickets {
			for j := range i {
				if tickets[i].Luck == tickets[j].Luck {
					withTies++
				}
			}
		}
		got, err := SelectWinner(sets, payroll)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(selectionOrder(got), want) {
			t.Fatalf("trial %d: order %v, reference %v", trial, selectionOrder(got), want)
		}
		if !slices.Equal(got.Equivocators, wantEq) {
			t.Fatalf("trial %d: equivocators %d, reference %d", trial, len(got.Equivocators), len(wantEq))
		}
		// Tickets counts every valid distinct ticket, not only those paid.
		full, _ := referenceSelect(sets, 1<<20)
		if int(got.Tickets) != len(full) {
			t.Fatalf("trial %d: Tickets %d, reference %d", trial, got.Tickets, len(full))
		}
		// The order of the reports and of their contents does not matter.
		rng.Shuffle(len(sets), func(i, j int) { sets[i], sets[j] = sets[j], sets[i] })
		for _, s := range sets {
			rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
		}
		again, _ := SelectWinner(sets, payroll)
		if !slices.Equal(selectionOrder(again), want) {
			t.Fatalf("trial %d: shuffled reports change the result", trial)
		}
		// A report is the same rule on one trustee's tickets, cut at P+1.
		limit := 1 + max(payroll, 0)
		wantReport, _ := referenceSelect(sets[:1], limit-1)
		var gotReport []chain.Hash
		for _, tk := range Luckiest(sets[0], limit) {
			gotReport = append(gotReport, tk.Hash)
		}
		if !slices.Equal(gotReport, wantReport) {
			t.Fatalf("trial %d: report %v, reference %v", trial, gotReport, wantReport)
		}
	}
	if withEquivocation < 50 || withTies < 50 {
		t.Fatalf("the random sets are too tame: %d trials with equivocation, %d tied pairs", withEquivocation, withTies)
	}
}

func TestSelectWinnerCases(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	key := func(i byte) keys.PublicKey { return keys.PublicKey{i} }
	a := syntheticTicket(rng, key(1), 1)
	b := syntheticTicket(rng, key(2), 1) // same luck as a: the hash decides
	c := syntheticTicket(rng, key(3), 1)
	c.Luck[1] = 1 // unluckier than a and b
	a2 := syntheticTicket(rng, key(1), 1)
	first, second := a, b
	if Compare(b, a) < 0 {
		first, second = b, a
	}
	other := syntheticTicket(rng, key(4), 1)
	other.KeyBlock.Epoch = 8
	other.Hash = other.KeyBlock.Hash()

	for _, tc := range []struct {
		name    string
		sets    [][]Ticket
		payroll int
		order   []Ticket
		tickets uint32
		equiv   int
		err     error
	}{
		{"no reports", nil, 3, nil, 0, 0, nil},
		{"empty reports", [][]Ticket{{}, {}}, 3, nil, 0, 0, nil},
		{"tie broken by hash", [][]Ticket{{c, b}, {a}}, 3, []Ticket{first, second, c}, 3, 0, nil},
		{"payroll cut at P", [][]Ticket{{a, b, c}}, 1, []Ticket{first, second}, 3, 0, nil},
		{"no payroll", [][]Ticket{{a, b, c}}, 0, []Ticket{first}, 3, 0, nil},
		{"equivocation across reports", [][]Ticket{{a, c}, {a2, b}}, 3, []Ticket{b, c}, 2, 1, nil},
		{"only an equivocator", [][]Ticket{{a}, {a2}}, 3, nil, 0, 1, nil},
		{"mixed lotteries", [][]Ticket{{a}, {other}}, 3, nil, 0, 0, ErrMixedLotteries},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := SelectWinner(tc.sets, tc.payroll)
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			var want []chain.Hash
			for _, tk := range tc.order {
				want = append(want, tk.Hash)
			}
			if got := selectionOrder(s); !slices.Equal(got, want) || s.Tickets != tc.tickets || len(s.Equivocators) != tc.equiv {
				t.Fatalf("order %v tickets %d equivocators %d; want %v %d %d", got, s.Tickets, len(s.Equivocators), want, tc.tickets, tc.equiv)
			}
		})
	}
}
