package keys

import "errors"

var (
	// ErrBadAddress reports an address that is malformed or whose checksum fails.
	ErrBadAddress = errors.New("invalid address")
	// ErrBadPublicKey reports bytes that are not a usable ed25519 public key.
	ErrBadPublicKey = errors.New("invalid public key")
	// ErrBadProof reports a VRF proof that does not verify.
	ErrBadProof = errors.New("invalid VRF proof")

	// ErrWrongPassphrase reports a passphrase that does not open a keystore.
	ErrWrongPassphrase = errors.New("wrong passphrase")
	// ErrEmptyPassphrase reports an attempt to encrypt or decrypt with no passphrase.
	ErrEmptyPassphrase = errors.New("empty passphrase")
	// ErrBadKeystore reports a keystore file that is damaged, truncated, altered, of an
	// unknown version, or otherwise not one this package can read.
	ErrBadKeystore = errors.New("invalid keystore")
	// ErrBadKDFParams reports key-derivation costs outside the accepted range.
	ErrBadKDFParams = errors.New("invalid KDF parameters")
	// ErrWeakKDFParams reports an imported keystore whose key-derivation costs are
	// below MinImportKDFMemoryKiB or MinImportKDFTime.
	ErrWeakKDFParams = errors.New("key-derivation costs too weak for an imported keystore")
	// ErrBadKeyFile reports a key file that is malformed or readable by others.
	ErrBadKeyFile = errors.New("invalid key file")
	// ErrKeyFileExists reports a key file save that would replace an existing file.
	ErrKeyFileExists = errors.New("key file already exists")
	// ErrKeystoreExists reports a save or import that would replace an existing file.
	ErrKeystoreExists = errors.New("keystore file already exists")
)
