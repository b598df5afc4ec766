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

// RestoreWallet restores through restoreWallet, as `daoli wallet import --force`
// does; the backup is the wallet in use when the file held it already and the node
// runs it.
func (b *uiBackend) RestoreWallet(backup, pass []byte) (string, bool, error) {
	r, err := restoreWallet(filepath.Join(b.s.dataDir, WalletFile), backup, pass, time.Now())
	if err != nil {
		return "", false, err
	}
	return r.Address.String(), r.Unchanged && r.Address == b.s.Node.Address(), nil
}

// backupKeystore returns the wallet of dataDir, once pass opens it.
func backupKeystore(dataDir string, pass []byte) ([]byte, error) {
	data, err := keys.ExportKeystore(filepath.Join(dataDir, WalletFile), pass, nil)
	if errors.Is(err, keys.ErrWrongPassphrase) {
		return nil, errors.New("that passphrase does not open this wallet")
	}
	return data, err
}

// restored is what restoreWallet did.
type restored struct {
	Address   keys.Address // the backup's wallet
	Unchanged bool         // the keystore held that wallet already: nothing was written
	Aside     string       // where the wallet it replaced was kept; "" when there was none
}

// restoreWallet makes backup the keystore at path once pass opens it, keeping the
// wallet it replaces beside it as PATH.replaced-TIME, so a restore never loses a
// wallet; a backup of the wallet the keystore holds already changes nothing. The
// Wallet screen's Restore and `daoli wallet import` both restore through it.
func restoreWallet(path string, backup, pass []byte, now time.Time) (restored, error) {
	k, err := keys.DecryptKey(backup, pass)
	switch {
	case errors.Is(err, keys.ErrWrongPassphrase):
		return restored{}, errors.New("that passphrase does not open this backup")
	case err != nil:
		return restored{}, fmt.Errorf("this is not a Daoli wallet backup: %w", err)
	}
	r := restored{Address: k.Address()}
	if held, err := keys.ReadKeystoreAddress(path); err == nil && held == r.Address {
		r.Unchanged = true
		return r, nil
	}
	if old, err := os.ReadFile(path); err == nil {
		r.Aside = path + ".replaced-" + now.UTC().Format("20060102-150405")
		if err := os.WriteFile(r.Aside, old, 0o600); err != nil {
			return restored{}, fmt.Errorf("keep the current wallet: %w", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return restored{}, fmt.Errorf("read the current wallet: %w", err)
	}
	if _, err := keys.ImportKeystore(path, backup, pass, keys.WithOverwrite()); err != nil {
		return restored{}, err
	}
	return r, nil
}
