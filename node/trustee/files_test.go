package trustee

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/daolicloud/daoli/node/chain/chaintest"
)

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.json")
	k := chaintest.TrusteeKey(0)
	if err := SaveKey(path, k); err != nil {
		t.Fatal(err)
	}
	if err := SaveKey(path, k); !errors.Is(err, ErrExists) {
		t.Fatalf("second save: %v", err)
	}
	got, err := LoadKey(path)
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
	if _, err := LoadKey(path); !errors.Is(err, ErrBadKeyFile) {
		t.Fatalf("world-readable key: %v", err)
	}
}

func TestConfigRelativePaths(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t0", "config.json")
	c := &Config{KeyFile: "key.json", DataDir: "data", NetworkFile: "../network.json", Listen: []string{"/ip4/127.0.0.1/tcp/0"}}
	if err := SaveConfig(path, c); err != nil {
		t.Fatal(err)
	}
	got, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "network.json"); got.NetworkFile != want {
		t.Fatalf("network file %s, want %s", got.NetworkFile, want)
	}
	if want := filepath.Join(dir, "t0", "key.json"); got.KeyFile != want {
		t.Fatalf("key file %s, want %s", got.KeyFile, want)
	}
	if err := SaveConfig(path, &Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(path); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("empty config: %v", err)
	}
}
