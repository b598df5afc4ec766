package app

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	if err := d.SavePreset("quiet", 0); err != nil {
		t.Fatal(err)
	}
	store := capacity.FileSettingsStore{Path: filepath.Join(dir, sharingSettingsFile)}
	if s, err := store.Load(); err != nil || s.Preset != capacity.Quiet {
		t.Fatalf("saved preset %q, %v", s.Preset, err)
	}
	if err := d.SavePreset("max", 0); err != nil { // settings exist: the first choice stays
		t.Fatal(err)
	}
	if s, _ := store.Load(); s.Preset != capacity.Quiet || !s.ShareNowUntil.IsZero() {
		t.Fatalf("a second first-run choice replaced the settings: %q, share now until %v", s.Preset, s.ShareNowUntil)
	}
	// Share now on the first-run screen: an hour from now, in the saved settings.
	before := time.Now()
	if err := d.SavePreset("max", time.Hour); err != nil {
		t.Fatal(err)
	}
	if s, _ := store.Load(); s.Preset != capacity.Quiet || s.ShareNowUntil.Before(before.Add(time.Hour)) || s.ShareNowUntil.After(time.Now().Add(time.Hour)) {
		t.Fatalf("share now saved as %q until %v", s.Preset, s.ShareNowUntil)
	}
	if got := d.WhenItShares("balanced"); !strings.HasPrefix(got, "Balanced starts sharing ") {
		t.Errorf("when balanced shares: %q", got)
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
