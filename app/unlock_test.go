package app

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/ui"
)

// TestWalletDoor drives the unlock screen's backend over a real data directory: the
// first run saves the preset and makes the wallet; a later start opens it, refusing
// the wrong passphrase in the words the screen knows.
func TestWalletDoor(t *testing.T) {
	dir := t.TempDir()
	d := &walletDoor{dir: dir}
	if d.WalletExists() {
		t.Fatal("a wallet in an empty directory")
	}
	if err := d.SavePreset("quiet"); err != nil {
		t.Fatal(err)
	}
	store := capacity.FileSettingsStore{Path: filepath.Join(dir, sharingSettingsFile)}
	if s, err := store.Load(); err != nil || s.Preset != capacity.Quiet {
		t.Fatalf("saved preset %q, %v", s.Preset, err)
	}
	if err := d.SavePreset("max"); err != nil { // settings exist: the first choice stays
		t.Fatal(err)
	}
	if s, _ := store.Load(); s.Preset != capacity.Quiet {
		t.Fatalf("a second first-run choice replaced the settings: %q", s.Preset)
	}
	if err := d.CreateWallet([]byte("long enough")); err != nil {
		t.Fatal(err)
	}
	made := d.key.Address()
	if !d.WalletExists() {
		t.Fatal("no wallet file after CreateWallet")
	}

	again := &walletDoor{dir: dir}
	if err := again.OpenWallet([]byte("not the one")); !errors.Is(err, ui.ErrWrongPassphrase) || again.key != nil {
		t.Fatalf("wrong passphrase: %v, key %v", err, again.key)
	}
	if err := again.openWithEnv([]byte("long enough")); err != nil || again.key.Address() != made {
		t.Fatalf("open: %v, address %v want %v", err, again.key, made)
	}
}
