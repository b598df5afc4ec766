package ibft

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/luck"
)

// TestPopulation runs four trustees, one of them Byzantine, through a miner population
// that steps from 10 to 10,000 to 100, for K* = 4 and K* = 64. Admission is drawn from
// modelled hash rates rather than real hashing: miner i makes a_i attempts in Φ, a_i
// log-uniform over 0.1…10 (hash rates spanning 100×), so its ticket is admitted with
// chance 1 − (1 − p)^a_i at the chain's target p. The admitted miners' luck is their
// real VRF output, and the P+1 luckiest get a real nonce under the target, so the
// reports are real tickets that the machines verify. Every trustee sees every ticket
// and states its count; the Byzantine one, whose report every block's quorum holds,
// states the count that pushes the target furthest from K* (the fewest it may claim
// above K*, 2³⁰ below).
//
// It checks what retargeting on the header's count gives: from 15 epochs after each
// step to the next, the expected admitted count at the chain's target stays inside
// [K*/2, 2·K*], and so does the median of the counted ones; and over those epochs
// each hash-rate class of keys, each of the ten keys that mine throughout and each key
// told to expect at least one win wins within 3σ of what luck.ExpectedWins, fed the
// certified headers as the dashboard is, told them.
func TestPopulation(t *testing.T) {
	steps := []int{10, 10_000, 100}
	if raceEnabled || testing.Short() {
		steps = []int{10, 1_000, 100} // the same shape at a tenth of the VRF proofs
	}
	for _, kstar := range []uint32{4, 64} {
		t.Run(fmt.Sprintf("K*=%d", kstar), func(t *testing.T) {
			p := newPopulation(t, kstar, steps, uint64(kstar))
			p.run(t)
		})
	}
}

const (
	popWarmup  = 30 // epochs with the first population before the first step
	popPhase   = 45 // epochs after each step
	popSettle  = 15 // epochs a step may take to settle
	popRecent  = 32 // headers ExpectedWins reads, as the light node keeps
	popClasses = 5  // hash-rate classes for the wins check
)

type popMiner struct {
	key      *keys.Key
	attempts float64 // a_i: attempts in Φ
	class    int
	wins     int
	expected float64 // Σ ExpectedWins(...).PerEpoch over the settled epochs it mined in
	variance float64
}

type population struct {
	kstar   uint32
	steps   []int
	rng     *rand.Rand
	bed     *testbed
	net     *lockstep
	byz     map[int]bool
	miners  []*popMiner
	recent  []chain.Header
	payroll int
}

func newPopulation(t *testing.T, kstar uint32, steps []int, seed uint64) *population {
	net, err := chaintest.New(chaintest.Config{Trustees: 4, Users: 1, KStar: kstar})
	if err != nil {
		t.Fatal(err)
	}
	bed := &testbed{genesis: net.Genesis, state0: net.State(), trustees: net.Trustees, users: net.Users, tickets: map[chain.Hash][]chain.KeyBlock{}}
	p := &population{kstar: kstar, steps: steps, rng: rand.New(rand.NewPCG(seed, 77)), bed: bed, byz: map[int]bool{}}
	p.net = newLockstep(t, bed, nil)
	// The Byzantine trustee is first in the lineup, so every leader's quorum of
	// reports, taken in lineup order, holds its count.
	p.byz[bed.trusteeIndex(p.net.ms[0].set[0].Key)] = true
	p.payroll = int(bed.state0.Params().Payroll)
	most := slices.Max(steps)
	for i := range most {
		a := 0.1 * math.Pow(100, p.rng.Float64())
		class := min(int(math.Log10(a/0.1)/2*popClasses), popClasses-1)
		p.miners = append(p.miners, &popMiner{key: chaintest.Key("population", i), attempts: a, class: class})
	}
	return p
}

// epochResult is what one epoch did.
type epochResult struct {
	expected float64 // expected admitted count at the epoch's target
	counted  uint32  // the header's count
	admitted int     // tickets drawn
}

