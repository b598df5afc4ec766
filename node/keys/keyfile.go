package keys

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// A key file holds a key's ed25519 seed unencrypted, like CometBFT's
// priv_validator_key.json: a trustee's key, which its process must read unattended,
// and the funded users of a development network.
//
//	{
//	  "type": "ed25519",
//	  "public_key": "<64 hex digits>",
//	  "seed": "<64 hex digits>"
//	}
//
// It is written with mode 0600, and LoadKeyFile refuses a file that others may read
// (on systems with Unix permissions): whoever holds the seed signs in the key's name.

// keyFile is the JSON form of a key file.
type keyFile struct {
	Type      string    `json:"type"`
	PublicKey PublicKey `json:"public_key"`
	Seed      string    `json:"seed"`
}

const keyType = "ed25519"

// SaveKeyFile writes k's seed to path with mode 0600. It refuses to overwrite a file:
// a key replaced by mistake cannot be recovered.
func SaveKeyFile(path string, k *Key) error {
	data, err := json.MarshalIndent(keyFile{Type: keyType, PublicKey: k.Public(), Seed: hex.EncodeToString(k.Seed())}, "", "  ")
	if err != nil {
		return fmt.Errorf("save key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("save key %s: %w", path, ErrKeyFileExists)
	}
	if err != nil {
		return fmt.Errorf("save key: %w", err)
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("save key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("save key: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save key: %w", err)
	}
	return nil
}

// LoadKeyFile reads a key file written by SaveKeyFile.
func LoadKeyFile(path string) (*Key, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load key: %w", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("load key %s: %w: mode %v lets others read the seed; chmod 600 it", path, ErrBadKeyFile, fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load key: %w", err)
	}
	var kf keyFile
	if err := json.Unmarshal(data, &kf); err != nil {
		return nil, fmt.Errorf("load key %s: %w: %v", path, ErrBadKeyFile, err)
	}
	if kf.Type != keyType {
		return nil, fmt.Errorf("load key %s: %w: type %q", path, ErrBadKeyFile, kf.Type)
	}
	seed, err := hex.DecodeString(kf.Seed)
	if err != nil {
		return nil, fmt.Errorf("load key %s: %w: seed: %v", path, ErrBadKeyFile, err)
	}
	k, err := FromSeed(seed)
	if err != nil {
		return nil, fmt.Errorf("load key %s: %w: %w", path, ErrBadKeyFile, err)
	}
	if k.Public() != kf.PublicKey {
		return nil, fmt.Errorf("load key %s: %w: the public key does not match the seed", path, ErrBadKeyFile)
	}
	return k, nil
}
