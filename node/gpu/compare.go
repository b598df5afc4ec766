package gpu

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/daolicloud/daoli/node/compute"
)

// Integer and bitwise shaders give the same bits on every adapter, so their outputs
// are compared byte for byte, like a CPU job's. Floating point does not: WGSL lets an
// implementation fuse a multiply and an add, reassociate, flush subnormals and take a
// few ulps on its built-in functions, so two honest adapters may differ in the last
// bits. A tolerant job says by how much an element may differ; a result within that is
// accepted, and a buyer relies on nothing finer (docs/market.md, GPU jobs).

// Mismatch says where two outputs first differ.
type Mismatch struct {
	File    string  // the output file
	Index   int     // the float32 element, or the byte for an exact check; -1 for the file as a whole
	Want    float64 // the elements, for a tolerant check
	Got     float64
	Problem string // for people
}

func (m *Mismatch) Error() string {
	return fmt.Sprintf("%v: %s: %s", ErrMismatch, m.File, m.Problem)
}

func (m *Mismatch) Unwrap() error { return ErrMismatch }

// CompareF32 compares two buffers of little-endian float32 elements under c: it
// returns the first element that differs by more than c allows, as a *Mismatch (file
// left empty), or nil when all match. Buffers of different lengths, or of a length
// that is not a multiple of 4, do not match.
func CompareF32(c Check, want, got []byte) error {
	if len(want) != len(got) {
		return &Mismatch{Index: -1, Problem: fmt.Sprintf("%d bytes, expected %d", len(got), len(want))}
	}
	if len(want)%4 != 0 {
		return &Mismatch{Index: -1, Problem: fmt.Sprintf("%d bytes is not a whole number of float32 elements", len(want))}
	}
	for i := 0; i < len(want); i += 4 {
		wb, gb := binary.LittleEndian.Uint32(want[i:]), binary.LittleEndian.Uint32(got[i:])
		if wb == gb {
			continue
		}
		w, g := float64(math.Float32frombits(wb)), float64(math.Float32frombits(gb))
		if withinF32(c, w, g) {
			continue
		}
		return &Mismatch{Index: i / 4, Want: w, Got: g,
			Problem: fmt.Sprintf("element %d is %g, expected %g (abs %g, rel %g)", i/4, g, w, c.Abs, c.Rel)}
	}
	return nil
}

// withinF32 says whether w and g (not bit-equal) match under c.
func withinF32(c Check, w, g float64) bool {
	switch {
	case math.IsNaN(w) || math.IsNaN(g):
		return math.IsNaN(w) && math.IsNaN(g) // any NaN payload matches any other
	case math.IsInf(w, 0) || math.IsInf(g, 0):
		return false // bit-equal infinities were matched already
	}
	return math.Abs(w-g) <= c.Abs+c.Rel*math.Max(math.Abs(w), math.Abs(g))
}

// CompareOutputs compares two runs' output trees (compute.PackTree) of a job under
// its check: the same files, and each file's bytes equal (exact) or its float32
// elements within the tolerance (f32). It returns nil, a *Mismatch, or an error for
// a tree that does not unpack.
func CompareOutputs(c Check, want, got []byte) error {
	if c.Mode == CheckExact && bytes.Equal(want, got) {
		return nil
	}
	w, err := compute.UnpackTree(want)
	if err != nil {
		return fmt.Errorf("the expected output: %w", err)
	}
	g, err := compute.UnpackTree(got)
	if err != nil {
		return fmt.Errorf("the output: %w", err)
	}
	gotFiles := make(map[string]compute.TreeEntry, len(g))
	for _, e := range g {
		gotFiles[e.Path] = e
	}
	for _, e := range w {
		o, ok := gotFiles[e.Path]
		delete(gotFiles, e.Path)
		switch {
		case !ok:
			return &Mismatch{File: e.Path, Index: -1, Problem: "missing"}
		case e.Dir != o.Dir:
			return &Mismatch{File: e.Path, Index: -1, Problem: "a file where a directory was expected, or the reverse"}
		case e.Dir:
			continue
		}
		switch c.Mode {
		case CheckF32:
			if err := CompareF32(c, e.Data, o.Data); err != nil {
				m := err.(*Mismatch)
				m.File = e.Path
				return m
			}
		case CheckExact:
			if i := firstDiff(e.Data, o.Data); i >= 0 {
				return &Mismatch{File: e.Path, Index: i, Problem: fmt.Sprintf("differs from byte %d (%d bytes, expected %d)", i, len(o.Data), len(e.Data))}
			}
		default:
			return fmt.Errorf("%w: check mode %q", ErrManifest, c.Mode)
		}
	}
	for p := range gotFiles {
		return &Mismatch{File: p, Index: -1, Problem: "not expected"}
	}
	return nil
}

// firstDiff is the first byte where a and b differ, or -1 when they are equal.
func firstDiff(a, b []byte) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return n
	}
	return -1
}
