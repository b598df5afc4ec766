package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"time"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/ui"
)

// walletDoor is ui.UnlockBackend over a data directory: it opens or makes the wallet
// there, and keeps the key it opened for the session.
type walletDoor struct {
	dir string
	key *keys.Key // set by OpenWallet or CreateWallet; read once the screen says opened
}

var _ ui.UnlockBackend = (*walletDoor)(nil)

func (d *walletDoor) path() string { return filepath.Join(d.dir, WalletFile) }

func (d *walletDoor) WalletExists() bool { return fileExists(d.path()) }

func (d *walletDoor) OpenWallet(pass []byte) error {
	k, err := keys.LoadKeystore(d.path(), pass)
	if errors.Is(err, keys.ErrWrongPassphrase) {
		return ui.ErrWrongPassphrase
	}
	if err != nil {
		return err
	}
	d.key = k
	return nil
}

func (d *walletDoor) CreateWallet(pass []byte) error {
	k, err := keys.Generate(rand.Reader)
	if err != nil {
		return err
	}
	if err := keys.SaveKeystore(d.path(), k, pass); err != nil {
		return fmt.Errorf("save the wallet: %w", err)
	}
	d.key = k
	return nil
}

// SavePreset saves the first run's sharing choice, unless settings exist already,
// and with shareNowFor above 0 shares at once for that long: the governor reads the
// settings when the node starts, right after.
func (d *walletDoor) SavePreset(p string, shareNowFor time.Duration) error {
	store := capacity.FileSettingsStore{Path: filepath.Join(d.dir, sharingSettingsFile)}
	s, err := store.Load()
	if err != nil {
		cores := capacity.DetectHardware(context.Background(), capacity.NewProbes()).UsableCores
		s = capacity.PresetSettings(capacity.Preset(p), cores)
	} else if shareNowFor <= 0 {
		return nil
	}
	if shareNowFor > 0 {
		s = s.ShareNow(time.Now().Add(shareNowFor))
	}
	return store.Save(s)
}

// WhenItShares implements ui.UnlockBackend.
func (d *walletDoor) WhenItShares(p string) string {
	return capacity.PresetSettings(capacity.Preset(p), runtime.NumCPU()).WhenItShares(runtime.NumCPU())
}

// openWithEnv opens the wallet with a passphrase given in $DAOLI_PASSPHRASE (for
// scripted runs), making it when there is none yet, as the screen would.
func (d *walletDoor) openWithEnv(pass []byte) error {
	if d.WalletExists() {
		return d.OpenWallet(pass)
	}
	return d.CreateWallet(pass)
}
