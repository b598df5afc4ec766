package luck

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/dcc"
	"github.com/daolicloud/daoli/node/keys"
)

const testChain = "daoli-test"

func testKey(name string, i int) *keys.Key {
	seed := sha256.Sum256(fmt.Appendf(nil, "%s %d", name, i))
	k, err := keys.FromSeed(seed[:])
	if err != nil {
		panic(err)
	}
	return k
}

// targetOneIn admits about one work in n (n a power of two up to 2⁸).
func targetOneIn(n int) chain.Hash {
	var h chain.Hash
	for i := range h {
		h[i] = 0xff
	}
	h[0] = byte(256/n - 1)
	return h
}

func testLottery() Lottery {
	return Lottery{
		ChainID: testChain,
		Epoch:   7,
		Parent:  sha256.Sum256([]byte("block 6")),
		Target:  targetOneIn(16),
	}
}

var testDCC = dcc.Config{Cycle: 2 * time.Second, Phi: time.Second, Delta: 500 * time.Millisecond}

// testWindow is the window of epoch `epoch`, opened by receiving its parent at local
// reading start, with the clock taken at face value.
func testWindow(t testing.TB, epoch uint64, start time.Duration) dcc.Window {
	t.Helper()
	c, err := dcc.New(testDCC)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Observe(epoch-1, 1_767_225_600_000_000_000, start); err != nil {
		t.Fatal(err)
	}
	w, err := c.Window()
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// mine makes k's admitted ticket for l by a linear nonce search from 0.
func mine(k *keys.Key, l Lottery) Ticket {
	return mineFrom(k, l, 0)
}

// mineFrom makes k's admitted ticket for l with the first admitted nonce from `from`:
// two calls with different starts give two different valid tickets of one key.
func mineFrom(k *keys.Key, l Lottery, from uint64) Ticket {
	d := NewDraft(k, l, k.Address())
	n, ok := newMidstate(d.Prefix).scan(from, from+1<<20, l.Target)
	if !ok {
		panic("no admitted nonce in 2²⁰ attempts")
	}
	return d.Seal(k, n)
}