func (p *population) run(t *testing.T) {
	var results []epochResult
	var phaseStart []int
	for s, n := range p.steps {
		phaseStart = append(phaseStart, len(results))
		epochs := popPhase
		if s == 0 {
			epochs = popWarmup
		}
		for e := range epochs {
			settled := s > 0 && e >= popSettle
			results = append(results, p.epoch(t, p.miners[:n], settled))
		}
	}
	lo, hi := float64(p.kstar)/2, 2*float64(p.kstar)
	for s := 1; s < len(p.steps); s++ {
		from, to := phaseStart[s], len(results)
		if s+1 < len(p.steps) {
			to = phaseStart[s+1]
		}
		first := -1
		var counts, expected []float64
		inBand := 0
		for e := from; e < to; e++ {
			x := results[e].expected
			if first < 0 && x >= lo && x <= hi {
				first = e - from + 1
			}
			if e-from >= popSettle {
				counts = append(counts, float64(results[e].counted))
				expected = append(expected, x)
				if x >= lo && x <= hi {
					inBand++
				}
			}
		}
		slices.Sort(counts)
		slices.Sort(expected)
		med, medExpected := counts[len(counts)/2], expected[len(expected)/2]
		share := float64(inBand) / float64(len(expected))
		t.Logf("step %d → %d miners: admitted %s in the first epochs; expected count in [%.0f, %.0f] from epoch %d after the step; "+
			"from epoch %d: median counted %.0f (range %.0f…%.0f), median expected %.1f, expected in band in %.0f %% of epochs",
			p.steps[s-1], p.steps[s], firstCounts(results[from:min(from+12, to)]), lo, hi, first, popSettle+1, med, counts[0], counts[len(counts)-1], medExpected, 100*share)
		if first < 0 || first > popSettle {
			t.Errorf("step to %d miners: the expected count entered [%.0f, %.0f] at epoch %d after the step, not within %d", p.steps[s], lo, hi, first, popSettle)
		}
		if med < lo || med > hi || medExpected < lo || medExpected > hi {
			t.Errorf("step to %d miners: median count %.0f, median expected %.1f after settling, outside [%.0f, %.0f]", p.steps[s], med, medExpected, lo, hi)
		}
		// A count of K* = 4 tickets is a Poisson draw of mean about 4, and retargeting
		// answers each epoch's draw (one ticket doubles the target), so the expected
		// count strays out of the band for an epoch now and then; at K* = 64 it never
		// does.
		if minShare := map[uint32]float64{4: 0.8, 64: 1}[p.kstar]; share < minShare {
			t.Errorf("step to %d miners: the expected count was in band in %.0f %% of the settled epochs, want %.0f %%", p.steps[s], 100*share, 100*minShare)
		}
	}
	p.checkWins(t)
}

func firstCounts(rs []epochResult) string {
	var b bytes.Buffer
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d", r.admitted)
	}
	return b.String()
}

// checkWins compares the wins with the expected wins, over the settled epochs.
func (p *population) checkWins(t *testing.T) {
	type group struct {
		name            string
		wins            int
		expected, sigma float64
	}
	var groups []group
	for c := range popClasses {
		g := group{name: fmt.Sprintf("class %d", c)}
		var v float64
		for _, m := range p.miners {
			if m.class == c {
				g.wins += m.wins
				g.expected += m.expected
				v += m.variance
			}
		}
		g.sigma = math.Sqrt(v)
		groups = append(groups, g)
	}
	// Keys one at a time: those that mine throughout, and every key ExpectedWins gave
	// at least one win. Below that a single win is a rare event whose tail chance is
	// under the 3σ one for thousands of keys together, so those count in their class.
	checked := 0
	for i, m := range p.miners {
		if i < p.steps[0] || m.expected >= 1 {
			groups = append(groups, group{name: fmt.Sprintf("key %d (%.1f attempts)", i, m.attempts), wins: m.wins, expected: m.expected, sigma: math.Sqrt(m.variance)})
			checked++
		}
	}
	t.Logf("%d keys checked one at a time", checked)
	for _, g := range groups {
		if g.name[:3] != "key" || g.wins > 0 || g.expected >= 1 {
			t.Logf("%s: won %d, expected %.1f ± %.1f (3σ)", g.name, g.wins, g.expected, 3*g.sigma)
		}
		if !withinThreeSigma(g.wins, g.expected, g.sigma) {
			t.Errorf("%s won %d epochs, ExpectedWins says %.1f ± %.1f", g.name, g.wins, g.expected, 3*g.sigma)
		}
	}
}

// threeSigmaTail is the chance of a normal draw beyond 3σ on one side.
const threeSigmaTail = 0.00135

