package compute

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// A tree is a directory's files packed into one blob, deterministically: the same
// files give the same bytes on every machine, so a tree can be content-addressed and
// two runs' output trees compared byte for byte. It records paths, kinds and file
// contents only: no owners, modes or times.
//
//	"dtree1\n"                       magic
//	uvarint count                    entries, in strictly ascending byte order of path
//	per entry: uvarint len, path     slash-separated, relative, clean
//	           byte kind             0 file, 1 directory
//	           file: uvarint n, n bytes
//
// Every directory that holds an entry is itself an entry, before it.
const treeMagic = "dtree1\n"

// Bounds of a tree's names, whichever side packs it.
const (
	MaxTreeName  = 255  // bytes of one path element
	MaxTreeDepth = 32   // path elements
	MaxTreePath  = 4096 // bytes of a whole path
)

// TreeEntry is one file or directory of a tree.
type TreeEntry struct {
	Path string // slash-separated, relative: "a/b.txt"
	Dir  bool
	Data []byte // a file's contents
}

// checkTreePath refuses a path that is empty, absolute, not clean, climbs out with
// "..", or passes the name bounds.
func checkTreePath(p string) error {
	switch {
	case p == "" || len(p) > MaxTreePath:
		return fmt.Errorf("%w: path of %d bytes", ErrTreePath, len(p))
	case p[0] == '/':
		return fmt.Errorf("%w: %q is absolute", ErrTreePath, p)
	case !utf8.ValidString(p) || strings.ContainsAny(p, "\x00\\"):
		return fmt.Errorf("%w: %q has a NUL, a backslash or is not UTF-8", ErrTreePath, p)
	}
	elems := strings.Split(p, "/")
	if len(elems) > MaxTreeDepth {
		return fmt.Errorf("%w: %q is %d deep, limit %d", ErrTreePath, p, len(elems), MaxTreeDepth)
	}
	for _, e := range elems {
		switch {
		case e == "..":
			return fmt.Errorf("%w: %q climbs out with ..", ErrTreePath, p)
		case e == "" || e == ".":
			return fmt.Errorf("%w: %q is not clean", ErrTreePath, p)
		case len(e) > MaxTreeName:
			return fmt.Errorf("%w: a name of %d bytes in %q, limit %d", ErrTreePath, len(e), p, MaxTreeName)
		}
	}
	return nil
}

// PackTree packs entries (in any order) into a tree. Directories holding an entry are
// added when missing.
func PackTree(entries []TreeEntry) ([]byte, error) {
	byPath := make(map[string]TreeEntry, len(entries))
	for _, e := range entries {
		if err := checkTreePath(e.Path); err != nil {
			return nil, err
		}
		if _, dup := byPath[e.Path]; dup {
			return nil, fmt.Errorf("%w: %q", ErrTreeDuplicate, e.Path)
		}
		if e.Dir && len(e.Data) > 0 {
			return nil, fmt.Errorf("%w: directory %q has contents", ErrTreeFormat, e.Path)
		}
		byPath[e.Path] = e
	}
	for p := range byPath {
		for d := filepath.ToSlash(pathDir(p)); d != ""; d = pathDir(d) {
			if e, ok := byPath[d]; ok && !e.Dir {
				return nil, fmt.Errorf("%w: %q is a file and a directory", ErrTreeDuplicate, d)
			} else if !ok {
				byPath[d] = TreeEntry{Path: d, Dir: true}
			}
		}
	}
	paths := make([]string, 0, len(byPath))
	size := len(treeMagic) + 10
	for p, e := range byPath {
		paths = append(paths, p)
		size += len(p) + len(e.Data) + 21
	}
	slices.Sort(paths)
	b := make([]byte, 0, size)
	b = append(b, treeMagic...)
	b = binary.AppendUvarint(b, uint64(len(paths)))
	for _, p := range paths {
		e := byPath[p]
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
		if e.Dir {
			b = append(b, 1)
			continue
		}
		b = append(b, 0)
		b = binary.AppendUvarint(b, uint64(len(e.Data)))
		b = append(b, e.Data...)
	}
	return b, nil
}

