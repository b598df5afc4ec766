//go:build linux

package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStartAtLogin(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	if StartsAtLogin() {
		t.Fatal("on before it was set")
	}
	if err := SetStartAtLogin(true, "/home/me/my data"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(cfg, "autostart", "daoli.desktop"))
	if err != nil || !StartsAtLogin() {
		t.Fatalf("entry: %v", err)
	}
	if !strings.Contains(string(b), `--data "/home/me/my data"`) || !strings.Contains(string(b), "[Desktop Entry]") {
		t.Fatalf("entry:\n%s", b)
	}
	if err := SetStartAtLogin(false, ""); err != nil || StartsAtLogin() {
		t.Fatalf("off: %v", err)
	}
	if err := SetStartAtLogin(false, ""); err != nil {
		t.Fatalf("off twice: %v", err)
	}
}
