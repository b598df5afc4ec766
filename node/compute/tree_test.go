package compute

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTreeRoundTrip(t *testing.T) {
	in := []TreeEntry{{Path: "b/x.txt", Data: []byte("x")}, {Path: "a.txt", Data: []byte("aa")}, {Path: "empty", Dir: true}, {Path: "b/c/d", Data: nil}}
	packed, err := PackTree(in)
	if err != nil {
		t.Fatal(err)
	}
	// The order given does not change the bytes.
	again, err := PackTree([]TreeEntry{in[3], in[1], in[2], in[0]})
	if err != nil || !bytes.Equal(packed, again) {
		t.Fatalf("packing depends on order: %v", err)
	}
	out, err := UnpackTree(packed)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range out {
		got = append(got, e.Path+":"+string(e.Data)+map[bool]string{true: "/"}[e.Dir])
	}
	if want := "a.txt:aa b:/ b/c:/ b/c/d: b/x.txt:x empty:/"; strings.Join(got, " ") != want {
		t.Fatalf("got %q, want %q", strings.Join(got, " "), want)
	}
}

func TestPackTreeRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []TreeEntry
		want    error
	}{
		{"dotdot", []TreeEntry{{Path: "a/../../etc/passwd"}}, ErrTreePath},
		{"absolute", []TreeEntry{{Path: "/etc/passwd"}}, ErrTreePath},
		{"empty element", []TreeEntry{{Path: "a//b"}}, ErrTreePath},
		{"dot", []TreeEntry{{Path: "./a"}}, ErrTreePath},
		{"long name", []TreeEntry{{Path: strings.Repeat("n", MaxTreeName+1)}}, ErrTreePath},
		{"deep", []TreeEntry{{Path: strings.Repeat("d/", MaxTreeDepth) + "f"}}, ErrTreePath},
		{"duplicate", []TreeEntry{{Path: "a"}, {Path: "a"}}, ErrTreeDuplicate},
		{"file and directory", []TreeEntry{{Path: "a", Data: []byte("1")}, {Path: "a/b"}}, ErrTreeDuplicate},
	} {
		if _, err := PackTree(tc.entries); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// rawTree writes entries as given, in the tree format, without PackTree's checks.
func rawTree(entries ...TreeEntry) []byte {
	b := []byte(treeMagic)
	b = binary.AppendUvarint(b, uint64(len(entries)))
	for _, e := range entries {
		b = binary.AppendUvarint(b, uint64(len(e.Path)))
		b = append(b, e.Path...)
		if e.Dir {
			b = append(b, 1)
			continue
		}
		b = append(b, 0)
		b = binary.AppendUvarint(b, uint64(len(e.Data)))
		b = append(b, e.Data...)
	}
	return b
}

func TestUnpackTreeRefuses(t *testing.T) {
	good := rawTree(TreeEntry{Path: "a", Data: []byte("1")})
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"dotdot", rawTree(TreeEntry{Path: ".."}), ErrTreePath},
		{"dotdot inside", rawTree(TreeEntry{Path: "a", Dir: true}, TreeEntry{Path: "a/.."}), ErrTreePath},
		{"absolute", rawTree(TreeEntry{Path: "/x"}), ErrTreePath},
		{"duplicate", rawTree(TreeEntry{Path: "a"}, TreeEntry{Path: "a"}), ErrTreeDuplicate},
		{"out of order", rawTree(TreeEntry{Path: "b"}, TreeEntry{Path: "a"}), ErrTreeFormat},
		{"no parent", rawTree(TreeEntry{Path: "a/b"}), ErrTreeFormat},
		{"parent is a file", rawTree(TreeEntry{Path: "a"}, TreeEntry{Path: "a/b"}), ErrTreeFormat},
		{"bad magic", append([]byte("xtree1\n"), good[len(treeMagic):]...), ErrTreeFormat},
		{"cut short", good[:len(good)-1], ErrTreeFormat},
		{"trailing bytes", append(append([]byte{}, good...), 0), ErrTreeFormat},
		{"huge count", binary.AppendUvarint([]byte(treeMagic), 1<<40), ErrTreeFormat},
		{"padded number", []byte(treeMagic + "\x80\x00"), ErrTreeFormat},
		{"bad kind", append(rawTree(TreeEntry{Path: "a", Dir: true})[:len(treeMagic)+3], 7), ErrTreeFormat},
	} {
		if _, err := UnpackTree(tc.b); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// FuzzUnpackTree: the decoder never panics, and what it accepts packs back to the same
// bytes.
func FuzzUnpackTree(f *testing.F) {
	f.Add(rawTree(TreeEntry{Path: "a", Dir: true}, TreeEntry{Path: "a/b", Data: []byte("hi")}))
	f.Add(rawTree(TreeEntry{Path: ".."}))
	f.Add([]byte(treeMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := UnpackTree(b)
		if err != nil {
			return
		}
		again, err := PackTree(entries)
		if err != nil {
			t.Fatalf("accepted, then refused to pack: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted %x, packs to %x", b, again)
		}
	})
}

// TestPackDirBudget: a directory whose files hold more than the budget is refused
// before they are read; at the budget it packs.
func TestPackDirBudget(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a"), make([]byte, 600), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b"), make([]byte, 400), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := PackDir(dir, 999); !errors.Is(err, ErrTreeSize) {
		t.Fatalf("1,000 bytes under a budget of 999: %v", err)
	}
	if _, err := PackDir(dir, 1000); err != nil {
		t.Fatalf("1,000 bytes under a budget of 1,000: %v", err)
	}
}

// TestUnpackDir writes a tree as files and packs them back to the same bytes, and
// never writes into a directory that holds something.
func TestUnpackDir(t *testing.T) {
	tree, err := PackTree([]TreeEntry{{Path: "a.txt", Data: []byte("a\n")}, {Path: "sub/b.txt", Data: []byte("b")}, {Path: "empty", Dir: true}})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	n, err := UnpackDir(tree, dir)
	if err != nil || n != 2 {
		t.Fatalf("unpack: %d files, %v", n, err)
	}
	again, err := PackDir(dir, 1<<20)
	if err != nil || !bytes.Equal(again, tree) {
		t.Fatalf("packed again: %v, equal %v", err, bytes.Equal(again, tree))
	}
	if _, err := UnpackDir(tree, dir); !errors.Is(err, ErrDirNotEmpty) {
		t.Fatalf("into a directory that holds files: %v", err)
	}
	file := filepath.Join(dir, "a.txt")
	if _, err := UnpackDir(tree, file); !errors.Is(err, ErrDirNotEmpty) {
		t.Fatalf("onto a file: %v", err)
	}
	if got, _ := os.ReadFile(file); string(got) != "a\n" {
		t.Fatalf("a refused unpack changed a file: %q", got)
	}
	if _, err := UnpackDir([]byte("dtree1\n\x01\x03../\x00\x00"), t.TempDir()); !errors.Is(err, ErrTreePath) && !errors.Is(err, ErrTreeFormat) {
		t.Fatalf("a tree with a bad path: %v", err)
	}
}
