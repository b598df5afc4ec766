package gpu

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const okWGSL = "@group(0) @binding(0) var<storage, read_write> o: array<u32>;\n@compute @workgroup_size(1) fn main() { o[0] = 1u; }"

func validManifest() Manifest {
	return Manifest{Version: Version, WGSL: okWGSL, Entry: "main",
		Buffers:    []Buffer{{Binding: 0, Size: 16, Input: "in/a.bin", Output: "out.bin"}, {Binding: 1, Size: 4, Index: true}},
		Dispatches: []Dispatch{{Workgroups: [3]uint32{1, 1, 1}, Repeat: 2}},
		Check:      Check{Mode: CheckExact}}
}

func encode(t testing.TB, m Manifest) []byte {
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeManifest(t *testing.T) {
	m, err := DecodeManifest([]byte(`{"daoli_gpu":1,"wgsl":"x","buffers":[{"binding":0,"size":4,"output":"o"}],"dispatches":[{"workgroups":[1,2,3]}],"check":{"mode":"f32","abs":0.001}}`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Entry != "main" || m.Dispatches[0].Repeat != 1 || m.DispatchCount() != 1 || m.BufferBytes() != 4 {
		t.Errorf("defaults not applied: %+v", m)
	}
	cases := []struct {
		name string
		edit func(*Manifest)
		raw  string // used instead of the edited manifest when set
		want string
	}{
		{"valid", func(*Manifest) {}, "", ""},
		{"not JSON", nil, "{", "unexpected EOF"},
		{"unknown field", nil, `{"daoli_gpu":1,"shader":"x"}`, "unknown field"},
		{"trailing data", nil, string(encode(t, validManifest())) + "{}", "data after the manifest"},
		{"too large", nil, `{"wgsl":"` + strings.Repeat("x", MaxManifestBytes) + `"}`, "limit 1048576"},
		{"version", func(m *Manifest) { m.Version = 2 }, "", "daoli_gpu is 2"},
		{"no wgsl", func(m *Manifest) { m.WGSL = "" }, "", "no wgsl"},
		{"wgsl too large", func(m *Manifest) { m.WGSL = strings.Repeat(" ", MaxShaderBytes+1) }, "", "wgsl of 524289 bytes"},
		{"wgsl with NUL", func(m *Manifest) { m.WGSL = "a\x00" }, "", "not UTF-8 text"},
		{"entry not a name", func(m *Manifest) { m.Entry = "main()" }, "", "not a WGSL function name"},
		{"no buffers", func(m *Manifest) { m.Buffers = nil }, "", "0 buffers"},
		{"too many buffers", func(m *Manifest) {
			for i := 2; i <= MaxBuffers; i++ {
				m.Buffers = append(m.Buffers, Buffer{Binding: uint32(i), Size: 4})
			}
		}, "", "9 buffers"},
		{"binding twice", func(m *Manifest) { m.Buffers[1].Binding = 0 }, "", "binding 0 twice"},
		{"binding too high", func(m *Manifest) { m.Buffers[1].Binding = 1000 }, "", "binding 1000, limit 999"},
		{"size not a multiple of 4", func(m *Manifest) { m.Buffers[0].Size = 6 }, "", "size 6 is not a positive multiple of 4"},
		{"size zero", func(m *Manifest) { m.Buffers[0].Size = 0 }, "", "size 0"},
		{"buffer too large", func(m *Manifest) { m.Buffers[0].Size = MaxBufferBytes + 4 }, "", "limit 134217728"},
		{"all buffers too large", func(m *Manifest) {
			m.Buffers[0].Size, m.Buffers[1].Size = MaxBufferBytes, MaxBufferBytes
			m.Buffers = append(m.Buffers, Buffer{Binding: 2, Size: 4})
		}, "", "in all, limit 268435456"},
		{"outputs too large", func(m *Manifest) {
			m.Buffers[0].Size = MaxOutputBytes
			m.Buffers[1] = Buffer{Binding: 1, Size: 4, Output: "b"}
		}, "", "output files of 67108868 bytes"},
		{"index with input", func(m *Manifest) { m.Buffers[1].Input = "x" }, "", "cannot read an input file"},
		{"absolute input", func(m *Manifest) { m.Buffers[0].Input = "/etc/passwd" }, "", "is absolute"},
		{"climbing output", func(m *Manifest) { m.Buffers[0].Output = "../x" }, "", "not a clean relative path"},
		{"unclean output", func(m *Manifest) { m.Buffers[0].Output = "a//b" }, "", "not a clean relative path"},
		{"backslash", func(m *Manifest) { m.Buffers[0].Output = `a\b` }, "", "backslash"},
		{"output twice", func(m *Manifest) { m.Buffers[1] = Buffer{Binding: 1, Size: 4, Output: "out.bin"} }, "", `output "out.bin" twice`},
		{"output file and directory", func(m *Manifest) { m.Buffers[1] = Buffer{Binding: 1, Size: 4, Output: "out.bin/x"} }, "", "both a file and a directory"},
		{"no output", func(m *Manifest) { m.Buffers[0].Output = "" }, "", "no buffer becomes an output file"},
		{"no dispatches", func(m *Manifest) { m.Dispatches = nil }, "", "0 dispatches"},
		{"zero workgroups", func(m *Manifest) { m.Dispatches[0].Workgroups[1] = 0 }, "", "each allowed 1 to 65535"},
		{"too many workgroups", func(m *Manifest) { m.Dispatches[0].Workgroups[2] = 65536 }, "", "each allowed 1 to 65535"},
		{"too many repeats", func(m *Manifest) { m.Dispatches[0].Repeat = MaxDispatches + 1 }, "", "repeat 4097"},
		{"too many dispatches", func(m *Manifest) {
			m.Dispatches = []Dispatch{{Workgroups: [3]uint32{1, 1, 1}, Repeat: MaxDispatches}, {Workgroups: [3]uint32{1, 1, 1}, Repeat: 1}}
		}, "", "4097 dispatches with repeats"},
		{"exact with tolerance", func(m *Manifest) { m.Check.Abs = 0.1 }, "", "exact check takes no tolerance"},
		{"f32 without tolerance", func(m *Manifest) { m.Check = Check{Mode: CheckF32} }, "", "not both 0"},
		{"f32 negative tolerance", func(m *Manifest) { m.Check = Check{Mode: CheckF32, Abs: -1} }, "", "f32 tolerance"},
		{"f32 rel over 1", func(m *Manifest) { m.Check = Check{Mode: CheckF32, Rel: 2} }, "", "f32 tolerance"},
		{"unknown check", func(m *Manifest) { m.Check.Mode = "close" }, "", `check mode "close"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := []byte(c.raw)
			if c.raw == "" {
				m := validManifest()
				c.edit(&m)
				raw = encode(t, m)
			}
			_, err := DecodeManifest(raw)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrManifest) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want ErrManifest with %q", err, c.want)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	m := validManifest()
	if err := DefaultLimits.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := DefaultLimits.Admit(&m); err != nil {
		t.Fatal(err)
	}
	small := DefaultLimits
	small.BufferBytes = 16
	if err := small.Admit(&m); !errors.Is(err, ErrLimits) || !strings.Contains(err.Error(), "buffers of 20 bytes, cap 16") {
		t.Errorf("got %v", err)
	}
	small = DefaultLimits
	small.Dispatches = 1
	if err := small.Admit(&m); !errors.Is(err, ErrLimits) || !strings.Contains(err.Error(), "2 dispatches, cap 1") {
		t.Errorf("got %v", err)
	}
	for _, l := range []Limits{{}, {BufferBytes: MaxTotalBytes + 1, Dispatches: 1, DispatchTime: 1, WallTime: 1},
		{BufferBytes: 1, Dispatches: 1, DispatchTime: 2, WallTime: 1}, {BufferBytes: 1, Dispatches: MaxDispatches + 1, DispatchTime: 1, WallTime: 1}} {
		if err := l.Validate(); !errors.Is(err, ErrLimits) {
			t.Errorf("%+v: got %v", l, err)
		}
	}
}

// Whatever the bytes, DecodeManifest returns a manifest that validates, or
// ErrManifest; and a decoded manifest encodes and decodes to itself.
func FuzzDecodeManifest(f *testing.F) {
	f.Add(encode(f, validManifest()))
	f.Add([]byte(`{"daoli_gpu":1,"wgsl":"x","buffers":[{"binding":0,"size":4,"output":"o"}],"dispatches":[{"workgroups":[1,2,3]}],"check":{"mode":"f32","rel":0.5}}`))
	f.Add([]byte(`{"daoli_gpu":1,"wgsl":"x","entry":"f","buffers":[{"binding":9,"size":8,"input":"a/b","output":"a/c"}],"dispatches":[{"workgroups":[65535,1,1],"repeat":4096}],"check":{"mode":"exact"}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeManifest(b)
		if err != nil {
			if !errors.Is(err, ErrManifest) {
				t.Fatalf("error not ErrManifest: %v", err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("decoded but does not validate: %v", err)
		}
		again, err := DecodeManifest(encode(t, *m))
		if err != nil {
			t.Fatalf("re-encoded manifest does not decode: %v", err)
		}
		if string(encode(t, *again)) != string(encode(t, *m)) {
			t.Fatal("re-encoded manifest differs")
		}
	})
}

func TestAssemble(t *testing.T) {
	const man = `{"daoli_gpu": 1, "buffers": [{"binding": 0, "size": 4, "output": "o"}], "dispatches": [{"workgroups": [1, 1, 1]}], "check": {"mode": "exact"}}`
	b, err := Assemble([]byte(man), []byte(okWGSL))
	if err != nil {
		t.Fatal(err)
	}
	m, err := DecodeManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.WGSL != okWGSL || m.Entry != "main" || m.Dispatches[0].Repeat != 1 {
		t.Errorf("assembled %+v", m)
	}
	if !strings.Contains(string(b), "array<u32>") {
		t.Errorf("the WGSL is escaped: %s", b)
	}
	again, err := Encode(m)
	if err != nil || string(again) != string(b) {
		t.Errorf("not canonical: %s\n%s", b, again)
	}
	for _, c := range []struct{ man, wgsl, want string }{
		{man, "", "no wgsl"},
		{`{"daoli_gpu": 1, "wgsl": "x"}`, okWGSL, "holds its WGSL already"},
		{`{"daoli_gpu": 1, "shader": "x"}`, okWGSL, "unknown field"},
		{`{"daoli_gpu": 1}`, okWGSL, "0 buffers"},
	} {
		if _, err := Assemble([]byte(c.man), []byte(c.wgsl)); !errors.Is(err, ErrManifest) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.man, err, c.want)
		}
	}
}
