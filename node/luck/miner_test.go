package luck

import (
	"context"
	"crypto/sha256"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/node/chain"
)

// The midstate gives exactly chain.Work, for prefixes of whole blocks as WorkPrefix
// makes them and for any other length too.
func TestMidstateMatchesWork(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	l := testLottery()
	d := NewDraft(testKey("miner", 0), l, testKey("miner", 0).Address())
	prefixes := [][]byte{d.Prefix, {}, make([]byte, 55), make([]byte, 56), make([]byte, 64), make([]byte, 200)}
	for range 20 {
		p := make([]byte, rng.IntN(300))
		for j := range p {
			p[j] = byte(rng.Uint32())
		}
		prefixes = append(prefixes, p)
	}
	for _, p := range prefixes {
		s := newMidstate(p)
		for _, n := range []uint64{0, 1, 255, 256, math.MaxUint64, rng.Uint64(), rng.Uint64()} {
			if got, want := s.work(n), chain.Work(p, n); got != want {
				t.Fatalf("prefix of %d bytes, nonce %d: midstate %s, chain.Work %s", len(p), n, got.Short(), want.Short())
			}
		}
	}
}

// With one worker the miner returns the smallest admitted nonce; with several, an
// admitted one. Either way the sealed ticket verifies.
func TestMine(t *testing.T) {
	l := testLottery()
	k := testKey("miner", 0)
	d := NewDraft(k, l, k.Address())
	var smallest uint64
	for !chain.Admitted(chain.Work(d.Prefix, smallest), l.Target) {
		smallest++
	}
	for _, workers := range []int{1, 2, 3, 7} {
		m := NewMiner(MinerConfig{Workers: workers})
		n, err := m.Mine(t.Context(), d.Prefix, l.Target)
		if err != nil {
			t.Fatalf("%d workers: %v", workers, err)
		}
		if !chain.Admitted(chain.Work(d.Prefix, n), l.Target) {
			t.Fatalf("%d workers: nonce %d not admitted", workers, n)
		}
		if workers == 1 && n != smallest {
			t.Fatalf("one worker found %d, the smallest admitted nonce is %d", n, smallest)
		}
		if st := m.Stats(); st.Mining || st.Attempts == 0 || st.Workers != workers {
			t.Fatalf("%d workers: stats after mining %+v", workers, st)
		}
		tk, err := m.MineTicket(t.Context(), k, l, k.Address())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Verify(tk.KeyBlock); err != nil {
			t.Fatalf("%d workers: mined ticket does not verify: %v", workers, err)
		}
	}
	if m := NewMiner(MinerConfig{}); m.Stats().Workers != runtime.GOMAXPROCS(0) {
		t.Fatalf("default workers %d", m.Stats().Workers)
	}
}

// A worker that runs out of nonces says so.
func TestSearchExhausted(t *testing.T) {
	m := NewMiner(MinerConfig{Workers: 1})
	s := newMidstate(make([]byte, 64))
	for _, span := range []uint64{1, batch - 1, batch, batch + 1, 3 * batch} {
		if _, ok := m.search(t.Context(), nil, s, math.MaxUint64-span+1, math.MaxUint64, chain.Hash{}); ok {
			t.Fatal("found a nonce under a zero target")
		}
	}
	if got, want := m.Stats().Attempts, uint64(1+batch-1+batch+batch+1+3*batch); got != want {
		t.Fatalf("%d attempts, want %d", got, want)
	}
}

// startMining runs Mine under an unreachable target until the test cancels it.
func startMining(t *testing.T, m *Miner) (cancel func(), done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	ch := make(chan error, 1)
	go func() {
		_, err := m.Mine(ctx, benchPrefix(), unreachable)
		ch <- err
	}()
	return cancel, ch
}

// poll waits until cond holds, failing after limit.
func poll(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		runtime.Gosched()
	}
}

// waitDone waits for Mine to return, failing after limit.
func waitDone(t *testing.T, done <-chan error, limit time.Duration) error {
	t.Helper()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		t.Fatalf("Mine did not return within %v", limit)
		return nil
	}
}

func TestMinerPauseResume(t *testing.T) {
	const workers = 3
	m := NewMiner(MinerConfig{Workers: workers})
	cancel, done := startMining(t, m)
	defer cancel()
	poll(t, time.Second, "start hashing", func() bool { return m.Stats().Attempts > 0 })

	for range 3 {
		m.Pause()
		if !m.Paused() {
			t.Fatal("not paused")
		}
		poll(t, 100*time.Millisecond, "every worker parks", func() bool { return m.Stats().Parked == workers })
		frozen := m.Stats().Attempts
		for range 1000 {
			runtime.Gosched()
		}
		if got := m.Stats().Attempts; got != frozen {
			t.Fatalf("%d attempts while paused", got-frozen)
		}
		m.Pause() // twice is once
		m.Resume()
		poll(t, 100*time.Millisecond, "hashing resumes", func() bool { return m.Stats().Attempts > frozen })
		m.Resume() // twice is once
	}
	cancel()
	if err := waitDone(t, done, 100*time.Millisecond); !errors.Is(err, context.Canceled) {
		t.Fatalf("Mine returned %v, want context.Canceled", err)
	}
}

func TestMinerCancel(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pause bool // paused before the cancel
	}{{"while hashing", false}, {"while paused", true}} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMiner(MinerConfig{Workers: 2})
			cancel, done := startMining(t, m)
			poll(t, time.Second, "start hashing", func() bool { return m.Stats().Attempts > 0 })
			if tc.pause {
				m.Pause()
				poll(t, 100*time.Millisecond, "every worker parks", func() bool { return m.Stats().Parked == 2 })
			}
			cancel()
			if err := waitDone(t, done, 100*time.Millisecond); !errors.Is(err, context.Canceled) {
				t.Fatalf("Mine returned %v", err)
			}
			if st := m.Stats(); st.Mining || st.Parked != 0 {
				t.Fatalf("after cancel: %+v", st)
			}
		})
	}
}

