package keys

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// KeystoreFileMode is the permission of keystore files: readable by their owner only.
const KeystoreFileMode fs.FileMode = 0o600

// SaveKeystore encrypts k under passphrase and writes it to path with mode 0600. The
// file appears whole or not at all (written to a temporary file in the same
// directory, synced, then moved into place). An existing file is never replaced
// unless WithOverwrite is given: it may be the only copy of another key.
func SaveKeystore(path string, k *Key, passphrase []byte, opts ...KeystoreOption) error {
	o := applyKeystoreOptions(opts)
	if !o.overwrite {
		// Checked again when the file is moved into place; this early check only spares
		// the Argon2id run.
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("save keystore %s: %w", path, ErrKeystoreExists)
		}
	}
	data, err := EncryptKey(k, passphrase, opts...)
	if err != nil {
		return fmt.Errorf("save keystore %s: %w", path, err)
	}
	if err := writeKeystoreFile(path, data, o.overwrite); err != nil {
		return fmt.Errorf("save keystore %s: %w", path, err)
	}
	return nil
}

// LoadKeystore reads and decrypts the keystore at path.
func LoadKeystore(path string, passphrase []byte) (*Key, error) {
	data, err := readKeystoreFile(path)
	if err != nil {
		return nil, fmt.Errorf("load keystore %s: %w", path, err)
	}
	k, err := DecryptKey(data, passphrase)
	if err != nil {
		return nil, fmt.Errorf("load keystore %s: %w", path, err)
	}
	return k, nil
}

// ReadKeystoreAddress returns the address of the keystore at path without the
// passphrase; see DecodeKeystoreAddress.
func ReadKeystoreAddress(path string) (Address, error) {
	data, err := readKeystoreFile(path)
	if err != nil {
		return Address{}, fmt.Errorf("read keystore %s: %w", path, err)
	}
	a, err := DecodeKeystoreAddress(data)
	if err != nil {
		return Address{}, fmt.Errorf("read keystore %s: %w", path, err)
	}
	return a, nil
}

// ExportKeystore returns a backup of the keystore at path after checking that
// passphrase opens it, so a backup is never taken of a file nobody can open. With a nil
// newPassphrase the backup is the file as it is; otherwise the key is encrypted afresh
// under newPassphrase, which must not be empty (opts set its KDF costs).
func ExportKeystore(path string, passphrase, newPassphrase []byte, opts ...KeystoreOption) ([]byte, error) {
	data, err := readKeystoreFile(path)
	if err != nil {
		return nil, fmt.Errorf("export keystore %s: %w", path, err)
	}
	k, err := DecryptKey(data, passphrase)
	if err != nil {
		return nil, fmt.Errorf("export keystore %s: %w", path, err)
	}
	if newPassphrase == nil {
		return data, nil
	}
	backup, err := EncryptKey(k, newPassphrase, opts...)
	if err != nil {
		return nil, fmt.Errorf("export keystore %s: %w", path, err)
	}
	return backup, nil
}

// ImportKeystore checks that backup (from ExportKeystore) opens with passphrase, then
// writes it unchanged to path the way SaveKeystore does, and returns the key. A backup
// whose Argon2id costs are below MinImportKDFMemoryKiB or MinImportKDFTime is refused
// with ErrWeakKDFParams, before the passphrase is tried.
func ImportKeystore(path string, backup, passphrase []byte, opts ...KeystoreOption) (*Key, error) {
	o := applyKeystoreOptions(opts)
	if !o.overwrite {
		if _, err := os.Lstat(path); err == nil {
			return nil, fmt.Errorf("import keystore %s: %w", path, ErrKeystoreExists)
		}
	}
	f, err := decodeKeystore(backup, fileKDFLimits)
	if err != nil {
		return nil, fmt.Errorf("import keystore %s: %w", path, err)
	}
	if err := f.params().checkImportFloor(); err != nil {
		return nil, fmt.Errorf("import keystore %s: %w", path, err)
	}
	k, err := DecryptKey(backup, passphrase)
	if err != nil {
		return nil, fmt.Errorf("import keystore %s: %w", path, err)
	}
	if err := writeKeystoreFile(path, backup, o.overwrite); err != nil {
		return nil, fmt.Errorf("import keystore %s: %w", path, err)
	}
	return k, nil
}

// readKeystoreFile reads at most MaxKeystoreSize bytes, so pointing the wallet at a
// huge file does not exhaust memory.
func readKeystoreFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxKeystoreSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxKeystoreSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBadKeystore, MaxKeystoreSize)
	}
	return data, nil
}

// writeKeystoreFile writes data to path through a synced temporary file in the same
// directory. Without overwrite it links the temporary file into place, which fails if
// path exists, so two writers cannot both think they created the file.
func writeKeystoreFile(path string, data []byte, overwrite bool) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if err = tmp.Chmod(KeystoreFileMode); err != nil {
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = moveIntoPlace(tmpName, path, overwrite); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

func moveIntoPlace(tmpName, path string, overwrite bool) error {
	if overwrite {
		return os.Rename(tmpName, path)
	}
	err := os.Link(tmpName, path)
	switch {
	case err == nil:
		// The key is in place; a leftover temporary file is only clutter.
		os.Remove(tmpName)
		return nil
	case errors.Is(err, fs.ErrExist):
		return ErrKeystoreExists
	}
	// Some file systems (FAT on a backup stick, for one) have no hard links. Fall back
	// to check-then-rename, which leaves a small window for a concurrent writer.
	if _, statErr := os.Lstat(path); statErr == nil {
		return ErrKeystoreExists
	}
	return os.Rename(tmpName, path)
}

// syncDir makes the new directory entry durable. It is best effort: the file is
// already in place, and reporting a failure here would make a caller think the key
// was not saved. Windows cannot sync a directory.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
