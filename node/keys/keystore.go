package keys

import (
	"bytes"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// A keystore file holds one key encrypted under a passphrase (docs/keys.md). It is JSON
// so a person can see what it is:
//
//	{
//	  "version": 1,
//	  "address": "dao1...",
//	  "public_key": "<hex>",
//	  "kdf": {"name": "argon2id", "memory_kib": 65536, "time": 3, "threads": 4,
//	          "salt": "<hex>", "check": "<hex>"},
//	  "cipher": {"name": "xchacha20-poly1305", "nonce": "<hex>", "ciphertext": "<hex>"}
//	}
//
// The address and public key are in the clear so a wallet can show which key a file
// holds without asking for the passphrase. The KDF parameters are stored so a file
// records how it was made and stays readable if the defaults change.
//
// Argon2id turns the passphrase into a master secret; HKDF splits that into the cipher
// key and a check value. The check value tells a wrong passphrase apart from a damaged
// file: it costs a guesser the same Argon2id run as trying to decrypt would, so it
// gives nothing away. The cipher authenticates the header (version, public key, KDF
// parameters, salt) along with the seed, and after decryption the seed must derive the
// stored public key.

// KeystoreVersion is the keystore format this package writes and reads.
const KeystoreVersion = 1

// MaxKeystoreSize bounds a keystore file; a real one is well under a kilobyte.
const MaxKeystoreSize = 64 << 10

// Limits on the KDF parameters of a file being read, so a crafted file cannot make the
// reader allocate gigabytes or spin for minutes.
const (
	MaxKDFMemoryKiB = 256 << 10 // 256 MiB
	MaxKDFTime      = 10
	MaxKDFThreads   = 16
)

// The floor on the KDF costs of an imported keystore: the minimum OWASP's Password
// Storage Cheat Sheet gives for Argon2id (19 MiB, 2 passes). A file written elsewhere
// may carry costs as low as Argon2 allows (8 KiB a lane, 1 pass), which would make its
// passphrase cheap to guess once the file is copied from this machine; ImportKeystore
// refuses it (docs/keys.md).
const (
	MinImportKDFMemoryKiB = 19 << 10 // 19 MiB
	MinImportKDFTime      = 2
)

const (
	kdfName          = "argon2id"
	cipherName       = "xchacha20-poly1305"
	saltSize         = 16
	maxSaltSize      = 64
	checkSize        = 32
	masterSecretSize = 32
	ciphertextSize   = SeedSize + chacha20poly1305.Overhead
)

// KDFParams are the Argon2id costs of a keystore.
type KDFParams struct {
	MemoryKiB uint32 // memory in KiB
	Time      uint32 // passes over the memory
	Threads   uint8  // lanes; part of the result, not only a speed-up
}

// DefaultKDFParams returns the costs new keystores use: the second recommended
// setting of RFC 9106 (64 MiB, 3 passes, 4 lanes). Unlocking takes a fraction of a
// second, paid once per unlock by the owner and once per guess by an attacker.
func DefaultKDFParams() KDFParams {
	return KDFParams{MemoryKiB: 64 << 10, Time: 3, Threads: 4}
}

// kdfLimits are the largest KDF costs a reader accepts.
type kdfLimits struct {
	maxMemoryKiB, maxTime, maxThreads uint32
}

var fileKDFLimits = kdfLimits{maxMemoryKiB: MaxKDFMemoryKiB, maxTime: MaxKDFTime, maxThreads: MaxKDFThreads}

// check reports the first parameter outside what Argon2id needs or the limits allow.
func (p KDFParams) check(limits kdfLimits) error {
	switch {
	case p.Threads < 1 || uint32(p.Threads) > limits.maxThreads:
		return fmt.Errorf("%w: threads %d, want 1 to %d", ErrBadKDFParams, p.Threads, limits.maxThreads)
	case p.Time < 1 || p.Time > limits.maxTime:
		return fmt.Errorf("%w: time %d, want 1 to %d", ErrBadKDFParams, p.Time, limits.maxTime)
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > limits.maxMemoryKiB:
		// Argon2 needs at least 8 KiB per lane (RFC 9106 §3.1).
		return fmt.Errorf("%w: memory_kib %d, want %d to %d", ErrBadKDFParams,
			p.MemoryKiB, 8*uint32(p.Threads), limits.maxMemoryKiB)
	}
	return nil
}

// checkImportFloor reports costs below the floor an imported keystore must meet.
func (p KDFParams) checkImportFloor() error {
	if p.MemoryKiB < MinImportKDFMemoryKiB || p.Time < MinImportKDFTime {
		return fmt.Errorf("%w: memory_kib %d and time %d, want at least %d and %d",
			ErrWeakKDFParams, p.MemoryKiB, p.Time, MinImportKDFMemoryKiB, MinImportKDFTime)
	}
	return nil
}

// KeystoreOption adjusts EncryptKey, SaveKeystore, ExportKeystore and ImportKeystore.
type KeystoreOption func(*keystoreOptions)

type keystoreOptions struct {
	kdf       KDFParams
	overwrite bool
}

// WithKDFParams sets the Argon2id costs of a new keystore instead of
// DefaultKDFParams. Lower costs make the passphrase cheaper to guess; they are meant
// for tests and demo networks.
func WithKDFParams(p KDFParams) KeystoreOption {
	return func(o *keystoreOptions) { o.kdf = p }
}

// WithOverwrite lets SaveKeystore and ImportKeystore replace an existing file.
func WithOverwrite() KeystoreOption {
	return func(o *keystoreOptions) { o.overwrite = true }
}

func applyKeystoreOptions(opts []KeystoreOption) keystoreOptions {
	o := keystoreOptions{kdf: DefaultKDFParams()}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// keystoreFile is the JSON form. Pointers tell a missing field from a zero one.
type keystoreFile struct {
	Version   int             `json:"version"`
	Address   *Address        `json:"address"`
	PublicKey *PublicKey      `json:"public_key"`
	KDF       *keystoreKDF    `json:"kdf"`
	Cipher    *keystoreCipher `json:"cipher"`
}

type keystoreKDF struct {
	Name      string   `json:"name"`
	MemoryKiB uint32   `json:"memory_kib"`
	Time      uint32   `json:"time"`
	Threads   uint32   `json:"threads"`
	Salt      hexBytes `json:"salt"`
	Check     hexBytes `json:"check"`
}

type keystoreCipher struct {
	Name       string   `json:"name"`
	Nonce      hexBytes `json:"nonce"`
	Ciphertext hexBytes `json:"ciphertext"`
}

// hexBytes is a byte string written as hex in JSON.
type hexBytes []byte

func (h hexBytes) MarshalText() ([]byte, error) {
	return []byte(hex.EncodeToString(h)), nil
}

func (h *hexBytes) UnmarshalText(text []byte) error {
	b := make([]byte, hex.DecodedLen(len(text)))
	if _, err := hex.Decode(b, text); err != nil {
		return err
	}
	*h = b
	return nil
}

func (f *keystoreFile) params() KDFParams {
	return KDFParams{MemoryKiB: f.KDF.MemoryKiB, Time: f.KDF.Time, Threads: uint8(f.KDF.Threads)}
}

// additionalData is what the cipher authenticates besides the seed: every header field
// that decryption depends on or that a wallet shows. The address is left out because
// it is derived from the public key and checked against it.
func (f *keystoreFile) additionalData() []byte {
	b := make([]byte, 0, 64+PublicKeySize+len(f.KDF.Salt))
	b = append(b, "daoli/keystore/v1\x00"...)
	b = binary.BigEndian.AppendUint32(b, uint32(f.Version))
	b = append(b, f.PublicKey[:]...)
	b = binary.BigEndian.AppendUint32(b, f.KDF.MemoryKiB)
	b = binary.BigEndian.AppendUint32(b, f.KDF.Time)
	b = binary.BigEndian.AppendUint32(b, f.KDF.Threads)
	b = append(b, byte(len(f.KDF.Salt)))
	b = append(b, f.KDF.Salt...)
	return b
}

// deriveKeys runs Argon2id and splits its output into the cipher key and the
// passphrase check value.
func deriveKeys(passphrase, salt []byte, p KDFParams) (cipherKey, check []byte, err error) {
	master := argon2.IDKey(passphrase, salt, p.Time, p.MemoryKiB, p.Threads, masterSecretSize)
	defer clear(master)
	cipherKey, err = hkdf.Expand(sha256.New, master, "daoli/keystore/v1 cipher key", chacha20poly1305.KeySize)
	if err != nil {
		return nil, nil, fmt.Errorf("derive cipher key: %w", err)
	}
	check, err = hkdf.Expand(sha256.New, master, "daoli/keystore/v1 passphrase check", checkSize)
	if err != nil {
		return nil, nil, fmt.Errorf("derive passphrase check: %w", err)
	}
	return cipherKey, check, nil
}

// EncryptKey returns k's seed encrypted under passphrase, as the bytes of a keystore
// file. The passphrase must not be empty.
func EncryptKey(k *Key, passphrase []byte, opts ...KeystoreOption) ([]byte, error) {
	o := applyKeystoreOptions(opts)
	if len(passphrase) == 0 {
		return nil, fmt.Errorf("encrypt key: %w", ErrEmptyPassphrase)
	}
	if err := o.kdf.check(fileKDFLimits); err != nil {
		return nil, fmt.Errorf("encrypt key: %w", err)
	}
	pub := k.Public()
	addr := k.Address()
	f := &keystoreFile{
		Version:   KeystoreVersion,
		Address:   &addr,
		PublicKey: &pub,
		KDF: &keystoreKDF{
			Name:      kdfName,
			MemoryKiB: o.kdf.MemoryKiB,
			Time:      o.kdf.Time,
			Threads:   uint32(o.kdf.Threads),
			Salt:      make([]byte, saltSize),
		},
		Cipher: &keystoreCipher{Name: cipherName, Nonce: make([]byte, chacha20poly1305.NonceSizeX)},
	}
	if _, err := io.ReadFull(rand.Reader, f.KDF.Salt); err != nil {
		return nil, fmt.Errorf("encrypt key: salt: %w", err)
	}
	if _, err := io.ReadFull(rand.Reader, f.Cipher.Nonce); err != nil {
		return nil, fmt.Errorf("encrypt key: nonce: %w", err)
	}
	cipherKey, check, err := deriveKeys(passphrase, f.KDF.Salt, o.kdf)
	if err != nil {
		return nil, fmt.Errorf("encrypt key: %w", err)
	}
	defer clear(cipherKey)
	aead, err := chacha20poly1305.NewX(cipherKey)
	if err != nil {
		return nil, fmt.Errorf("encrypt key: %w", err)
	}
	seed := k.Seed()
	defer clear(seed)
	f.KDF.Check = check
	f.Cipher.Ciphertext = aead.Seal(nil, f.Cipher.Nonce, seed, f.additionalData())
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encrypt key: %w", err)
	}
	return append(data, '\n'), nil
}

// DecryptKey opens a keystore file made by EncryptKey. A wrong passphrase gives
// ErrWrongPassphrase; a damaged, truncated, altered or unknown file gives
// ErrBadKeystore saying what is wrong.
func DecryptKey(data, passphrase []byte) (*Key, error) {
	return decryptKey(data, passphrase, fileKDFLimits)
}

func decryptKey(data, passphrase []byte, limits kdfLimits) (*Key, error) {
	f, err := decodeKeystore(data, limits)
	if err != nil {
		return nil, fmt.Errorf("decrypt key: %w", err)
	}
	if len(passphrase) == 0 {
		return nil, fmt.Errorf("decrypt key %s: %w", f.Address, ErrEmptyPassphrase)
	}
	cipherKey, check, err := deriveKeys(passphrase, f.KDF.Salt, f.params())
	if err != nil {
		return nil, fmt.Errorf("decrypt key %s: %w", f.Address, err)
	}
	defer clear(cipherKey)
	if subtle.ConstantTimeCompare(check, f.KDF.Check) != 1 {
		return nil, fmt.Errorf("decrypt key %s: %w", f.Address, ErrWrongPassphrase)
	}
	aead, err := chacha20poly1305.NewX(cipherKey)
	if err != nil {
		return nil, fmt.Errorf("decrypt key %s: %w", f.Address, err)
	}
	seed, err := aead.Open(nil, f.Cipher.Nonce, f.Cipher.Ciphertext, f.additionalData())
	if err != nil {
		// The passphrase was right, so the ciphertext or the header was changed.
		return nil, fmt.Errorf("decrypt key %s: %w: the encrypted seed or the header was altered",
			f.Address, ErrBadKeystore)
	}
	defer clear(seed)
	k, err := FromSeed(seed)
	if err != nil {
		return nil, fmt.Errorf("decrypt key %s: %w: %v", f.Address, ErrBadKeystore, err)
	}
	if k.Public() != *f.PublicKey {
		return nil, fmt.Errorf("decrypt key %s: %w: the encrypted seed belongs to public key %s, not %s",
			f.Address, ErrBadKeystore, k.Public(), f.PublicKey)
	}
	return k, nil
}

// DecodeKeystoreAddress returns the address a keystore file holds, without the
// passphrase. It checks the file's structure and that the address matches the public
// key, but only DecryptKey can prove the file really holds that key.
func DecodeKeystoreAddress(data []byte) (Address, error) {
	f, err := decodeKeystore(data, fileKDFLimits)
	if err != nil {
		return Address{}, fmt.Errorf("read keystore address: %w", err)
	}
	return *f.Address, nil
}

// decodeKeystore parses and checks a keystore file without decrypting it.
func decodeKeystore(data []byte, limits kdfLimits) (*keystoreFile, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadKeystore, fmt.Sprintf(format, args...))
	}
	if len(data) > MaxKeystoreSize {
		return nil, bad("%d bytes, limit %d", len(data), MaxKeystoreSize)
	}
	// Read the version first and on its own: a newer file may have fields this version
	// does not know, and "unsupported version" is the useful thing to say about it.
	// json.Unmarshal checks the whole input is one JSON value, trailing data included.
	var probe struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &syntaxErr) && syntaxErr.Offset >= int64(len(data)):
			return nil, bad("truncated: %v", err)
		case syntaxErr != nil:
			return nil, bad("not valid JSON: %v", err)
		}
		return nil, bad("not a keystore file: %v", err)
	}
	switch {
	case probe.Version == nil:
		return nil, bad("no version field: not a keystore file")
	case *probe.Version != KeystoreVersion:
		return nil, bad("version %d is not supported (this build reads version %d)", *probe.Version, KeystoreVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	f := new(keystoreFile)
	if err := dec.Decode(f); err != nil {
		return nil, bad("%v", err)
	}
	switch {
	case f.Address == nil:
		return nil, bad("missing address")
	case f.PublicKey == nil:
		return nil, bad("missing public_key")
	case f.KDF == nil:
		return nil, bad("missing kdf")
	case f.Cipher == nil:
		return nil, bad("missing cipher")
	case AddressOf(*f.PublicKey) != *f.Address:
		return nil, bad("address %s does not belong to public key %s", f.Address, f.PublicKey)
	case f.KDF.Name != kdfName:
		return nil, bad("kdf %q is not supported (want %q)", f.KDF.Name, kdfName)
	case f.Cipher.Name != cipherName:
		return nil, bad("cipher %q is not supported (want %q)", f.Cipher.Name, cipherName)
	case f.KDF.Threads > limits.maxThreads:
		// Checked before params() narrows threads to a byte.
		return nil, fmt.Errorf("%w: %w: threads %d, want 1 to %d", ErrBadKeystore, ErrBadKDFParams,
			f.KDF.Threads, limits.maxThreads)
	case len(f.KDF.Salt) < saltSize || len(f.KDF.Salt) > maxSaltSize:
		return nil, bad("salt is %d bytes, want %d to %d", len(f.KDF.Salt), saltSize, maxSaltSize)
	case len(f.KDF.Check) != checkSize:
		return nil, bad("check is %d bytes, want %d", len(f.KDF.Check), checkSize)
	case len(f.Cipher.Nonce) != chacha20poly1305.NonceSizeX:
		return nil, bad("nonce is %d bytes, want %d", len(f.Cipher.Nonce), chacha20poly1305.NonceSizeX)
	case len(f.Cipher.Ciphertext) != ciphertextSize:
		return nil, bad("ciphertext is %d bytes, want %d", len(f.Cipher.Ciphertext), ciphertextSize)
	}
	if err := f.params().check(limits); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadKeystore, err)
	}
	return f, nil
}
