//go:build !windows

package control

import (
	"os"
	"path/filepath"
	"testing"
)

// checkOnlyUser: the socket file is the user's alone.
func checkOnlyUser(t *testing.T, dir string) {
	t.Helper()
	fi, err := os.Stat(filepath.Join(dir, SocketFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v, %v", fi.Mode(), err)
	}
}

// leaveStale leaves what a node that died leaves: its socket file.
func leaveStale(t *testing.T, dir string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, SocketFile), nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

func testDir(t *testing.T) string { return t.TempDir() }
