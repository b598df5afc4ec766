package gpu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"
)

// A GPU job's module is a manifest, JSON:
//
//	{
//	  "daoli_gpu": 1,
//	  "wgsl": "@group(0) @binding(0) var<storage, read_write> v: array<u32>; ...",
//	  "entry": "main",
//	  "buffers": [
//	    {"binding": 0, "size": 4096, "input": "numbers.bin", "output": "steps.bin"},
//	    {"binding": 1, "size": 4, "index": true}
//	  ],
//	  "dispatches": [{"workgroups": [64, 1, 1], "repeat": 4}],
//	  "check": {"mode": "exact"}
//	}
//
// Every buffer is bound at @group(0) under its binding number, as a storage buffer
// (the shader declares it read or read_write, or uniform if small enough). It starts
// as zeros, or holds the input file it names, which may be shorter than the buffer
// (the rest stays zero) but not longer. A buffer naming an output file becomes
// that file under /output, whole, after the last dispatch. An index buffer holds,
// before each dispatch, that dispatch's number from 0 as a little-endian u32 in its
// first four bytes, so that a job split into dispatches knows which part each is.
// Dispatches run in order, each "repeat" times (1 when absent), with the same entry
// point. The check says how two runs' outputs are compared (compare.go).

// Version is the manifest format this package reads.
const Version = 1

// Bounds of a manifest, whatever a provider's limits allow. They keep within the
// limits every WebGPU device has by default (maxStorageBuffersPerShaderStage 8,
// maxStorageBufferBindingSize 128 MiB, maxComputeWorkgroupsPerDimension 65535).
const (
	MaxManifestBytes  = 1 << 20   // the whole manifest, its WGSL included
	MaxShaderBytes    = 512 << 10 // the WGSL source
	MaxBuffers        = 8
	MaxBinding        = 999
	MaxBufferBytes    = 128 << 20 // one buffer
	MaxTotalBytes     = 256 << 20 // all of a job's buffers
	MaxOutputBytes    = 64 << 20  // all of a job's output files
	MaxWorkgroups     = 65535     // per dimension of one dispatch
	MaxDispatches     = 4096      // of one job, repeats counted
	MaxTolerance      = 1e30
	maxName           = 255 // bytes of an input or output file's path
	maxEntryPointName = 64
)

// Manifest is a decoded, checked GPU job.
type Manifest struct {
	Version    int        `json:"daoli_gpu"`
	WGSL       string     `json:"wgsl"`
	Entry      string     `json:"entry,omitempty"`
	Buffers    []Buffer   `json:"buffers"`
	Dispatches []Dispatch `json:"dispatches"`
	Check      Check      `json:"check"`
}

// Buffer is one storage buffer of a job.
type Buffer struct {
	Binding uint32 `json:"binding"`
	Size    uint64 `json:"size"`             // bytes, a multiple of 4
	Input   string `json:"input,omitempty"`  // the input file that fills it
	Output  string `json:"output,omitempty"` // the file under /output it becomes
	Index   bool   `json:"index,omitempty"`  // holds the dispatch's number
}

// Dispatch is a run of the entry point over Workgroups, Repeat times.
type Dispatch struct {
	Workgroups [3]uint32 `json:"workgroups"`
	Repeat     uint32    `json:"repeat,omitempty"`
}

// Check modes.
const (
	CheckExact = "exact" // outputs equal byte for byte
	CheckF32   = "f32"   // outputs are float32 elements, equal within a tolerance
)

// Check says how two runs' outputs are compared. For CheckF32, elements a and b match
// when their bits are equal, when both are NaN, or when both are finite and
// |a-b| <= Abs + Rel*max(|a|,|b|).
type Check struct {
	Mode string  `json:"mode"`
	Abs  float64 `json:"abs,omitempty"`
	Rel  float64 `json:"rel,omitempty"`
}

