package luck

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/dcc"
)

func newTestPool(t testing.TB) (*Pool, time.Duration) {
	t.Helper()
	l := testLottery()
	start := 10 * time.Second
	p, err := NewPool(l, testWindow(t, l.Epoch, start))
	if err != nil {
		t.Fatal(err)
	}
	return p, start
}

func TestNewPoolWrongWindow(t *testing.T) {
	l := testLottery()
	if _, err := NewPool(l, testWindow(t, l.Epoch+1, 0)); !errors.Is(err, ErrWrongWindow) {
		t.Fatalf("err = %v", err)
	}
}

func TestPoolAdmission(t *testing.T) {
	l := testLottery()
	k0, k1 := testKey("miner", 0), testKey("miner", 1)
	a := mine(k0, l)
	// Another valid ticket of k0: a later admitted nonce.
	b := mineFrom(k0, l, a.KeyBlock.Nonce+1)
	c := mine(k1, l)
	forged := *c.KeyBlock
	forged.Miner = k0.Public() // in k0's name, signed by k1
	wrongEpoch := l
	wrongEpoch.Epoch++

	type step struct {
		kb   *chain.KeyBlock
		age  time.Duration // after the opening, local = global here
		want error
	}
	phi, delta := testDCC.Phi, testDCC.Delta
	for _, tc := range []struct {
		name  string
		steps []step
		held  []*chain.KeyBlock // the pool's tickets at the end
		equiv int               // keys ignored at the end
	}{
		{"one ticket", []step{{a.KeyBlock, 0, nil}}, []*chain.KeyBlock{a.KeyBlock}, 0},
		{"two keys", []step{{a.KeyBlock, 0, nil}, {c.KeyBlock, phi, nil}}, []*chain.KeyBlock{a.KeyBlock, c.KeyBlock}, 0},
		{"duplicate ignored", []step{{a.KeyBlock, 0, nil}, {a.KeyBlock, 1, ErrDuplicate}}, []*chain.KeyBlock{a.KeyBlock}, 0},
		{"last instant of the window", []step{{a.KeyBlock, phi + delta, nil}}, []*chain.KeyBlock{a.KeyBlock}, 0},
		{"too late by the DCC", []step{{a.KeyBlock, phi + delta + 1, ErrTooLate}}, nil, 0},
		{"before the opening", []step{{a.KeyBlock, -time.Second, nil}}, []*chain.KeyBlock{a.KeyBlock}, 0},
		{"second ticket from one key", []step{
			{a.KeyBlock, 0, nil},
			{c.KeyBlock, 0, nil},
			{b.KeyBlock, 0, ErrEquivocation},
			{a.KeyBlock, 0, ErrEquivocation}, // the key stays ignored
			{b.KeyBlock, 0, ErrEquivocation},
		}, []*chain.KeyBlock{c.KeyBlock}, 1},
		{"second ticket first", []step{{b.KeyBlock, 0, nil}, {a.KeyBlock, 0, ErrEquivocation}}, nil, 1},
		{"forgery in another key's name does not get it ignored", []step{
			{a.KeyBlock, 0, nil},
			{&forged, 0, ErrBadSignature},
		}, []*chain.KeyBlock{a.KeyBlock}, 0},
		{"wrong epoch", []step{{mine(k0, wrongEpoch).KeyBlock, 0, ErrWrongEpoch}}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, start := newTestPool(t)
			for i, s := range tc.steps {
				got, err := p.Add(s.kb, start+s.age)
				if !errors.Is(err, s.want) || (s.want == nil) != (err == nil) {
					t.Fatalf("step %d: err = %v, want %v", i, err, s.want)
				}
				if err == nil && got.Hash != s.kb.Hash() {
					t.Fatalf("step %d: admitted ticket %s, added %s", i, got.Hash.Short(), s.kb.Hash().Short())
				}
			}
			var held []chain.Hash
			for _, tk := range p.Tickets() {
				held = append(held, tk.Hash)
			}
			var want []chain.Hash
			for _, kb := range tc.held {
				want = append(want, kb.Hash())
			}
			slices.SortFunc(want, func(x, y chain.Hash) int {
				lx, _ := p.Lottery().Verify(findKB(tc.held, x))
				ly, _ := p.Lottery().Verify(findKB(tc.held, y))
				return Compare(lx, ly)
			})
			if !slices.Equal(held, want) || p.Len() != len(want) {
				t.Fatalf("pool holds %v, want %v", held, want)
			}
			if eq := p.Equivocations(); len(eq) != tc.equiv {
				t.Fatalf("%d equivocations, want %d", len(eq), tc.equiv)
			}
			for _, e := range p.Equivocations() {
				if e.A.Miner != e.Miner || e.B.Miner != e.Miner || e.A.Hash() == e.B.Hash() {
					t.Fatal("equivocation proof is not two different tickets of its key")
				}
			}
		})
	}
}

