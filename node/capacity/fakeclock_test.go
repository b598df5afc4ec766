package capacity

import (
	"sort"
	"sync"
	"time"
)

// fakeClock is a Clock that moves only when a test calls Advance.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*fakeWaiter
	added   chan struct{} // signalled whenever a ticker or timer is made
}

type fakeWaiter struct {
	clock   *fakeClock
	at      time.Time
	period  time.Duration // 0 for a timer
	ch      chan time.Time
	stopped bool
}

func newFakeClock(start time.Time) *fakeClock {
	return &fakeClock{now: start, added: make(chan struct{}, 1000)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTicker(d time.Duration) Ticker { return fakeTicker{c.add(d, d)} }

// fakeTicker hides the timer's Stop result, as time.Ticker does.
type fakeTicker struct{ w *fakeWaiter }

func (t fakeTicker) C() <-chan time.Time { return t.w.ch }
func (t fakeTicker) Stop()               { t.w.Stop() }

func (c *fakeClock) NewTimer(d time.Duration) Timer { return c.add(d, 0) }

func (c *fakeClock) add(d, period time.Duration) *fakeWaiter {
	c.mu.Lock()
	w := &fakeWaiter{clock: c, at: c.now.Add(d), period: period, ch: make(chan time.Time, 1)}
	c.waiters = append(c.waiters, w)
	c.mu.Unlock()
	c.added <- struct{}{}
	return w
}

// Advance moves the clock, firing timers and ticks due on the way in time order. Like
// the real ones, a tick nobody has received yet is dropped.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	end := c.now.Add(d)
	for {
		var due []*fakeWaiter
		for _, w := range c.waiters {
			if !w.stopped && !w.at.After(end) {
				due = append(due, w)
			}
		}
		if len(due) == 0 {
			break
		}
		sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
		w := due[0]
		c.now = w.at
		select {
		case w.ch <- w.at:
		default:
		}
		if w.period > 0 {
			w.at = w.at.Add(w.period)
		} else {
			w.stopped = true
		}
	}
	c.now = end
}

// pending counts live timers and tickers.
func (c *fakeClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, w := range c.waiters {
		if !w.stopped {
			n++
		}
	}
	return n
}

func (w *fakeWaiter) C() <-chan time.Time { return w.ch }

func (w *fakeWaiter) Stop() bool {
	w.clock.mu.Lock()
	defer w.clock.mu.Unlock()
	was := !w.stopped
	w.stopped = true
	return was
}
