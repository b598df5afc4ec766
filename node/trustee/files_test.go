package trustee

import (
	"errors"
	"path/filepath"
	"testing"
)

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
