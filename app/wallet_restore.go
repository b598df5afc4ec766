package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/daolicloud/daoli/node/keys"
)

func (b *uiBackend) BackupWallet(pass []byte) ([]byte, error) {
	return backupKeystore(b.s.dataDir, pass)
}

func (b *uiBackend) RestoreWallet(backup, pass []byte) (string, bool, error) {
	return restoreKeystore(b.s.dataDir, b.s.Node.Address(), backup, pass, time.Now())
}

// backupKeystore returns the wallet of dataDir, once pass opens it.
func backupKeystore(dataDir string, pass []byte) ([]byte, error) {
	data, err := keys.ExportKeystore(filepath.Join(dataDir, WalletFile), pass, nil)
	if errors.Is(err, keys.ErrWrongPassphrase) {
		return nil, errors.New("that passphrase does not open this wallet")
	}
	return data, err
}

// restoreKeystore makes backup the wallet of dataDir once pass opens it, keeping the
// wallet it replaces as wallet.json.replaced-TIME; a backup of the wallet in use
// (current) changes nothing.
func restoreKeystore(dataDir string, current keys.Address, backup, pass []byte, now time.Time) (string, bool, error) {
	k, err := keys.DecryptKey(backup, pass)
	switch {
	case errors.Is(err, keys.ErrWrongPassphrase):
		return "", false, errors.New("that passphrase does not open this backup")
	case err != nil:
		return "", false, fmt.Errorf("this is not a Daoli wallet backup: %w", err)
	}
	addr := k.Address().String()
	if k.Address() == current {
		return addr, true, nil
	}
	path := filepath.Join(dataDir, WalletFile)
	if old, err := os.ReadFile(path); err == nil {
		aside := path + ".replaced-" + now.UTC().Format("20060102-150405")
		if err := os.WriteFile(aside, old, 0o600); err != nil {
			return "", false, fmt.Errorf("keep the current wallet: %w", err)
		}
	}
	if _, err := keys.ImportKeystore(path, backup, pass, keys.WithOverwrite()); err != nil {
		return "", false, err
	}
	return addr, false, nil
}
