package nemesis

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// inNS runs f on a thread inside the network namespace ns: sockets f makes belong to
// that namespace for good, whichever thread later uses them.
func inNS(ns string, f func() error) error {
	runtime.LockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer self.Close()
	target, err := os.Open("/var/run/netns/" + ns)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter namespace %s: %w", ns, err)
	}
	ferr := f()
	if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
		// The thread stays in the wrong namespace: keep it locked, so that it ends
		// with this goroutine instead of running others.
		return errors.Join(ferr, fmt.Errorf("leave namespace %s: %w", ns, err))
	}
	runtime.UnlockOSThread()
	return ferr
}

// Proxy forwards the TCP connections it accepts to a target, delaying every chunk of
// bytes by a delay plus a random jitter, in order: the kernel here has no netem, so
// delay and jitter need user space. TCP keeps a stream's bytes in order, so no proxy
// (and no network) can reorder them within a connection; what a network reorders is
// the messages of different connections, when one flow waits for a lost or late
// segment (head-of-line blocking) while the others go on. SetReorder does that: a
// chunk it holds back holds back everything behind it on its connection, and the
// other connections through the proxy overtake it.
type Proxy struct {
	ln   net.Listener
	dial func() (net.Conn, error)
	// hold is how much longer than its lag a chunk waits: p.drawHold, or a test's.
	hold func(data []byte) time.Duration
	done chan struct{} // closed by Close: waiting chunks are dropped

	mu            sync.Mutex
	delay, jitter time.Duration
	holdProb      float64
	holdFor       time.Duration
	conns         map[net.Conn]bool
	closed        bool
	wg            sync.WaitGroup
}

// NewProxy accepts on ln and forwards to what dial connects to.
func NewProxy(ln net.Listener, dial func() (net.Conn, error)) *Proxy {
	p := &Proxy{ln: ln, dial: dial, conns: map[net.Conn]bool{}, done: make(chan struct{})}
	p.hold = p.drawHold
	p.wg.Go(p.accept)
	return p
}

// listenInNS makes a proxy in namespace ns from listen to target, both "host:port".
func listenInNS(ns, listen, target string) (*Proxy, error) {
	var ln net.Listener
	if err := inNS(ns, func() (err error) { ln, err = net.Listen("tcp4", listen); return err }); err != nil {
		return nil, err
	}
	dial := func() (c net.Conn, err error) {
		err = inNS(ns, func() error {
			c, err = net.DialTimeout("tcp4", target, 5*time.Second)
			return err
		})
		return c, err
	}
	return NewProxy(ln, dial), nil
}

// Set makes every chunk forwarded from now on wait delay plus a uniform jitter in
// [0, jitter).
func (p *Proxy) Set(delay, jitter time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay, p.jitter = delay, jitter
}

// SetReorder makes each chunk forwarded from now on, with probability prob, wait hold
// longer than its lag, and with it every later chunk of its connection; prob 0 ends
// it.
func (p *Proxy) SetReorder(prob float64, hold time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.holdProb, p.holdFor = prob, hold
}

// drawHold is the extra wait of one chunk under SetReorder.
func (p *Proxy) drawHold([]byte) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.holdProb > 0 && rand.Float64() < p.holdProb {
		return p.holdFor
	}
	return 0
}

func (p *Proxy) lag() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.delay
	if p.jitter > 0 {
		d += rand.N(p.jitter)
	}
	return d
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
}

func (p *Proxy) accept() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Go(func() { p.serve(in) })
	}
}

func (p *Proxy) serve(in net.Conn) {
	if !p.track(in) {
		return
	}
	defer p.untrack(in)
	defer in.Close()
	out, err := p.dial()
	if err != nil {
		return
	}
	if !p.track(out) {
		return
	}
	defer p.untrack(out)
	defer out.Close()
	var wg sync.WaitGroup
	wg.Go(func() { p.pipe(out, in) })
	wg.Go(func() { p.pipe(in, out) })
	wg.Wait()
}

// chunk is what one read returned, due at a time.
type chunk struct {
	data []byte
	due  time.Time
}

// pipe copies from src to dst, each chunk no sooner than its lag after it was read
// and never before the chunk read before it.
func (p *Proxy) pipe(dst, src net.Conn) {
	q := make(chan chunk, 256)
	go func() {
		defer close(q)
		var last time.Time
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				due := time.Now().Add(p.lag() + p.hold(buf[:n]))
				if due.Before(last) {
					due = last
				}
				last = due
				q <- chunk{buf[:n], due}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range q {
		if d := time.Until(c.due); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-p.done:
				t.Stop()
				src.Close()
				for range q {
				}
				return
			}
		}
		if _, err := dst.Write(c.data); err != nil {
			src.Close()
			for range q {
			}
			return
		}
	}
	// The source ended: pass the end on, and stop the other direction's reads.
	if tc, ok := dst.(*net.TCPConn); ok {
		tc.CloseWrite()
	} else {
		dst.Close()
	}
}

// Close stops accepting, cuts every connection and waits for the proxy's goroutines.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	if !p.closed {
		close(p.done)
	}
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
