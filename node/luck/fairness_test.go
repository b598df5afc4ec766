package luck

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"sync"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
)

// TestLuckNotHashPower measures what hash power buys under the target retargeting
// converges to: admission, not luck.
//
// Eight keys whose machines differ in hash rate by a factor of 100 each get, per
// epoch, a budget of attempts proportional to their rate (what they can hash within
// Φ), and hash with the miner's midstate from a random nonce until the first admitted
// one or the end of the budget. The target is not chosen: each run starts at one
// attempt in two and retargets every epoch with chain.Retarget on the number of
// tickets admitted, toward K* = 4, as the chain does; the first 60 epochs of a run
// (the target settles within about 15) are left out. The winner is drawn by
// SelectWinner from the real VRF outputs.
//
// It shows two things, each within 3σ for every key:
//
//   - Among the T tickets admitted in an epoch, each wins with chance 1/T whatever its
//     key's hash rate: a key's wins match Σ 1/T over the epochs it was admitted in.
//     Its wins per admitted epoch still differ a little (0.195 for the slowest key,
//     0.264 for the fastest, in the seeded run): a slow key gets in mostly when the
//     target has just been loosened, when more rivals get in too.
//   - Admission is where hash rate counts: a key is admitted with chance
//     1 − (1 − p)^a for a attempts at target p. At the converged target (about one
//     attempt in 2⁷, some 4 tickets an epoch) the slowest key, with 10 attempts, is
//     admitted in 6.6 % of the epochs and wins 1.3 % of them; the fastest, with 1,000
//     attempts and half the hash power, is admitted in 99 % and wins 26 %. A key's
//     share of the wins follows its admission rate, which saturates, not its share of
//     the hash power; but below saturation, hash rate buys admission.
//
// go test -run TestLuckNotHashPower -v ./node/luck/ prints the figures.
func TestLuckNotHashPower(t *testing.T) {
	const (
		kstar  = 4
		warmup = 60
	)
	epochs := 10_000
	if testing.Short() {
		epochs = 2_000
	}
	budgets := []uint64{10, 19, 37, 72, 139, 268, 518, 1000}
	n := len(budgets)
	ks := make([]*keys.Key, n)
	index := map[keys.PublicKey]int{}
	for i := range ks {
		ks[i] = testKey("fairness", i)
		index[ks[i].Public()] = i
	}

	type tally struct {
		admitted   []int     // epochs the key's ticket was admitted in
		wins       []int     // epochs it won
		expected   []float64 // Σ 1/T over the epochs it was admitted in
		variance   []float64
		admitPred  []float64 // Σ 1 − (1 − p)^a over the epochs
		admitVar   []float64
		tickets    int
		epochs     int
		targetBits float64 // Σ log₂(1/p), for the log
	}
	workers := runtime.GOMAXPROCS(0)
	tallies := make([]tally, workers)
	var wg sync.WaitGroup
	for w := range workers {
		tl := &tallies[w]
		*tl = tally{admitted: make([]int, n), wins: make([]int, n), expected: make([]float64, n), variance: make([]float64, n),
			admitPred: make([]float64, n), admitVar: make([]float64, n)}
		wg.Go(func() {
			target := targetOneIn(2)
			run := epochs / workers
			for e := range warmup + run {
				l := testLottery()
				l.Epoch = uint64(w*(warmup+run) + e + 1)
				l.Parent = sha256.Sum256(binary.BigEndian.AppendUint64([]byte("parent"), l.Epoch))
				l.Target = target
				p := attemptChance(target)
				var tickets []Ticket
				var who []int
				for i, k := range ks {
					d := NewDraft(k, l, k.Address())
					from := binary.BigEndian.Uint64(d.Luck[8:]) // a random start, as workers split the space
					nonce, ok := newMidstate(d.Prefix).scan(from, from+budgets[i]-1, l.Target)
					if !ok {
						continue
					}
					// Sealing would only add a signature the rule does not read.
					kb := *d.KeyBlock
					kb.Nonce = nonce
					tickets = append(tickets, Ticket{KeyBlock: &kb, Luck: d.Luck, Hash: kb.Hash()})
					who = append(who, i)
				}
				target = chain.Retarget(target, uint32(len(tickets)), kstar)
				if e < warmup {
					continue
				}
				tl.epochs++
				tl.tickets += len(tickets)
				tl.targetBits += -math.Log2(p)
				for i, a := range budgets {
					q := -math.Expm1(float64(a) * math.Log1p(-p))
					tl.admitPred[i] += q
					tl.admitVar[i] += q * (1 - q)
				}
				if len(tickets) == 0 {
					continue
				}
				inv := 1 / float64(len(tickets))
				for _, i := range who {
					tl.admitted[i]++
					tl.expected[i] += inv
					tl.variance[i] += inv * (1 - inv)
				}
				sel, err := SelectWinner([][]Ticket{tickets}, 0)
				if err != nil {
					panic(err)
				}
				tl.wins[index[sel.Winner.KeyBlock.Miner]]++
			}
		})
	}
	wg.Wait()

	var all tally
	all.admitted, all.wins, all.expected, all.variance = make([]int, n), make([]int, n), make([]float64, n), make([]float64, n)
	all.admitPred, all.admitVar = make([]float64, n), make([]float64, n)
	for _, tl := range tallies {
		all.epochs += tl.epochs
		all.tickets += tl.tickets
		all.targetBits += tl.targetBits
		for i := range n {
			all.admitted[i] += tl.admitted[i]
			all.wins[i] += tl.wins[i]
			all.expected[i] += tl.expected[i]
			all.variance[i] += tl.variance[i]
			all.admitPred[i] += tl.admitPred[i]
			all.admitVar[i] += tl.admitVar[i]
		}
	}
	var total uint64
	for _, b := range budgets {
		total += b
	}
	t.Logf("%d epochs at the converged target (one attempt in 2^%.1f on average): %.2f tickets admitted per epoch, K* = %d",
		all.epochs, all.targetBits/float64(all.epochs), float64(all.tickets)/float64(all.epochs), kstar)
	check := func(what string, i int, got, want, variance float64) string {
		sigma := math.Sqrt(variance)
		if math.Abs(got-want) > 3*sigma {
			t.Errorf("key %d (budget %d): %s %.0f, expected %.1f ± %.1f", i, budgets[i], what, got, want, 3*sigma)
		}
		return fmt.Sprintf("%.0f (expected %.0f ± %.0f)", got, want, 3*sigma)
	}
	for i := range n {
		adm := check("admitted in", i, float64(all.admitted[i]), all.admitPred[i], all.admitVar[i])
		won := check("won", i, float64(all.wins[i]), all.expected[i], all.variance[i])
		t.Logf("key %d: %4d attempts/epoch (%4.1f %% of the hash power): admitted in %s epochs; won %s, %.3f of its admitted epochs; %.1f %% of all epochs",
			i, budgets[i], 100*float64(budgets[i])/float64(total), adm, won,
			float64(all.wins[i])/float64(max(all.admitted[i], 1)), 100*float64(all.wins[i])/float64(all.epochs))
	}
}

// attemptChance is (target+1)/2²⁵⁶, the chance that one attempt is admitted.
func attemptChance(target chain.Hash) float64 { return admission(target, 1) }