// withinThreeSigma reports whether wins is within 3σ of the expected mean. Wins are
// rare events: below a mean of 10 the normal law misjudges them (one win at a mean
// of 0.1 is 3σ away, yet has a chance of 10 %), so there the test is the same tail
// chance under the Poisson law of that mean.
func withinThreeSigma(wins int, mean, sigma float64) bool {
	if mean >= 10 {
		return math.Abs(float64(wins)-mean) <= 3*sigma
	}
	pmf := func(k int) float64 {
		lg, _ := math.Lgamma(float64(k + 1))
		return math.Exp(-mean + float64(k)*math.Log(mean) - lg)
	}
	var below float64 // P(X < wins)
	for k := range wins {
		below += pmf(k)
	}
	return below+pmf(wins) >= threeSigmaTail && 1-below >= threeSigmaTail
}

// epoch draws one epoch's tickets from the present miners, closes it on every
// trustee and returns what was admitted and counted.
func (p *population) epoch(t *testing.T, present []*popMiner, settled bool) epochResult {
	st := p.net.ms[0].State()
	target := st.Meta().Target
	pAttempt := attemptChance(target)
	epoch, parent, chainID := st.Epoch()+1, st.Tip(), st.Params().ChainID
	seed := chain.LuckSeed(chainID, epoch, parent)

	// ExpectedWins as a dashboard would compute it before the draw.
	if settled {
		for _, m := range present {
			o := luck.ExpectedWins(luck.OddsInput{Recent: p.recent, Target: target, HashRate: m.attempts, Phi: time.Second, KStar: p.kstar, Payroll: uint32(p.payroll)})
			m.expected += o.PerEpoch
			m.variance += o.PerEpoch * (1 - o.PerEpoch)
		}
	}

	type drawn struct {
		m     *popMiner
		proof []byte
		luck  chain.Luck
	}
	var res epochResult
	var admitted []drawn
	for _, m := range present {
		chance := -math.Expm1(m.attempts * math.Log1p(-pAttempt))
		res.expected += chance
		if p.rng.Float64() >= chance {
			continue
		}
		proof, beta := m.key.VRFProve(seed)
		var l chain.Luck
		copy(l[:], beta)
		admitted = append(admitted, drawn{m: m, proof: proof, luck: l})
	}
	res.admitted = len(admitted)
	slices.SortFunc(admitted, func(a, b drawn) int { return bytes.Compare(a.luck[:], b.luck[:]) })
	var best []chain.KeyBlock
	for _, d := range admitted[:min(len(admitted), p.payroll+1)] {
		kb := chain.KeyBlock{ChainID: chainID, Epoch: epoch, Parent: parent, Miner: d.m.key.Public(), Payout: d.m.key.Address(), VRFProof: d.proof}
		prefix := chain.WorkPrefix(chainID, epoch, parent, kb.Miner, d.luck[:])
		// A real nonce, so that the machines' checks pass; the search costs 1/p
		// hashes and has nothing to do with the modelled hash rate.
		for kb.Nonce = p.rng.Uint64(); !chain.Admitted(chain.Work(prefix, kb.Nonce), target); kb.Nonce++ {
		}
		kb.Sign(d.m.key)
		best = append(best, kb)
	}

	for i, m := range p.net.ms {
		count := len(admitted)
		if p.byz[i] {
			count = 1 << 30
			if uint32(len(admitted)) > p.kstar {
				count = 0 // the machine raises it to the tickets it lists
			}
		}
		if err := m.CloseEpoch(epoch, best, count); err != nil {
			t.Fatal(err)
		}
	}
	p.net.settle()
	var b *chain.Block
	for i, m := range p.net.ms {
		if m.State().Epoch() != epoch {
			t.Fatalf("trustee %d did not commit epoch %d", i, epoch)
		}
		log := p.net.logs[i]
		if c := log[len(log)-1].Block; b == nil {
			b = c
		} else if c.Hash() != b.Hash() {
			t.Fatalf("trustees committed different blocks for epoch %d", epoch)
		}
	}
	res.counted = b.Header.Tickets
	if b.Winner != nil && settled {
		for _, d := range admitted {
			if d.m.key.Public() == b.Winner.Miner {
				d.m.wins++
			}
		}
	}
	p.recent = append(p.recent, b.Header)
	if len(p.recent) > popRecent {
		p.recent = p.recent[1:]
	}
	return res
}

// attemptChance is (target+1)/2²⁵⁶, the chance that one attempt is admitted.
func attemptChance(target chain.Hash) float64 {
	t := new(big.Int).SetBytes(target[:])
	t.Add(t, big.NewInt(1))
	f, _ := new(big.Float).SetInt(t).Float64()
	return math.Ldexp(f, -256)
}
