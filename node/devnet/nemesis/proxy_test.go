package nemesis

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
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
