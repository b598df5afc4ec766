package keys

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
)

// testKDF keeps Argon2id cheap so the tests stay fast; production uses DefaultKDFParams.
var testKDF = KDFParams{MemoryKiB: 64, Time: 1, Threads: 1}

var testPassphrase = []byte("correct horse battery staple")

func encryptForTest(t testing.TB, k *Key) []byte {
	t.Helper()
	data, err := EncryptKey(k, testPassphrase, WithKDFParams(testKDF))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// editKeystore decodes a keystore into generic JSON, lets edit change it, and
// encodes it again.
func editKeystore(t testing.TB, data []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func section(m map[string]any, name string) map[string]any { return m[name].(map[string]any) }

// flipHex flips the low bit of the first byte of a hex string.
func flipHex(s string) string {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	b[0] ^= 1
	return hex.EncodeToString(b)
}

func TestKeystoreRoundTrip(t *testing.T) {
	k := testKey(t, 1)
	data := encryptForTest(t, k)
	if bytes.Contains(data, []byte(hex.EncodeToString(k.Seed()))) {
		t.Fatal("keystore contains the seed in the clear")
	}
	got, err := DecryptKey(data, testPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Seed(), k.Seed()) || got.Public() != k.Public() {
		t.Fatal("decrypted key differs from the original")
	}
	addr, err := DecodeKeystoreAddress(data)
	if err != nil || addr != k.Address() {
		t.Fatalf("DecodeKeystoreAddress = %v, %v; want %v", addr, err, k.Address())
	}

	// The file records how it was made and shows the address.
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	kdf := section(m, "kdf")
	if m["version"] != float64(KeystoreVersion) || m["address"] != k.Address().String() ||
		m["public_key"] != k.Public().String() || kdf["name"] != "argon2id" ||
		kdf["memory_kib"] != float64(testKDF.MemoryKiB) || kdf["time"] != float64(testKDF.Time) ||
		kdf["threads"] != float64(testKDF.Threads) || section(m, "cipher")["name"] != "xchacha20-poly1305" {
		t.Fatalf("unexpected header:\n%s", data)
	}

	// Salt and nonce are fresh each time.
	if again := encryptForTest(t, k); bytes.Equal(again, data) {
		t.Fatal("two encryptions of one key gave the same file")
	}
}

func TestEncryptKeyDefaultParams(t *testing.T) {
	k := testKey(t, 2)
	data, err := EncryptKey(k, testPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"memory_kib": 65536`)) || !bytes.Contains(data, []byte(`"time": 3`)) {
		t.Fatalf("default costs not recorded:\n%s", data)
	}
	if _, err := DecryptKey(data, testPassphrase); err != nil {
		t.Fatal(err)
	}
}

func TestDecryptKeyPassphrase(t *testing.T) {
	data := encryptForTest(t, testKey(t, 1))
	tests := []struct {
		name       string
		passphrase []byte
		want       error
	}{
		{"wrong", []byte("Correct horse battery staple"), ErrWrongPassphrase},
		{"one byte more", append(append([]byte{}, testPassphrase...), ' '), ErrWrongPassphrase},
		{"empty", []byte{}, ErrEmptyPassphrase},
		{"nil", nil, ErrEmptyPassphrase},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecryptKey(data, tt.passphrase)
			if !errors.Is(err, tt.want) {
				t.Fatalf("DecryptKey = %v, want %v", err, tt.want)
			}
			if errors.Is(err, ErrBadKeystore) {
				t.Fatalf("a passphrase problem is reported as a bad file: %v", err)
			}
		})
	}
	_, err := DecryptKey(data, []byte("nope"))
	if !strings.Contains(err.Error(), "wrong passphrase") {
		t.Fatalf("error %q does not say wrong passphrase", err)
	}
}

func TestEncryptKeyRefuses(t *testing.T) {
	k := testKey(t, 1)
	if _, err := EncryptKey(k, nil, WithKDFParams(testKDF)); !errors.Is(err, ErrEmptyPassphrase) {
		t.Fatalf("empty passphrase: %v", err)
	}
	for _, p := range []KDFParams{
		{MemoryKiB: 64, Time: 0, Threads: 1},
		{MemoryKiB: 64, Time: 1, Threads: 0},
		{MemoryKiB: 7, Time: 1, Threads: 1},
		{MemoryKiB: MaxKDFMemoryKiB + 1, Time: 1, Threads: 1},
		{MemoryKiB: 64, Time: MaxKDFTime + 1, Threads: 1},
		{MemoryKiB: 1024, Time: 1, Threads: MaxKDFThreads + 1},
	} {
		// A file this package could not read back must not be written.
		if _, err := EncryptKey(k, testPassphrase, WithKDFParams(p)); !errors.Is(err, ErrBadKDFParams) {
			t.Fatalf("params %+v: %v, want ErrBadKDFParams", p, err)
		}
	}
}

// sealForTest builds a keystore whose header claims pub but whose ciphertext holds
// seed, authenticated correctly: what someone who knows the passphrase could forge.
func sealForTest(t *testing.T, seed []byte, pub PublicKey) []byte {
	t.Helper()
	addr := AddressOf(pub)
	f := &keystoreFile{
		Version:   KeystoreVersion,
		Address:   &addr,
		PublicKey: &pub,
		KDF: &keystoreKDF{Name: kdfName, MemoryKiB: testKDF.MemoryKiB, Time: testKDF.Time,
			Threads: uint32(testKDF.Threads), Salt: bytes.Repeat([]byte{1}, saltSize)},
		Cipher: &keystoreCipher{Name: cipherName, Nonce: bytes.Repeat([]byte{2}, chacha20poly1305.NonceSizeX)},
	}
	cipherKey, check, err := deriveKeys(testPassphrase, f.KDF.Salt, testKDF)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := chacha20poly1305.NewX(cipherKey)
	if err != nil {
		t.Fatal(err)
	}
	f.KDF.Check = check
	f.Cipher.Ciphertext = aead.Seal(nil, f.Cipher.Nonce, seed, f.additionalData())
	data, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDecryptKeyTampered(t *testing.T) {
	k := testKey(t, 1)
	other := testKey(t, 2)
	data := encryptForTest(t, k)
	tests := []struct {
		name string
		file []byte
		want string // in the error; every case must wrap ErrBadKeystore
	}{
		{"ciphertext", editKeystore(t, data, func(m map[string]any) {
			c := section(m, "cipher")
			c["ciphertext"] = flipHex(c["ciphertext"].(string))
		}), "altered"},
		{"nonce", editKeystore(t, data, func(m map[string]any) {
			c := section(m, "cipher")
			c["nonce"] = flipHex(c["nonce"].(string))
		}), "altered"},
		{"public key only", editKeystore(t, data, func(m map[string]any) {
			m["public_key"] = other.Public().String()
		}), "does not belong to public key"},
		{"address only", editKeystore(t, data, func(m map[string]any) {
			m["address"] = other.Address().String()
		}), "does not belong to public key"},
		{"public key and address", editKeystore(t, data, func(m map[string]any) {
			m["public_key"] = other.Public().String()
			m["address"] = other.Address().String()
		}), "altered"},
		{"seed of another key", sealForTest(t, other.Seed(), k.Public()), "belongs to public key " + other.Public().String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecryptKey(tt.file, testPassphrase)
			if !errors.Is(err, ErrBadKeystore) {
				t.Fatalf("DecryptKey = %v, want ErrBadKeystore", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
		})
	}
	// sealForTest itself makes readable files: the failure above is the key mismatch.
	if _, err := DecryptKey(sealForTest(t, k.Seed(), k.Public()), testPassphrase); err != nil {
		t.Fatalf("well-formed hand-sealed file: %v", err)
	}
}

// Changing anything the key derivation depends on yields a different derived key,
// which cannot be told from a wrong passphrase. Either way the file must not open.
func TestDecryptKeyTamperedKDFInputs(t *testing.T) {
	data := encryptForTest(t, testKey(t, 1))
	edits := map[string]func(m map[string]any){
		"salt":       func(m map[string]any) { kdf := section(m, "kdf"); kdf["salt"] = flipHex(kdf["salt"].(string)) },
		"check":      func(m map[string]any) { kdf := section(m, "kdf"); kdf["check"] = flipHex(kdf["check"].(string)) },
		"memory_kib": func(m map[string]any) { section(m, "kdf")["memory_kib"] = 72 },
		"time":       func(m map[string]any) { section(m, "kdf")["time"] = 2 },
		"threads":    func(m map[string]any) { section(m, "kdf")["threads"] = 2 },
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			_, err := DecryptKey(editKeystore(t, data, edit), testPassphrase)
			if !errors.Is(err, ErrWrongPassphrase) && !errors.Is(err, ErrBadKeystore) {
				t.Fatalf("DecryptKey = %v, want a refusal", err)
			}
		})
	}
}

func TestDecryptKeyMalformed(t *testing.T) {
	data := encryptForTest(t, testKey(t, 1))
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"not JSON", []byte("hello"), "not valid JSON"},
		{"JSON null", []byte("null"), "no version field"},
		{"array", []byte("[1]"), "not a keystore file"},
		{"no version", editKeystore(t, data, func(m map[string]any) { delete(m, "version") }), "no version field"},
		{"version 2", editKeystore(t, data, func(m map[string]any) { m["version"] = 2; m["new_field"] = true }),
			"version 2 is not supported (this build reads version 1)"},
		{"version 0", editKeystore(t, data, func(m map[string]any) { m["version"] = 0 }), "version 0 is not supported"},
		{"version string", editKeystore(t, data, func(m map[string]any) { m["version"] = "1" }), "not a keystore file"},
		{"unknown field", editKeystore(t, data, func(m map[string]any) { m["comment"] = "x" }), `unknown field "comment"`},
		{"trailing data", append(append([]byte{}, data...), "{}"...), "after top-level value"},
		{"trailing brace", append(append([]byte{}, data...), "}"...), "after top-level value"},
		{"missing address", editKeystore(t, data, func(m map[string]any) { delete(m, "address") }), "missing address"},
		{"missing public key", editKeystore(t, data, func(m map[string]any) { delete(m, "public_key") }), "missing public_key"},
		{"missing kdf", editKeystore(t, data, func(m map[string]any) { delete(m, "kdf") }), "missing kdf"},
		{"missing cipher", editKeystore(t, data, func(m map[string]any) { delete(m, "cipher") }), "missing cipher"},
		{"mistyped address", editKeystore(t, data, func(m map[string]any) {
			a := m["address"].(string)
			c := "q"
			if a[10] == 'q' {
				c = "p"
			}
			m["address"] = a[:10] + c + a[11:]
		}), "checksum does not match"},
		{"bad public key", editKeystore(t, data, func(m map[string]any) { m["public_key"] = "00" }), "invalid public key"},
		{"scrypt", editKeystore(t, data, func(m map[string]any) { section(m, "kdf")["name"] = "scrypt" }), `kdf "scrypt" is not supported`},
		{"aes", editKeystore(t, data, func(m map[string]any) { section(m, "cipher")["name"] = "aes-gcm" }), `cipher "aes-gcm" is not supported`},
		{"short salt", editKeystore(t, data, func(m map[string]any) { section(m, "kdf")["salt"] = "0011" }), "salt is 2 bytes"},
		{"salt not hex", editKeystore(t, data, func(m map[string]any) { section(m, "kdf")["salt"] = "xyz" }), "invalid byte"},
		{"short check", editKeystore(t, data, func(m map[string]any) { section(m, "kdf")["check"] = "00" }), "check is 1 bytes"},
		{"short nonce", editKeystore(t, data, func(m map[string]any) { section(m, "cipher")["nonce"] = "00" }), "nonce is 1 bytes"},
		{"short ciphertext", editKeystore(t, data, func(m map[string]any) {
			c := section(m, "cipher")
			c["ciphertext"] = c["ciphertext"].(string)[:40]
		}), "ciphertext is 20 bytes"},
		{"negative time", editKeystore(t, data, func(m map[string]any) { section(m, "kdf")["time"] = -1 }), "cannot unmarshal"},
		{"too large", append(bytes.Repeat([]byte(" "), MaxKeystoreSize), data...), "limit 65536"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecryptKey(tt.file, testPassphrase)
			if !errors.Is(err, ErrBadKeystore) {
				t.Fatalf("DecryptKey = %v, want ErrBadKeystore", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
			if _, err := DecodeKeystoreAddress(tt.file); !errors.Is(err, ErrBadKeystore) {
				t.Fatalf("DecodeKeystoreAddress = %v, want ErrBadKeystore", err)
			}
		})
	}
}

func TestDecryptKeyTruncated(t *testing.T) {
	data := bytes.TrimSpace(encryptForTest(t, testKey(t, 1)))
	for n := 0; n < len(data); n++ {
		if _, err := DecryptKey(data[:n], testPassphrase); !errors.Is(err, ErrBadKeystore) {
			t.Fatalf("truncated to %d of %d bytes: %v, want ErrBadKeystore", n, len(data), err)
		}
	}
}

// A crafted file must not make the reader run Argon2id with huge costs: these files
// are refused before any key derivation, so the test is fast.
func TestDecryptKeyHostileKDFParams(t *testing.T) {
	data := encryptForTest(t, testKey(t, 1))
	tests := []struct {
		name              string
		memory, time, thr any
	}{
		{"4 GiB memory", 4 << 20, 1, 1},
		{"memory just over the limit", MaxKDFMemoryKiB + 1, 1, 1},
		{"max uint32 memory", uint32(1<<32 - 1), 1, 1},
		{"a million passes", 64, 1_000_000, 1},
		{"time just over the limit", 64, MaxKDFTime + 1, 1},
		{"zero passes", 64, 0, 1},
		{"zero threads", 64, 1, 0},
		{"256 threads", 64 * 256, 1, 256},
		{"threads just over the limit", 8 * 17, 1, MaxKDFThreads + 1},
		{"less than 8 KiB per lane", 31, 1, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := editKeystore(t, data, func(m map[string]any) {
				kdf := section(m, "kdf")
				kdf["memory_kib"], kdf["time"], kdf["threads"] = tt.memory, tt.time, tt.thr
			})
			_, err := DecryptKey(file, testPassphrase)
			if !errors.Is(err, ErrBadKeystore) || !errors.Is(err, ErrBadKDFParams) {
				t.Fatalf("DecryptKey = %v, want ErrBadKeystore and ErrBadKDFParams", err)
			}
		})
	}
}

func TestSaveLoadKeystore(t *testing.T) {
	dir, path, k := savedKeystore(t, 5)
	got, err := LoadKeystore(path, testPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	if got.Public() != k.Public() {
		t.Fatal("loaded another key")
	}
	addr, err := ReadKeystoreAddress(path)
	if err != nil || addr != k.Address() {
		t.Fatalf("ReadKeystoreAddress = %v, %v", addr, err)
	}
	if _, err := LoadKeystore(path, []byte("guess")); !errors.Is(err, ErrWrongPassphrase) ||
		!strings.Contains(err.Error(), path) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if runtime.GOOS != "windows" {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if mode := info.Mode().Perm(); mode != 0o600 {
			t.Fatalf("mode %v, want 0600", mode)
		}
	}
	// Nothing but the keystore is left in the directory.
	onlyKeystoreIn(t, dir)
}

func TestSaveKeystoreRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wallet.key")
	first, second := testKey(t, 6), testKey(t, 7)
	if err := SaveKeystore(path, first, testPassphrase, WithKDFParams(testKDF)); err != nil {
		t.Fatal(err)
	}
	err := SaveKeystore(path, second, testPassphrase, WithKDFParams(testKDF))
	if !errors.Is(err, ErrKeystoreExists) {
		t.Fatalf("second save: %v, want ErrKeystoreExists", err)
	}
	if got, err := LoadKeystore(path, testPassphrase); err != nil || got.Public() != first.Public() {
		t.Fatalf("the first key was replaced (%v)", err)
	}
	// The atomic no-clobber step refuses too, even when the early check passed.
	if err := writeKeystoreFile(path, encryptForTest(t, second), false); !errors.Is(err, ErrKeystoreExists) {
		t.Fatalf("writeKeystoreFile without overwrite: %v", err)
	}
	if err := SaveKeystore(path, second, testPassphrase, WithKDFParams(testKDF), WithOverwrite()); err != nil {
		t.Fatal(err)
	}
	if got, err := LoadKeystore(path, testPassphrase); err != nil || got.Public() != second.Public() {
		t.Fatalf("overwrite did not take (%v)", err)
	}
	onlyKeystoreIn(t, dir)
}

func TestSaveKeystoreErrors(t *testing.T) {
	dir := t.TempDir()
	k := testKey(t, 1)
	missingDir := filepath.Join(dir, "no", "such", "dir", "wallet.key")
	if err := SaveKeystore(missingDir, k, testPassphrase, WithKDFParams(testKDF)); err == nil {
		t.Fatal("saved into a missing directory")
	}
	path := filepath.Join(dir, "wallet.key")
	if err := SaveKeystore(path, k, nil, WithKDFParams(testKDF)); !errors.Is(err, ErrEmptyPassphrase) {
		t.Fatalf("empty passphrase: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("a refused save left a file behind")
	}
	if _, err := LoadKeystore(filepath.Join(dir, "absent.key"), testPassphrase); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	big := filepath.Join(dir, "big.key")
	if err := os.WriteFile(big, bytes.Repeat([]byte(" "), MaxKeystoreSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeystore(big, testPassphrase); !errors.Is(err, ErrBadKeystore) {
		t.Fatalf("oversized file: %v", err)
	}
	if _, err := ReadKeystoreAddress(big); !errors.Is(err, ErrBadKeystore) {
		t.Fatalf("oversized file: %v", err)
	}
}

func TestExportImportKeystore(t *testing.T) {
	dir, path, k := savedKeystore(t, 8)
	onDisk, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := ExportKeystore(path, []byte("guess"), nil); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("export with a wrong passphrase: %v", err)
	}
	if _, err := ExportKeystore(path, testPassphrase, []byte{}); !errors.Is(err, ErrEmptyPassphrase) {
		t.Fatalf("export under an empty passphrase: %v", err)
	}
	same, err := ExportKeystore(path, testPassphrase, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(same, onDisk) {
		t.Fatal("export without a new passphrase is not the file itself")
	}

	newPassphrase := []byte("a different passphrase for the backup")
	backup, err := ExportKeystore(path, testPassphrase, newPassphrase, WithKDFParams(importFloorKDF))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecryptKey(backup, testPassphrase); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("backup opens with the old passphrase: %v", err)
	}

	restored := filepath.Join(dir, "restored.key")
	if _, err := ImportKeystore(restored, backup, testPassphrase); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("import with the old passphrase: %v", err)
	}
	if _, err := os.Stat(restored); !os.IsNotExist(err) {
		t.Fatal("a refused import left a file behind")
	}
	broken := bytes.Replace(backup, []byte(`"version": 1`), []byte(`"version": 9`), 1)
	if _, err := ImportKeystore(restored, broken, newPassphrase); !errors.Is(err, ErrBadKeystore) {
		t.Fatalf("import of a broken backup: %v", err)
	}
	got, err := ImportKeystore(restored, backup, newPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	if got.Public() != k.Public() {
		t.Fatal("import returned another key")
	}
	if loaded, err := LoadKeystore(restored, newPassphrase); err != nil || loaded.Public() != k.Public() {
		t.Fatalf("imported file does not load: %v", err)
	}
	if _, err := ImportKeystore(path, backup, newPassphrase); !errors.Is(err, ErrKeystoreExists) {
		t.Fatalf("import over an existing keystore: %v", err)
	}
	if _, err := ImportKeystore(path, backup, newPassphrase, WithOverwrite()); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeystore(path, newPassphrase); err != nil {
		t.Fatalf("overwritten keystore does not open with the new passphrase: %v", err)
	}
}

// importFloorKDF are the cheapest costs ImportKeystore accepts.
var importFloorKDF = KDFParams{MemoryKiB: MinImportKDFMemoryKiB, Time: MinImportKDFTime, Threads: 1}

// TestImportRefusesWeakKDF: a backup whose Argon2id costs are below the floor is
// refused with ErrWeakKDFParams, whatever the passphrase, and leaves no file; one at
// the floor imports.
func TestImportRefusesWeakKDF(t *testing.T) {
	k := testKey(t, 9)
	for _, tc := range []struct {
		name string
		kdf  KDFParams
		weak bool
	}{
		{"the least Argon2 allows", KDFParams{MemoryKiB: 8, Time: 1, Threads: 1}, true},
		{"8 KiB a lane", KDFParams{MemoryKiB: 32, Time: 3, Threads: 4}, true},
		{"memory below the floor", KDFParams{MemoryKiB: MinImportKDFMemoryKiB - 1, Time: MinImportKDFTime, Threads: 1}, true},
		{"one pass", KDFParams{MemoryKiB: 64 << 10, Time: 1, Threads: 4}, true},
		{"the floor", importFloorKDF, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backup, err := EncryptKey(k, testPassphrase, WithKDFParams(tc.kdf))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "wallet.key")
			got, err := ImportKeystore(path, backup, testPassphrase)
			if !tc.weak {
				if err != nil || got.Public() != k.Public() {
					t.Fatalf("import at the floor: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrWeakKDFParams) {
				t.Fatalf("import of %+v: %v, want ErrWeakKDFParams", tc.kdf, err)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Fatal("a refused import left a file behind")
			}
			if _, err := ImportKeystore(path, backup, []byte("wrong")); !errors.Is(err, ErrWeakKDFParams) {
				t.Fatalf("weak costs are refused before the passphrase is tried: %v", err)
			}
		})
	}
}

// fuzzKDFLimits cap Argon2id far below the file limits so each fuzz run stays fast; the
// parsing and checks are the same as DecryptKey's.
var fuzzKDFLimits = kdfLimits{maxMemoryKiB: 128, maxTime: 2, maxThreads: 2}

func FuzzDecryptKey(f *testing.F) {
	k := testKey(f, 1)
	valid := encryptForTest(f, k)
	f.Add(valid, testPassphrase)
	f.Add(valid, []byte("wrong"))
	f.Add(valid, []byte{})
	f.Add(valid[:len(valid)/2], testPassphrase)
	f.Add(bytes.Replace(valid, []byte(`"version": 1`), []byte(`"version": 2`), 1), testPassphrase)
	f.Add(bytes.Replace(valid, []byte(`"memory_kib": 64`), []byte(`"memory_kib": 4194304`), 1), testPassphrase)
	f.Add([]byte(`{"version":1}`), testPassphrase)
	f.Add([]byte(`null`), testPassphrase)
	f.Fuzz(func(t *testing.T, data, passphrase []byte) {
		got, err := decryptKey(data, passphrase, fuzzKDFLimits)
		if err != nil {
			if !errors.Is(err, ErrBadKeystore) && !errors.Is(err, ErrWrongPassphrase) && !errors.Is(err, ErrEmptyPassphrase) {
				t.Fatalf("error %v wraps no keystore sentinel", err)
			}
			return
		}
		file, err := decodeKeystore(data, fuzzKDFLimits)
		if err != nil {
			t.Fatalf("decrypted a file that does not decode: %v", err)
		}
		if got.Public() != *file.PublicKey || got.Address() != *file.Address {
			t.Fatalf("decrypted key %s, file claims %s", got.Address(), file.Address)
		}
	})
}

// onlyKeystoreIn fails the test unless the keystore is all that dir holds: a save
// leaves no temporary file behind.
func onlyKeystoreIn(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the keystore", len(entries))
	}
}

// savedKeystore saves test key n in a keystore of a new directory and returns the
// directory, the keystore's path and the key.
func savedKeystore(t *testing.T, n byte) (dir, path string, k *Key) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "wallet.key")
	k = testKey(t, n)
	if err := SaveKeystore(path, k, testPassphrase, WithKDFParams(testKDF)); err != nil {
		t.Fatal(err)
	}
	return dir, path, k
}
