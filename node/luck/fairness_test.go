package luck

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"runtime"
	"sync"
	"testing"

	"github.com/daolicloud/daoli/node/keys"
)

// Luck, not hash power: over 10,000 epochs, eight keys whose machines differ in hash
// rate by a factor of 3,000 each win 1/8 of the epochs, within 3σ.
//
// Each key gets, per epoch, a budget of attempts proportional to its hash rate (what
// it can hash within Φ). The target admits one attempt in two, so even the slowest
// key, with 16 attempts, is admitted in all but one epoch in 65,536. Every key stops at
// its first admitted nonce; the winner is drawn by SelectWinner from the real VRF
// outputs.
func TestLuckNotHashPower(t *testing.T) {
	const epochs = 10_000
	budgets := []uint64{16, 50, 160, 500, 1600, 5000, 16_000, 50_000}
	n := len(budgets)
	ks := make([]*keys.Key, n)
	index := map[keys.PublicKey]int{}
	for i := range ks {
		ks[i] = testKey("fairness", i)
		index[ks[i].Public()] = i
	}

	winners := make([]int, epochs) // -1: no admitted ticket
	hashed := make([][]uint64, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for w := range hashed {
		hashed[w] = make([]uint64, n)
		wg.Go(func() {
			for e := w; e < epochs; e += len(hashed) {
				l := testLottery()
				l.Epoch = uint64(e + 1)
				l.Parent = sha256.Sum256(binary.BigEndian.AppendUint64([]byte("parent"), l.Epoch))
				l.Target = targetOneIn(2)
				var tickets []Ticket
				for i, k := range ks {
					d := NewDraft(k, l, k.Address())
					nonce, ok := newMidstate(d.Prefix).scan(0, budgets[i]-1, l.Target)
					if !ok {
						hashed[w][i] += budgets[i]
						continue
					}
					hashed[w][i] += nonce + 1
					// Sealing would only add a signature the rule does not read.
					kb := *d.KeyBlock
					kb.Nonce = nonce
					tickets = append(tickets, Ticket{KeyBlock: &kb, Luck: d.Luck, Hash: kb.Hash()})
				}
				sel, err := SelectWinner([][]Ticket{tickets}, 0)
				if err != nil {
					panic(err)
				}
				winners[e] = -1
				if sel.Winner != nil {
					winners[e] = index[sel.Winner.KeyBlock.Miner]
				}
			}
		})
	}
	wg.Wait()

	wins := make([]int, n)
	for _, w := range winners {
		if w >= 0 {
			wins[w]++
		}
	}
	var total uint64
	for _, b := range budgets {
		total += b
	}
	t.Logf("a race of hash power would give the fastest key %.0f %% of the epochs", 100*float64(budgets[n-1])/float64(total))
	p := 1 / float64(n)
	mean, sigma := epochs*p, math.Sqrt(epochs*p*(1-p))
	for i := range n {
		var h uint64
		for w := range hashed {
			h += hashed[w][i]
		}
		t.Logf("key %d: budget %6d attempts/epoch, hashed %.2f/epoch, won %d (expected %.0f ± %.0f)", i, budgets[i], float64(h)/epochs, wins[i], mean, 3*sigma)
		if math.Abs(float64(wins[i])-mean) > 3*sigma {
			t.Errorf("key %d with budget %d won %d of %d epochs, outside %.0f ± %.0f", i, budgets[i], wins[i], epochs, mean, 3*sigma)
		}
		// The eased work: a fast machine stops as early as a slow one.
		if avg := float64(h) / epochs; avg > 2.2 {
			t.Errorf("key %d hashed %.2f attempts per epoch; admission takes 2 on average", i, avg)
		}
	}
}