var entryName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// DecodeManifest reads and checks a manifest: one JSON object, no unknown fields,
// within the bounds above. Entry defaults to "main", a dispatch's Repeat to 1.
func DecodeManifest(b []byte) (*Manifest, error) {
	if len(b) > MaxManifestBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrManifest, len(b), MaxManifestBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrManifest, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the manifest", ErrManifest)
	}
	if m.Entry == "" {
		m.Entry = "main"
	}
	for i := range m.Dispatches {
		if m.Dispatches[i].Repeat == 0 {
			m.Dispatches[i].Repeat = 1
		}
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Validate checks a manifest against the format's bounds.
func (m *Manifest) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrManifest, fmt.Sprintf(format, args...))
	}
	switch {
	case m.Version != Version:
		return bad("daoli_gpu is %d, this program reads %d", m.Version, Version)
	case m.WGSL == "":
		return bad("no wgsl")
	case len(m.WGSL) > MaxShaderBytes:
		return bad("wgsl of %d bytes, limit %d", len(m.WGSL), MaxShaderBytes)
	case !utf8.ValidString(m.WGSL) || strings.ContainsRune(m.WGSL, 0):
		return bad("wgsl is not UTF-8 text")
	case len(m.Entry) > maxEntryPointName || !entryName.MatchString(m.Entry):
		return bad("entry %q is not a WGSL function name", truncate(m.Entry))
	case len(m.Buffers) == 0 || len(m.Buffers) > MaxBuffers:
		return bad("%d buffers, allowed 1 to %d", len(m.Buffers), MaxBuffers)
	case len(m.Dispatches) == 0 || len(m.Dispatches) > MaxDispatches:
		return bad("%d dispatches, allowed 1 to %d", len(m.Dispatches), MaxDispatches)
	}
	bindings := map[uint32]bool{}
	outputs := map[string]bool{}
	var total, out uint64
	for i, b := range m.Buffers {
		switch {
		case b.Binding > MaxBinding:
			return bad("buffer %d: binding %d, limit %d", i, b.Binding, MaxBinding)
		case bindings[b.Binding]:
			return bad("buffer %d: binding %d twice", i, b.Binding)
		case b.Size == 0 || b.Size%4 != 0:
			return bad("buffer %d: size %d is not a positive multiple of 4", i, b.Size)
		case b.Size > MaxBufferBytes:
			return bad("buffer %d: size %d bytes, limit %d", i, b.Size, MaxBufferBytes)
		case b.Index && b.Input != "":
			return bad("buffer %d: an index buffer cannot read an input file", i)
		}
		bindings[b.Binding] = true
		total += b.Size
		for _, name := range []string{b.Input, b.Output} {
			if name == "" {
				continue
			}
			if err := checkName(name); err != nil {
				return bad("buffer %d: %v", i, err)
			}
		}
		if b.Output != "" {
			if outputs[b.Output] {
				return bad("buffer %d: output %q twice", i, b.Output)
			}
			for o := range outputs {
				if strings.HasPrefix(o, b.Output+"/") || strings.HasPrefix(b.Output, o+"/") {
					return bad("buffer %d: output %q is both a file and a directory", i, b.Output)
				}
			}
			outputs[b.Output] = true
			out += b.Size
		}
	}
	switch {
	case total > MaxTotalBytes:
		return bad("buffers of %d bytes in all, limit %d", total, MaxTotalBytes)
	case len(outputs) == 0:
		return bad("no buffer becomes an output file")
	case out > MaxOutputBytes:
		return bad("output files of %d bytes in all, limit %d", out, MaxOutputBytes)
	}
	count := 0
	for i, d := range m.Dispatches {
		for _, n := range d.Workgroups {
			if n == 0 || n > MaxWorkgroups {
				return bad("dispatch %d: workgroups %v, each allowed 1 to %d", i, d.Workgroups, MaxWorkgroups)
			}
		}
		if d.Repeat == 0 || d.Repeat > MaxDispatches {
			return bad("dispatch %d: repeat %d, allowed 1 to %d", i, d.Repeat, MaxDispatches)
		}
		count += int(d.Repeat)
	}
	if count > MaxDispatches {
		return bad("%d dispatches with repeats, limit %d", count, MaxDispatches)
	}
	return m.Check.validate()
}

func (c Check) validate() error {
	finite := func(v float64) bool { return !math.IsNaN(v) && v >= 0 && v <= MaxTolerance }
	switch c.Mode {
	case CheckExact:
		if c.Abs != 0 || c.Rel != 0 {
			return fmt.Errorf("%w: an exact check takes no tolerance", ErrManifest)
		}
	case CheckF32:
		if !finite(c.Abs) || !finite(c.Rel) || c.Rel > 1 || (c.Abs == 0 && c.Rel == 0) {
			return fmt.Errorf("%w: f32 tolerance abs %g rel %g: each 0 or more (abs up to %g, rel up to 1), not both 0", ErrManifest, c.Abs, c.Rel, MaxTolerance)
		}
	default:
		return fmt.Errorf("%w: check mode %q, known: %q, %q", ErrManifest, truncate(c.Mode), CheckExact, CheckF32)
	}
	return nil
}

// Dispatches is how many dispatches the job runs, repeats counted.
func (m *Manifest) DispatchCount() int {
	n := 0
	for _, d := range m.Dispatches {
		n += int(d.Repeat)
	}
	return n
}

// BufferBytes is the bytes of all the job's buffers.
func (m *Manifest) BufferBytes() uint64 {
	var n uint64
	for _, b := range m.Buffers {
		n += b.Size
	}
	return n
}

// checkName refuses an input or output path that is empty, absolute, not clean,
// climbs out with "..", or is longer than maxName.
func checkName(p string) error {
	switch {
	case len(p) > maxName:
		return fmt.Errorf("file name of %d bytes, limit %d", len(p), maxName)
	case p[0] == '/':
		return fmt.Errorf("file name %q is absolute", p)
	case !utf8.ValidString(p) || strings.ContainsAny(p, "\x00\\"):
		return fmt.Errorf("file name %q has a NUL, a backslash or is not UTF-8", p)
	}
	for _, e := range strings.Split(p, "/") {
		if e == "" || e == "." || e == ".." {
			return fmt.Errorf("file name %q is not a clean relative path", p)
		}
	}
	return nil
}

// truncate shortens s for an error message.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