// pathDir is p's parent directory, "" at the top.
func pathDir(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// UnpackTree decodes a tree, refusing any that PackTree would not have written: bad
// paths (ErrTreePath), a name twice (ErrTreeDuplicate), entries out of order, a
// missing parent directory or bytes past the end (ErrTreeFormat). File contents alias b.
func UnpackTree(b []byte) ([]TreeEntry, error) {
	if !bytes.HasPrefix(b, []byte(treeMagic)) {
		return nil, fmt.Errorf("%w: not a tree", ErrTreeFormat)
	}
	r := b[len(treeMagic):]
	uvarint := func(what string) (uint64, error) {
		v, n := binary.Uvarint(r)
		if n <= 0 {
			return 0, fmt.Errorf("%w: %s cut short", ErrTreeFormat, what)
		}
		if n != len(binary.AppendUvarint(nil, v)) {
			// One number, one encoding: the same tree is always the same bytes.
			return 0, fmt.Errorf("%w: %s padded", ErrTreeFormat, what)
		}
		r = r[n:]
		return v, nil
	}
	count, err := uvarint("entry count")
	if err != nil {
		return nil, err
	}
	// Every entry takes at least three bytes: refuse a count the bytes cannot hold
	// before allocating for it.
	if count > uint64(len(r)/3) {
		return nil, fmt.Errorf("%w: %d entries in %d bytes", ErrTreeFormat, count, len(r))
	}
	entries := make([]TreeEntry, 0, count)
	dirs := make(map[string]bool)
	for i := uint64(0); i < count; i++ {
		n, err := uvarint("path length")
		if err != nil {
			return nil, err
		}
		if n > uint64(len(r)) {
			return nil, fmt.Errorf("%w: path cut short", ErrTreeFormat)
		}
		p := string(r[:n])
		r = r[n:]
		if err := checkTreePath(p); err != nil {
			return nil, err
		}
		if len(entries) > 0 {
			switch last := entries[len(entries)-1].Path; {
			case p == last:
				return nil, fmt.Errorf("%w: %q", ErrTreeDuplicate, p)
			case p < last:
				return nil, fmt.Errorf("%w: %q after %q: entries out of order", ErrTreeFormat, p, last)
			}
		}
		if d := pathDir(p); d != "" && !dirs[d] {
			return nil, fmt.Errorf("%w: %q has no directory %q before it", ErrTreeFormat, p, d)
		}
		if len(r) == 0 {
			return nil, fmt.Errorf("%w: kind of %q cut short", ErrTreeFormat, p)
		}
		kind := r[0]
		r = r[1:]
		e := TreeEntry{Path: p}
		switch kind {
		case 1:
			e.Dir = true
			dirs[p] = true
		case 0:
			size, err := uvarint("file size")
			if err != nil {
				return nil, err
			}
			if size > uint64(len(r)) {
				return nil, fmt.Errorf("%w: %q cut short", ErrTreeFormat, p)
			}
			e.Data = r[:size:size]
			r = r[size:]
		default:
			return nil, fmt.Errorf("%w: %q of kind %d", ErrTreeFormat, p, kind)
		}
		entries = append(entries, e)
	}
	if len(r) != 0 {
		return nil, fmt.Errorf("%w: %d bytes past the last entry", ErrTreeFormat, len(r))
	}
	return entries, nil
}

// PackDir packs the files and directories under dir. Anything else (a link, a device)
// is refused with ErrTreePath; files of more than budget bytes in all, with
// ErrTreeSize, before they are read.
func PackDir(dir string, budget int64) ([]byte, error) {
	var entries []TreeEntry
	var total int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			entries = append(entries, TreeEntry{Path: rel, Dir: true})
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			if total += info.Size(); total > budget {
				return fmt.Errorf("%w: its files hold more than %d bytes", ErrTreeSize, budget)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			entries = append(entries, TreeEntry{Path: rel, Data: data})
		default:
			return fmt.Errorf("%w: %q is neither a file nor a directory", ErrTreePath, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w", dir, err)
	}
	return PackTree(entries)
}

// UnpackDir writes a packed tree's files and directories under dir, which must be
// empty or not exist yet (ErrDirNotEmpty): it never replaces a file. Paths were
// checked when the tree was unpacked (no absolute path, no "..", no name twice), so
// nothing lands outside dir. It returns the files written.
func UnpackDir(tree []byte, dir string) (int, error) {
	entries, err := UnpackTree(tree)
	if err != nil {
		return 0, err
	}
	if err := EmptyDir(dir); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	files := 0
	for _, e := range entries {
		p := filepath.Join(dir, filepath.FromSlash(e.Path))
		if e.Dir {
			if err := os.Mkdir(p, 0o755); err != nil {
				return files, err
			}
			continue
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return files, err
		}
		_, err = f.Write(e.Data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return files, err
		}
		files++
	}
	return files, nil
}

// EmptyDir says whether dir is a directory with nothing in it, or does not exist:
// somewhere to write a job's outputs without replacing anything.
func EmptyDir(dir string) error {
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%w: %s is a file", ErrDirNotEmpty, dir)
	}
	if names, _ := f.Readdirnames(1); len(names) > 0 {
		return fmt.Errorf("%w: %s holds %s", ErrDirNotEmpty, dir, names[0])
	}
	return nil
}
