package nodetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

var sink []byte

func TestAllocated(t *testing.T) {
	if n := Allocated(func() { sink = make([]byte, 1<<20) }); n < 1<<20 {
		t.Fatalf("a 1 MiB allocation counted %d bytes", n)
	}
	if n := Allocated(func() {}); n > 64<<10 {
		t.Fatalf("an empty call counted %d bytes", n)
	}
}

func TestClock(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewClock(t0)
	c.Advance(time.Minute)
	if got := c.Now(); !got.Equal(t0.Add(time.Minute)) {
		t.Fatalf("clock reads %v after a minute from %v", got, t0)
	}
}

func TestPoll(t *testing.T) {
	n := 0
	Poll(t, time.Now().Add(time.Minute), "the third look", func() bool { n++; return n == 3 })
	if n != 3 {
		t.Fatalf("polled %d times, want 3", n)
	}
}

// TestBuffer: what goroutines write while the test reads is all there at the end.
func TestBuffer(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				fmt.Fprint(&b, "x")
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := b.String(); got != strings.Repeat("x", 400) {
		t.Fatalf("buffer holds %d bytes, want 400", len(got))
	}
}
