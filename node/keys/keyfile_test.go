package keys

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestKeyFile saves a key file, refuses to save over it, loads the same key back, and
// refuses the file once others may read it.
func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.json")
	k := testKey(t, 1)
	if err := SaveKeyFile(path, k); err != nil {
		t.Fatal(err)
	}
	if err := SaveKeyFile(path, k); !errors.Is(err, ErrKeyFileExists) {
		t.Fatalf("second save: %v", err)
	}
	got, err := LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Public() != k.Public() {
		t.Fatal("loaded another key")
	}
	if runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyFile(path); !errors.Is(err, ErrBadKeyFile) {
		t.Fatalf("world-readable key: %v", err)
	}
}
