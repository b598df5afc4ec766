package capacity

import (
	"math/rand/v2"
	"testing"
	"time"
)

var monday = time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)

func idleSample(at time.Time) Sample {
	return Sample{
		At: at, Cores: 8, UserIdle: Known(10 * time.Minute),
		OtherCPU: Known(5.0), CPUTemperature: Known(60.0),
		MemoryTotal: Known(uint64(16 << 30)),
		Power:       Power{HasBattery: Known(false), OnBattery: Known(false)},
		GPUs:        Known([]GPU{}),
	}
}

// TestNoFlapping feeds noise around every threshold and counts how often the
// decision switches between run and pause: hysteresis keeps it to a few switches
// where a bare threshold would switch about every other second.
func TestNoFlapping(t *testing.T) {
	s := PresetSettings(Balanced, 8) // ceiling 80/70 °C, other programs 40 %
	var rng *rand.Rand
	tests := []struct {
		name  string
		noise func(*Sample)
	}{
		{"temperature around the ceiling", func(x *Sample) { x.CPUTemperature = Known(77 + 6*rng.Float64()) }},
		{"other programs around the limit", func(x *Sample) { x.OtherCPU = Known(35 + 10*rng.Float64()) }},
		{"other programs in bursts", func(x *Sample) {
			if rng.IntN(4) == 0 {
				x.OtherCPU = Known(90.0)
			} else {
				x.OtherCPU = Known(5.0)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng = rand.New(rand.NewPCG(1, 2))
			var prev Decision
			switches := 0
			for i := range 600 {
				now := monday.Add(time.Duration(i) * time.Second)
				x := idleSample(now)
				tt.noise(&x)
				d := Decide(s, x, prev, now)
				if i > 0 && d.Run != prev.Run {
					switches++
				}
				prev = d
			}
			// A bare threshold would switch about every other second.
			if switches > 6 {
				t.Errorf("%d switches in 10 minutes", switches)
			}
			t.Logf("%d switches in 10 minutes", switches)
		})
	}
}

func TestDecideSinceAndMemoryLimit(t *testing.T) {
	s := PresetSettings(Balanced, 8)
	d1 := Decide(s, idleSample(monday), Decision{}, monday)
	if !d1.Run || !d1.Since.Equal(monday) {
		t.Fatalf("first decision: run=%v since %v", d1.Run, d1.Since)
	}
	if d1.MemoryLimit != 8<<30 {
		t.Errorf("memory limit %d, want half of 16 GiB", d1.MemoryLimit)
	}
	later := monday.Add(time.Minute)
	d2 := Decide(s, idleSample(later), d1, later)
	if !d2.Since.Equal(monday) {
		t.Errorf("Since moved without a change: %v", d2.Since)
	}
	busy := idleSample(later.Add(time.Second))
	busy.UserIdle = Known(time.Second)
	d3 := Decide(s, busy, d2, busy.At)
	if d3.Run || !d3.Since.Equal(busy.At) {
		t.Errorf("pause: run=%v since %v", d3.Run, d3.Since)
	}
	unknownMemory := idleSample(monday)
	unknownMemory.MemoryTotal = Reading[uint64]{}
	if d := Decide(s, unknownMemory, Decision{}, monday); d.MemoryLimit != 0 {
		t.Errorf("memory limit %d from an unknown total", d.MemoryLimit)
	}
}

func TestDecideIsPure(t *testing.T) {
	s := PresetSettings(Max, 8)
	x := idleSample(monday)
	a := Decide(s, x, Decision{}, monday)
	b := Decide(s, x, Decision{}, monday)
	if a != b {
		t.Errorf("same input, different decisions:\n%+v\n%+v", a, b)
	}
}

func TestFormatAgo(t *testing.T) {
	for d, want := range map[time.Duration]string{
		400 * time.Millisecond:         "0 s",
		12 * time.Second:               "12 s",
		4*time.Minute + 59*time.Second: "4 min",
		time.Hour:                      "1 h",
		2*time.Hour + 5*time.Minute:    "2 h 5 min",
	} {
		if got := formatAgo(d); got != want {
			t.Errorf("formatAgo(%v) = %q, want %q", d, got, want)
		}
	}
}
