package compute

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestPruneCache: the oldest files go first, until the cache fits; the newest stays
// even when it alone is over the bound; files being written are not touched.
func TestPruneCache(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "wazero-v1")
	if err := os.MkdirAll(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	write := func(name string, size int, age int) {
		p := filepath.Join(sub, name)
		if err := os.WriteFile(p, make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, base, base.Add(-time.Duration(age)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	write("a", 100, 4)
	write("b", 100, 3)
	write("c", 100, 2)
	write("d", 100, 1)
	write("e.1.tmp", 1000, 9)
	left := func() []string {
		var names []string
		es, _ := os.ReadDir(sub)
		for _, e := range es {
			names = append(names, e.Name())
		}
		return names
	}
	pruneCache(dir, 400)
	if got := left(); len(got) != 5 {
		t.Fatalf("under the bound, pruned to %v", got)
	}
	pruneCache(dir, 250)
	if got := left(); len(got) != 3 || got[0] != "c" || got[1] != "d" || got[2] != "e.1.tmp" {
		t.Fatalf("left %v, want c, d and the file being written", got)
	}
	pruneCache(dir, 50)
	if got := left(); len(got) != 2 || got[0] != "d" {
		t.Fatalf("left %v, want the newest and the file being written", got)
	}
}

// TestSandboxBoundsCache: a sandbox that compiles a module prunes its cache to its
// bound, so a provider's disk does not fill with the compiled modules of every job it
// ever ran.
func TestSandboxBoundsCache(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old-entry")
	if err := os.WriteFile(old, make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(old, time.Now().Add(-time.Hour), time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	sb, err := NewSandbox(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	sb.cacheMax = 1 // only the newest compiled module stays
	res, err := sb.Run(context.Background(), Job{Module: job(t, "hash"), Args: []string{"10"}, Input: []byte("x"), Limits: testLimits})
	if err != nil || res.Status != StatusOK {
		t.Fatalf("%v %v %s", err, res.Status, res.Reason)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Fatalf("the old entry is still there: %v", err)
	}
	var kept int
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			kept++
		}
		return nil
	})
	if kept != 1 {
		t.Fatalf("%d files in the cache, want the module just compiled", kept)
	}
}