func findKB(kbs []*chain.KeyBlock, h chain.Hash) *chain.KeyBlock {
	for _, kb := range kbs {
		if kb.Hash() == h {
			return kb
		}
	}
	return nil
}

func TestPoolBest(t *testing.T) {
	p, start := newTestPool(t)
	l := p.Lottery()
	for i := range 10 {
		if _, err := p.Add(mine(testKey("miner", i), l).KeyBlock, start); err != nil {
			t.Fatal(err)
		}
	}
	all := p.Tickets()
	if !slices.IsSortedFunc(all, Compare) || len(all) != 10 {
		t.Fatalf("%d tickets, sorted %v", len(all), slices.IsSortedFunc(all, Compare))
	}
	for _, n := range []int{-1, 0, 3, 10, 11} {
		best := p.Best(n)
		if len(best) != min(max(n, 0), 10) || !slices.EqualFunc(best, all[:len(best)], func(a, b Ticket) bool { return a.Hash == b.Hash }) {
			t.Fatalf("Best(%d) returned %d tickets, not the luckiest", n, len(best))
		}
	}
}

func TestPoolAddEncoded(t *testing.T) {
	p, start := newTestPool(t)
	tk := mine(testKey("miner", 0), p.Lottery())
	if _, err := p.AddEncoded(chain.EncodeKeyBlock(tk.KeyBlock), start); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddEncoded([]byte{0xff}, start); !errors.Is(err, chain.ErrMalformed) {
		t.Fatalf("malformed: %v", err)
	}
}

// A trustee whose clock runs 10 % slow or fast still closes admission at Φ + Δ in
// global time once its DCC is calibrated.
func TestPoolLatenessSkewedClock(t *testing.T) {
	const genesis = int64(1_767_225_600_000_000_000)
	cycle := int64(testDCC.Cycle)
	for _, rate := range []struct {
		name     string
		num, den int64
	}{{"10% slow", 9, 10}, {"10% fast", 11, 10}} {
		t.Run(rate.name, func(t *testing.T) {
			local := func(global int64) time.Duration {
				return time.Duration((global - genesis) * rate.num / rate.den)
			}
			c, err := dcc.New(testDCC)
			if err != nil {
				t.Fatal(err)
			}
			l := testLottery()
			for e := range l.Epoch {
				ts := genesis + int64(e)*cycle
				if err := c.Observe(e, ts, local(ts+int64(30*time.Millisecond))); err != nil {
					t.Fatal(err)
				}
			}
			w, err := c.Window()
			if err != nil {
				t.Fatal(err)
			}
			p, err := NewPool(l, w)
			if err != nil {
				t.Fatal(err)
			}
			opened := genesis + int64(l.Epoch-1)*cycle + int64(30*time.Millisecond)
			closes := opened + int64(testDCC.Phi+testDCC.Delta)
			kb := mine(testKey("miner", 0), l).KeyBlock
			if _, err := p.Add(kb, local(closes+int64(time.Millisecond))); !errors.Is(err, ErrTooLate) {
				t.Fatalf("1 ms after Φ+Δ: %v", err)
			}
			if _, err := p.Add(kb, local(closes-int64(time.Millisecond))); err != nil {
				t.Fatalf("1 ms before Φ+Δ: %v", err)
			}
		})
	}
}
