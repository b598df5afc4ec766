package luck

import (
	"crypto/sha256"
	"math"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/chain"
)

func headersWithTickets(counts ...uint32) []chain.Header {
	var hs []chain.Header
	for i, c := range counts {
		hs = append(hs, chain.Header{Epoch: uint64(i + 1), Tickets: c})
	}
	return hs
}

func TestExpectedWins(t *testing.T) {
	easy := targetOneIn(1) // every attempt admitted
	genesis := chain.Header{Epoch: 0}
	for _, tc := range []struct {
		name                       string
		in                         OddsInput
		admission, perEpoch, wages float64
	}{
		{"eight rivals", OddsInput{Recent: headersWithTickets(8, 8, 8, 8), Target: easy, HashRate: 1000, Phi: time.Second, Cycle: 2 * time.Second, Payroll: 3},
			1, 1.0 / 8, 3.0 / 8},
		{"median of varying counts", OddsInput{Recent: headersWithTickets(2, 6, 4, 10_000, 3), Target: easy, HashRate: 1000, Phi: time.Second, Cycle: 2 * time.Second, Payroll: 64},
			1, 1.0 / 4, 3.0 / 4},
		{"genesis skipped", OddsInput{Recent: append(headersWithTickets(10), genesis), Target: easy, HashRate: 1, Phi: time.Second, Cycle: time.Second},
			1, 1.0 / 10, 0},
		{"no history: K* rivals", OddsInput{Target: easy, HashRate: 1, Phi: time.Second, Cycle: time.Second, KStar: 64},
			1, 1.0 / 64, 0},
		{"alone", OddsInput{Recent: headersWithTickets(0, 0), Target: easy, HashRate: 1, Phi: time.Second, Cycle: time.Second, Payroll: 5},
			1, 1, 0},
		{"no hashing", OddsInput{Recent: headersWithTickets(8), Target: easy, HashRate: 0, Phi: time.Second, Cycle: time.Second},
			0, 0, 0},
		{"slow machine", OddsInput{Recent: headersWithTickets(8), Target: targetOneIn(16), HashRate: 4, Phi: time.Second, Cycle: time.Second},
			1 - math.Pow(15.0/16, 4), (1 - math.Pow(15.0/16, 4)) / 8, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := ExpectedWins(tc.in)
			near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(b)) }
			perDay := float64(24*time.Hour) / float64(tc.in.Cycle)
			switch {
			case !near(o.Admission, tc.admission):
				t.Fatalf("admission %v, want %v", o.Admission, tc.admission)
			case !near(o.PerEpoch, tc.perEpoch):
				t.Fatalf("per epoch %v, want %v", o.PerEpoch, tc.perEpoch)
			case !near(o.PayrollEpoch, tc.wages):
				t.Fatalf("payroll per epoch %v, want %v", o.PayrollEpoch, tc.wages)
			case !near(o.EpochsPerDay, perDay) || !near(o.PerDay, tc.perEpoch*perDay) || !near(o.PayrollDay, tc.wages*perDay):
				t.Fatalf("per day: %v epochs, %v wins, %v wages", o.EpochsPerDay, o.PerDay, o.PayrollDay)
			}
		})
	}
}

// The admission chance matches what the real work function does.
func TestAdmissionMatchesWork(t *testing.T) {
	const trials, attempts = 20_000, 4
	target := targetOneIn(8)
	admitted := 0
	for i := range trials {
		seed := sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16)})
		s := newMidstate(append(seed[:], seed[:]...))
		if _, ok := s.scan(0, attempts-1, target); ok {
			admitted++
		}
	}
	want := admission(target, attempts)
	sigma := math.Sqrt(trials * want * (1 - want))
	if got := float64(admitted); math.Abs(got-trials*want) > 4*sigma {
		t.Fatalf("admitted %d of %d, expected %.0f ± %.0f", admitted, trials, trials*want, sigma)
	}
}