// A miner paused before it starts hashes nothing until resumed.
func TestMinerStartsPaused(t *testing.T) {
	m := NewMiner(MinerConfig{Workers: 2})
	m.Pause()
	cancel, done := startMining(t, m)
	defer cancel()
	poll(t, 100*time.Millisecond, "every worker parks", func() bool { return m.Stats().Parked == 2 })
	if a := m.Stats().Attempts; a != 0 {
		t.Fatalf("%d attempts while paused", a)
	}
	m.Resume()
	poll(t, 100*time.Millisecond, "hashing starts", func() bool { return m.Stats().Attempts > 0 })
	cancel()
	waitDone(t, done, 100*time.Millisecond)
}

func TestMinerDeadline(t *testing.T) {
	m := NewMiner(MinerConfig{Workers: 1})
	ctx, cancel := context.WithDeadline(t.Context(), time.Now())
	defer cancel()
	if _, err := m.Mine(ctx, benchPrefix(), unreachable); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

func TestMinerBusy(t *testing.T) {
	m := NewMiner(MinerConfig{Workers: 1})
	cancel, done := startMining(t, m)
	defer cancel()
	poll(t, time.Second, "start mining", func() bool { return m.Stats().Mining })
	if _, err := m.Mine(t.Context(), benchPrefix(), unreachable); !errors.Is(err, ErrBusy) {
		t.Fatalf("second Mine: %v", err)
	}
	cancel()
	waitDone(t, done, time.Second)
}

// The hash rate is attempts over active time; paused time does not count.
func TestMinerRate(t *testing.T) {
	clk := nodetest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	m := NewMiner(MinerConfig{Workers: 2, Now: clk.Now})
	if st := m.Stats(); st.Rate != 0 || st.Active != 0 {
		t.Fatalf("idle miner: %+v", st)
	}
	cancel, done := startMining(t, m)
	poll(t, time.Second, "start mining", func() bool { return m.Stats().Mining })
	clk.Advance(2 * time.Second)
	m.Pause()
	poll(t, 100*time.Millisecond, "every worker parks", func() bool { return m.Stats().Parked == 2 })
	clk.Advance(time.Hour) // paused: not active
	if st := m.Stats(); st.Active != 2*time.Second {
		t.Fatalf("active %v while paused, want 2s", st.Active)
	}
	m.Resume()
	clk.Advance(time.Second)
	cancel()
	waitDone(t, done, time.Second)
	clk.Advance(time.Hour) // idle: not active
	st := m.Stats()
	if st.Active != 3*time.Second {
		t.Fatalf("active %v, want 3s", st.Active)
	}
	if want := float64(st.Attempts) / 3; st.Rate != want {
		t.Fatalf("rate %v, want %v", st.Rate, want)
	}
}

// Distinct prefixes from one key in one epoch cannot happen: the prefix is fixed by
// the VRF output, so a miner's hashing never changes its luck.
func TestLuckIndependentOfNonce(t *testing.T) {
	l := testLottery()
	k := testKey("miner", 0)
	a := mineFrom(k, l, 0)
	b := mineFrom(k, l, a.KeyBlock.Nonce+1)
	if a.Luck != b.Luck || a.Hash == b.Hash {
		t.Fatal("two nonces of one key gave different luck")
	}
	if sha256.Sum256(a.KeyBlock.VRFProof) != sha256.Sum256(b.KeyBlock.VRFProof) {
		t.Fatal("the VRF proof depends on the nonce")
	}
}

// passThrottle lets its worker through a fixed number of checkpoints, then holds it
// until the context ends.
type passThrottle struct {
	passes  int
	blocked chan<- int
	slot    int
}

func (p *passThrottle) Checkpoint(ctx context.Context) error {
	if p.passes > 0 {
		p.passes--
		return nil
	}
	p.blocked <- p.slot
	<-ctx.Done()
	return ctx.Err()
}

// Every batch of every worker waits for the worker's throttle: a throttle that lets
// each worker through k times allows exactly k batches each, and a held worker hashes
// nothing more.
func TestMinerHoldsThrottles(t *testing.T) {
	const workers, passes = 3, 5
	blocked := make(chan int, workers)
	var asked sync.Map
	m := NewMiner(MinerConfig{Workers: workers, Throttle: func(slot int) Throttle {
		asked.Store(slot, true)
		return &passThrottle{passes: passes, blocked: blocked, slot: slot}
	}})
	cancel, done := startMining(t, m)
	defer cancel()
	seen := map[int]bool{}
	deadline := time.After(10 * time.Second) // turns a hang into a failure
	for len(seen) < workers {
		select {
		case slot := <-blocked:
			seen[slot] = true
		case <-deadline:
			t.Fatalf("workers %v held by their throttles, want all %d; %d attempts", seen, workers, m.Stats().Attempts)
		}
	}
	for slot := range workers {
		if _, ok := asked.Load(slot); !ok || !seen[slot] {
			t.Errorf("worker slot %d has no throttle of its own", slot)
		}
	}
	if got, want := m.Stats().Attempts, uint64(workers*passes*batch); got != want {
		t.Fatalf("%d attempts through %d checkpoints each, want %d", got, passes, want)
	}
	cancel()
	if err := waitDone(t, done, time.Second); !errors.Is(err, context.Canceled) {
		t.Fatalf("Mine returned %v, want context.Canceled", err)
	}
}
