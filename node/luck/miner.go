package luck

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
)

// batch is how many nonces a worker tries between looks at its context and the pause
// gate: about a tenth of a millisecond of hashing, so cancel and pause act at once
// while the checks cost nothing measurable.
const batch = 1024

// Throttle holds one miner worker to what the sharing governor allows: Checkpoint
// returns once the worker may hash its next batch, and blocks while sharing is
// paused, while the worker's slot is beyond the allowed cores, and for the rest of
// each duty period. capacity.Gate's throttles are the production ones.
type Throttle interface {
	Checkpoint(ctx context.Context) error
}

// MinerConfig configures a Miner.
type MinerConfig struct {
	Workers int // goroutines that hash; 0 or less means GOMAXPROCS
	// Throttle, when set, gives the worker in slot (0-based) the throttle it passes
	// before each batch, so the miner runs on as many cores and at the duty the
	// governor allows. A new throttle is asked for at each Mine call.
	Throttle func(slot int) Throttle
	Now      func() time.Time // clock for the hash rate; nil means time.Now
}

// MinerStats is a snapshot of a miner's work.
type MinerStats struct {
	Workers  int
	Mining   bool          // a Mine call is running
	Paused   bool          // the gate is closed
	Parked   int           // workers waiting at the closed gate
	Attempts uint64        // nonces tried since the miner was made
	Active   time.Duration // time spent mining, pauses excluded
	Rate     float64       // attempts per second of active time
}

// Miner searches nonces for tickets. One Mine call runs at a time; Pause, Resume and
// Stats may be called from any goroutine.
type Miner struct {
	workers  int
	throttle func(slot int) Throttle
	now      func() time.Time
	attempts atomic.Uint64
	parked   atomic.Int32
	closed   atomic.Bool // mirrors paused, read by workers without the lock

	mu      sync.Mutex
	paused  bool
	gate    chan struct{} // closed by Resume
	running bool
	active  time.Duration
	since   time.Time // start of the current active stretch; zero when not hashing
}

// NewMiner returns an idle, unpaused miner.
func NewMiner(cfg MinerConfig) *Miner {
	m := &Miner{workers: cfg.Workers, throttle: cfg.Throttle, now: cfg.Now}
	if m.workers <= 0 {
		m.workers = runtime.GOMAXPROCS(0)
	}
	if m.now == nil {
		m.now = time.Now
	}
	return m
}

// Mine searches for a nonce whose work SHA-256(prefix ‖ nonce) is at or below target
// and returns the first one found. Each worker takes an equal slice of the nonce space;
// with one worker the result is the smallest admitted nonce. Mine returns the
// context's error as soon as it is cancelled, and hashes nothing while paused.
func (m *Miner) Mine(ctx context.Context, prefix []byte, target chain.Hash) (uint64, error) {
	if err := m.begin(); err != nil {
		return 0, err
	}
	defer m.end()
	ctx, stop := context.WithCancel(ctx)
	defer stop()

	var (
		wg    sync.WaitGroup
		found atomic.Bool
		nonce uint64
	)
	span := math.MaxUint64 / uint64(m.workers)
	for i := range m.workers {
		lo := uint64(i) * span
		hi := lo + span - 1
		if i == m.workers-1 {
			hi = math.MaxUint64
		}
		var th Throttle
		if m.throttle != nil {
			th = m.throttle(i)
		}
		wg.Go(func() {
			if n, ok := m.search(ctx, th, newMidstate(prefix), lo, hi, target); ok && found.CompareAndSwap(false, true) {
				nonce = n
				stop()
			}
		})
	}
	wg.Wait()
	switch {
	case found.Load():
		return nonce, nil
	case ctx.Err() != nil:
		// Only the caller's context can have ended: stop is called on success alone.
		return 0, fmt.Errorf("mine: %w", context.Cause(ctx))
	}
	return 0, ErrExhausted
}

// search is one worker: nonces lo..hi in batches, looking at the context, the pause
// gate and the throttle th (if any) between batches.
func (m *Miner) search(ctx context.Context, th Throttle, s *midstate, lo, hi uint64, target chain.Hash) (uint64, bool) {
	for n := lo; ; {
		// Look again after every wake-up: the gate may have closed anew meanwhile.
		for m.closed.Load() {
			if !m.wait(ctx) {
				return 0, false
			}
		}
		if th != nil {
			if th.Checkpoint(ctx) != nil {
				return 0, false
			}
		}
		select {
		case <-ctx.Done():
			return 0, false
		default:
		}
		end := hi
		if hi-n >= batch {
			end = n + batch - 1
		}
		got, ok := s.scan(n, end, target)
		if ok {
			m.attempts.Add(got - n + 1)
			return got, true
		}
		m.attempts.Add(end - n + 1)
		if end == hi {
			return 0, false
		}
		n = end + 1
	}
}

// wait parks the worker until the gate opens; false means the context ended first.
func (m *Miner) wait(ctx context.Context) bool {
	m.mu.Lock()
	gate, paused := m.gate, m.paused
	m.mu.Unlock()
	if !paused {
		return true
	}
	m.parked.Add(1)
	defer m.parked.Add(-1)
	select {
	case <-gate:
		return true
	case <-ctx.Done():
		return false
	}
}

func (m *Miner) begin() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.running {
		return ErrBusy
	}
	m.running = true
	if !m.paused {
		m.since = m.now()
	}
	return nil
}

func (m *Miner) end() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stopClock()
	m.running = false
}

// stopClock adds the current active stretch, if any, to the active time.
func (m *Miner) stopClock() {
	if !m.since.IsZero() {
		m.active += m.now().Sub(m.since)
		m.since = time.Time{}
	}
}

// Pause closes the gate: every worker parks after its current batch, well within
// 100 ms. Pausing a paused miner does nothing.
func (m *Miner) Pause() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.paused {
		return
	}
	m.paused = true
	m.gate = make(chan struct{})
	m.closed.Store(true)
	m.stopClock()
}

// Resume opens the gate. Resuming a running miner does nothing.
func (m *Miner) Resume() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.paused {
		return
	}
	m.paused = false
	m.closed.Store(false)
	close(m.gate)
	if m.running {
		m.since = m.now()
	}
}

// Paused reports whether the gate is closed.
func (m *Miner) Paused() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.paused
}

// Stats returns a snapshot of the miner's work and hash rate.
func (m *Miner) Stats() MinerStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := MinerStats{
		Workers:  m.workers,
		Mining:   m.running,
		Paused:   m.paused,
		Parked:   int(m.parked.Load()),
		Attempts: m.attempts.Load(),
		Active:   m.active,
	}
	if !m.since.IsZero() {
		s.Active += m.now().Sub(m.since)
	}
	if s.Active > 0 {
		s.Rate = float64(s.Attempts) / s.Active.Seconds()
	}
	return s
}

// MineTicket makes key k's ticket for lottery l: the VRF proof, an admitted nonce,
// the signature.
func (m *Miner) MineTicket(ctx context.Context, k *keys.Key, l Lottery, payout keys.Address) (Ticket, error) {
	d := NewDraft(k, l, payout)
	nonce, err := m.Mine(ctx, d.Prefix, l.Target)
	if err != nil {
		return Ticket{}, err
	}
	return d.Seal(k, nonce), nil
}
