package gpu

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/daolicloud/daoli/node/compute"
)

func f32s(v ...float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func TestCompareF32(t *testing.T) {
	nan := float32(math.NaN())
	otherNaN := math.Float32frombits(0x7fc00001)
	inf := float32(math.Inf(1))
	abs := Check{Mode: CheckF32, Abs: 1e-3}
	rel := Check{Mode: CheckF32, Rel: 1e-3}
	cases := []struct {
		name      string
		c         Check
		want, got []byte
		index     int // -2: match
	}{
		{"equal", abs, f32s(1, 2, 3), f32s(1, 2, 3), -2},
		{"within abs", abs, f32s(1, 2, 3), f32s(1.0009, 2, 2.9991), -2},
		{"past abs", abs, f32s(1, 2, 3), f32s(1, 2.0011, 3), 1},
		{"abs at large values", abs, f32s(1e6), f32s(1e6 + 0.0625), 0},
		{"rel at large values", rel, f32s(1e6), f32s(1e6 + 500), -2},
		{"past rel", rel, f32s(1e6), f32s(1e6 + 1500), 0},
		{"rel near zero", rel, f32s(0), f32s(1e-30), 0},
		{"both", Check{Mode: CheckF32, Abs: 1e-6, Rel: 1e-3}, f32s(0, 1000), f32s(1e-7, 1000.9), -2},
		{"NaN and NaN", abs, f32s(nan), f32s(otherNaN), -2},
		{"NaN and a number", abs, f32s(nan), f32s(0), 0},
		{"a number and NaN", abs, f32s(0), f32s(nan), 0},
		{"inf and inf", abs, f32s(inf), f32s(inf), -2},
		{"inf and -inf", Check{Mode: CheckF32, Rel: 1}, f32s(inf), f32s(-inf), 0},
		{"inf and max", Check{Mode: CheckF32, Rel: 1}, f32s(inf), f32s(math.MaxFloat32), 0},
		{"zero and minus zero", abs, f32s(0), f32s(float32(math.Copysign(0, -1))), -2},
		{"shorter", abs, f32s(1, 2), f32s(1), -1},
		{"not whole elements", abs, []byte{1, 2, 3}, []byte{1, 2, 3}, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CompareF32(c.c, c.want, c.got)
			if c.index == -2 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var m *Mismatch
			if !errors.As(err, &m) || !errors.Is(err, ErrMismatch) {
				t.Fatalf("got %v, want a mismatch", err)
			}
			if m.Index != c.index {
				t.Errorf("mismatch at %d, want %d: %v", m.Index, c.index, err)
			}
		})
	}
}

func packed(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var es []compute.TreeEntry
	for p, d := range files {
		es = append(es, compute.TreeEntry{Path: p, Data: d})
	}
	b, err := compute.PackTree(es)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCompareOutputs(t *testing.T) {
	exact := Check{Mode: CheckExact}
	tol := Check{Mode: CheckF32, Abs: 0.01}
	base := map[string][]byte{"a/x.f32": f32s(1, 2), "y.f32": f32s(3)}
	cases := []struct {
		name string
		c    Check
		got  map[string][]byte
		want string // "" matches
	}{
		{"same exact", exact, base, ""},
		{"same tolerant", tol, base, ""},
		{"close, exact", exact, map[string][]byte{"a/x.f32": f32s(1, 2.001), "y.f32": f32s(3)}, "a/x.f32: differs from byte 4"},
		{"close, tolerant", tol, map[string][]byte{"a/x.f32": f32s(1, 2.001), "y.f32": f32s(3)}, ""},
		{"far, tolerant", tol, map[string][]byte{"a/x.f32": f32s(1, 2), "y.f32": f32s(3.5)}, "y.f32: element 0 is 3.5, expected 3"},
		{"missing file", tol, map[string][]byte{"a/x.f32": f32s(1, 2)}, "y.f32: missing"},
		{"extra file", exact, map[string][]byte{"a/x.f32": f32s(1, 2), "y.f32": f32s(3), "z": nil}, "z: not expected"},
		{"longer, exact", exact, map[string][]byte{"a/x.f32": f32s(1, 2, 0), "y.f32": f32s(3)}, "a/x.f32: differs from byte 8"},
	}
	want := packed(t, base)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CompareOutputs(c.c, want, packed(t, c.got))
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a mismatch with %q", err, c.want)
			}
		})
	}
	if err := CompareOutputs(tol, want, []byte("junk")); !errors.Is(err, compute.ErrTreeFormat) {
		t.Errorf("junk output: got %v", err)
	}
}
