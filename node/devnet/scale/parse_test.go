package scale

import (
	"errors"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     time.Duration
		err      bool
	}{
		{"plain", "1234 (daoli-trustee) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 100 0 0", 3 * time.Second, false},
		{"spaces in the name", "7 (a b) c) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 1 0 0", 30 * time.Millisecond, false},
		{"no name", "1234 S 1", 0, true},
		{"short", "1 (x) S 1 2", 0, true},
		{"not a number", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 u s 0", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStat(tc.in)
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("parseStat = %v, %v; want %v, error %v", got, err, tc.want, tc.err)
			}
			if err != nil && !errors.Is(err, ErrProc) {
				t.Fatalf("error %v is not ErrProc", err)
			}
		})
	}
}

func TestParseRSS(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     uint64
		err      bool
	}{
		{"kB", "Name:\tx\nVmPeak:\t 9 kB\nVmRSS:\t   2048 kB\n", 2 << 20, false},
		{"missing", "Name:\tx\n", 0, true},
		{"other unit", "VmRSS:\t2 MB\n", 0, true},
		{"not a number", "VmRSS:\tmany kB\n", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseRSS(tc.in)
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("parseRSS = %v, %v; want %v, error %v", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestCertLogLine(t *testing.T) {
	c := newCertLog()
	t0 := time.Unix(100, 0)
	lines := []string{
		`time=2026-12-07T21:40:00.123Z level=INFO msg="trustee started" key=abcd height=0`,
		`time=2026-12-07T21:40:01.000Z level=INFO msg="block certified" height=1 hash=ab round=0 signers=4 txs=3 winner=true`,
		`time=2026-12-07T21:40:01.001Z level=INFO msg="block certified" height=1 hash=ab round=0 signers=4 txs=3 winner=true`,
		`time=2026-12-07T21:40:03.000Z level=INFO msg="block certified" height=2 hash=cd round=1 signers=3 txs=0 winner=false`,
		`time=2026-12-07T21:40:03.000Z level=INFO msg="block certified" height=x txs=1`,
	}
	for i, l := range lines {
		c.line(l, t0.Add(time.Duration(i)*time.Second))
	}
	if top, _ := c.height(); top != 2 {
		t.Fatalf("top %d, want 2", top)
	}
	if at, ok := c.when(1); !ok || !at.Equal(t0.Add(time.Second)) {
		t.Fatalf("height 1 at %v %v: want the first trustee's line", at, ok)
	}
	if _, ok := c.when(0); ok {
		t.Fatal("a start line counted as a certification")
	}
	if n := c.txsIn(1, 2); n != 3 {
		t.Fatalf("%d transactions, want 3", n)
	}
}

func TestQuantile(t *testing.T) {
	d := make([]time.Duration, 100)
	for i := range d {
		d[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := quantile(d, tc.q); got != tc.want {
			t.Fatalf("quantile %v = %v, want %v", tc.q, got, tc.want)
		}
	}
}

func TestOptionsCheck(t *testing.T) {
	ok := Options{Trustees: 4, Lights: 1, Epochs: 1, Dir: "d", TrusteeBin: "b"}
	for _, tc := range []struct {
		name string
		set  func(*Options)
	}{
		{"no trustees", func(o *Options) { o.Trustees = 0 }},
		{"no lights", func(o *Options) { o.Lights = 0 }},
		{"share above 1", func(o *Options) { o.Providers = 1.5 }},
		{"no epochs", func(o *Options) { o.Epochs = 0 }},
		{"negative schedule", func(o *Options) { o.TxEvery = -1 }},
		{"no program", func(o *Options) { o.TrusteeBin = "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := ok
			tc.set(&o)
			if err := o.check(); !errors.Is(err, ErrBadOptions) {
				t.Fatalf("check = %v, want ErrBadOptions", err)
			}
		})
	}
	if err := ok.check(); err != nil {
		t.Fatal(err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 2 0")
	f.Add("VmRSS:\t 12 kB\n")
	f.Add(`msg="block certified" height=3 txs=2`)
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := parseStat(s); err == nil && d < 0 {
			t.Fatalf("negative CPU %v", d)
		}
		_, _ = parseRSS(s)
		c := newCertLog()
		c.line(s, time.Unix(0, 0))
		if top, _ := c.height(); top > 0 {
			if _, ok := c.when(top); !ok {
				t.Fatalf("height %d with no time", top)
			}
		}
	})
}

func TestLost(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    Report
		lost bool
	}{
		{"nothing lost", Report{Sent: 3, Received: 3, Providers: 2, ProvidersWanted: 2}, false},
		{"more received than taken", Report{Sent: 3, Received: 4}, false},
		{"a block never verified", Report{Missing: []string{"light 3 height 9"}}, true},
		{"a light node stranded", Report{Stranded: 1}, true},
		{"a transfer lost", Report{Sent: 3, Received: 2}, true},
		{"a provider unregistered", Report{Providers: 1, ProvidersWanted: 2}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.r.Lost(); (err != nil) != tc.lost {
				t.Fatalf("Lost = %v, want lost %v", err, tc.lost)
			}
		})
	}
}
