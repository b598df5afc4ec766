package nemesis

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// echoServer answers every line with itself.
func echoServer(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return ln
}

func startProxy(t *testing.T, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := NewProxy(ln, func() (net.Conn, error) { return net.Dial("tcp4", target) })
	t.Cleanup(func() { p.Close() })
	return p
}

// TestProxyDelaysInOrder: through a proxy with a delay and a jitter larger than it,
// every byte arrives, in order, and a round trip takes at least twice the delay.
func TestProxyDelaysInOrder(t *testing.T) {
	echo := echoServer(t)
	p := startProxy(t, echo.Addr().String())
	const delay = 30 * time.Millisecond
	p.Set(delay, 50*time.Millisecond)
	c, err := net.Dial("tcp4", p.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	start := time.Now()
	fmt.Fprintf(c, "first\n")
	if line, err := r.ReadString('\n'); err != nil || line != "first\n" {
		t.Fatalf("echo %q, %v", line, err)
	}
	if rtt := time.Since(start); rtt < 2*delay {
		t.Fatalf("round trip %v through a proxy delaying %v each way", rtt, delay)
	}
	go func() {
		for i := range 200 {
			fmt.Fprintf(c, "%d\n", i)
		}
	}()
	for i := range 200 {
		line, err := r.ReadString('\n')
		if err != nil || line != fmt.Sprintf("%d\n", i) {
			t.Fatalf("line %d: %q, %v", i, line, err)
		}
	}
}

// TestProxyClose: closing the proxy cuts its connections and refuses new ones.
func TestProxyClose(t *testing.T) {
	echo := echoServer(t)
	p := startProxy(t, echo.Addr().String())
	c, err := net.Dial("tcp4", p.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "x\n")
	if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("a connection through a closed proxy still reads")
	}
	// Its listener is closed (dialling the port again could reach whoever took it
	// since).
	if c2, err := p.ln.Accept(); !errors.Is(err, net.ErrClosed) {
		if c2 != nil {
			c2.Close()
		}
		t.Fatalf("a closed proxy's listener accepts: %v", err)
	}
}

// arrivals is a server that records every line it reads, from every connection, in
// the order they arrive.
type arrivals struct {
	mu    sync.Mutex
	lines []string
}

func (a *arrivals) serve(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					a.mu.Lock()
					a.lines = append(a.lines, sc.Text())
					a.mu.Unlock()
				}
			}()
		}
	}()
	return ln
}

func (a *arrivals) seen() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.lines)
}

// TestProxyReorders: a chunk the proxy holds back holds back what follows it on its
// connection, and a message sent later on another connection overtakes both: the
// receiver gets the two connections' messages in another order than they were sent,
// each connection's own still in order.
func TestProxyReorders(t *testing.T) {
	var got arrivals
	srv := got.serve(t)
	p := startProxy(t, srv.Addr().String())
	// The first message is held far longer than the test runs; nothing else is.
	p.hold = func(data []byte) time.Duration {
		if strings.HasPrefix(string(data), "a1") {
			return time.Hour
		}
		return 0
	}
	dial := func() net.Conn {
		c, err := net.Dial("tcp4", p.ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	a, b := dial(), dial()
	// Whether the proxy reads a1 and a2 in one chunk (held together) or two (a2
	// queued behind a1), neither may arrive before a1's hold.
	fmt.Fprintf(a, "a1\n")
	fmt.Fprintf(a, "a2\n")
	fmt.Fprintf(b, "b1\n")
	deadline := time.Now().Add(time.Minute)
	for !slices.Contains(got.seen(), "b1") {
		if time.Now().After(deadline) {
			t.Fatalf("b1, sent last, did not arrive: %q", got.seen())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s := got.seen(); slices.Contains(s, "a1") || slices.Contains(s, "a2") {
		t.Fatalf("arrived %q: a2 overtook a1 on its connection, or a1 was not held", s)
	}
	// Closing the proxy drops what it holds instead of waiting for it.
	closed := make(chan error)
	go func() { closed <- p.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Close waited for a held chunk")
	}
}

// TestDrawHold: SetReorder holds every chunk at probability 1, none at 0.
func TestDrawHold(t *testing.T) {
	p := startProxy(t, "127.0.0.1:1")
	for _, c := range []struct {
		prob float64
		want time.Duration
	}{{0, 0}, {1, 300 * time.Millisecond}} {
		p.SetReorder(c.prob, 300*time.Millisecond)
		for range 100 {
			if got := p.hold(nil); got != c.want {
				t.Fatalf("probability %g: held %v, want %v", c.prob, got, c.want)
			}
		}
	}
}
