package compute

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// CacheMaxBytes bounds a sandbox's on-disk compilation cache. A compiled module takes
// a few times its own size: 75 MB for the 30 MB Ruby interpreter (docs/compute.md), so
// this keeps about 25 such interpreters, or hundreds of the example jobs.
const CacheMaxBytes = 2 << 30

// pruneCache removes the oldest files of the compilation cache in dir until what is
// left takes at most limit bytes; the newest file always stays, however large. Files
// being written (wazero's *.tmp) are left alone. Another worker may be reading a file
// removed here: it keeps its open file, and the next compilation of that module writes
// it again. Errors are ignored: a cache that could not be pruned still works.
func pruneCache(dir string, limit int64) {
	type entry struct {
		path string
		size int64
		mod  time.Time
	}
	var files []entry
	var total int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".tmp") {
			return nil
		}
		info, err := d.Info()
		if err != nil || !info.Mode().IsRegular() {
			return nil
		}
		files = append(files, entry{p, info.Size(), info.ModTime()})
		total += info.Size()
		return nil
	})
	if total <= limit {
		return
	}
	slices.SortFunc(files, func(a, b entry) int {
		if c := a.mod.Compare(b.mod); c != 0 {
			return c
		}
		return strings.Compare(a.path, b.path)
	})
	for _, f := range files[:len(files)-1] {
		if total <= limit {
			return
		}
		if os.Remove(f.path) == nil {
			total -= f.size
		}
	}
}

// SeedCache copies the compiled modules of the compilation cache src into the cache
// dst, as this build of the sandbox names it. wazero keeps a cache's entries in a
// folder named after its own version, which a test binary reads as "dev" where a
// plain build has the release, so the entries go into the folder this build uses;
// their names (the module's hash and the CPU's features) are the same in every build.
// make interp compiles the Ruby interpreter once in a plain build, and the tests seed
// their caches with it (docs/compute.md §Interpreters).
func SeedCache(src, dst string) error {
	sb, err := NewSandbox(dst)
	if err != nil {
		return err
	}
	sb.Close()
	into, err := filepath.Glob(filepath.Join(dst, "wazero-*"))
	if err != nil || len(into) != 1 {
		return fmt.Errorf("compilation cache %s: %d version folders, want 1 (%v)", dst, len(into), err)
	}
	from, err := filepath.Glob(filepath.Join(src, "wazero-*", "*"))
	if err != nil {
		return err
	}
	if len(from) == 0 {
		return fmt.Errorf("compilation cache %s: no compiled modules", src)
	}
	for _, f := range from {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(into[0], filepath.Base(f)), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}
