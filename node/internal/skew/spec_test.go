package skew

import (
	"errors"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Spec
	}{
		{"", Spec{}},
		{"offset=2m", Spec{Offset: 2 * time.Minute}},
		{"offset=-90s,rate=0.9", Spec{Offset: -90 * time.Second, Rate: 0.9}},
		{"rate=1.1,jump=5m@30s", Spec{Rate: 1.1, Jump: 5 * time.Minute, JumpAt: 30 * time.Second}},
	} {
		got, err := Parse(c.in)
		if err != nil || got != c.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
		if back, err := Parse(got.String()); err != nil || back != got {
			t.Errorf("Parse(%q.String() = %q) = %+v, %v", c.in, got.String(), back, err)
		}
	}
	for _, bad := range []string{"offset", "offset=2", "rate=0", "rate=-1", "rate=3", "rate=NaN", "jump=5m", "jump=-1s@2s", "speed=1", "offset=1s,"} {
		if _, err := Parse(bad); !errors.Is(err, ErrBadSpec) {
			t.Errorf("Parse(%q): %v, want ErrBadSpec", bad, err)
		}
	}
}

// TestAt: the skewed clock reads the offset at the start, runs at the rate, and jumps
// once the jump's time has come; Real undoes the rate.
func TestAt(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := Spec{Offset: time.Minute, Rate: 1.1, Jump: time.Hour, JumpAt: 10 * time.Second}
	for _, c := range []struct {
		elapsed time.Duration
		want    time.Duration
	}{
		{0, time.Minute},
		{5 * time.Second, time.Minute + 5500*time.Millisecond},
		{10 * time.Second, time.Minute + 11*time.Second + time.Hour},
	} {
		if got := s.At(t0, c.elapsed).Sub(t0); got != c.want {
			t.Errorf("after %v: %v ahead, want %v", c.elapsed, got, c.want)
		}
	}
	if got := s.Real(1100 * time.Millisecond); got != time.Second {
		t.Errorf("Real(1.1 s) at rate 1.1 = %v", got)
	}
	if got := (Spec{}).At(t0, time.Second).Sub(t0); got != time.Second {
		t.Errorf("the zero Spec runs %v in a second", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "offset=2m,rate=1.1,jump=5m@30s", "rate=0.5", "jump=1s@0s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := Parse(s)
		if err != nil {
			return
		}
		if r := sp.rate(); r < MinRate || r > MaxRate {
			t.Fatalf("%q: rate %v accepted", s, r)
		}
		back, err := Parse(sp.String())
		if err != nil || back.Offset != sp.Offset || back.rate() != sp.rate() || back.Jump != sp.Jump || (sp.Jump != 0 && back.JumpAt != sp.JumpAt) {
			t.Fatalf("%q: %+v does not round-trip: %+v, %v", s, sp, back, err)
		}
	})
}
