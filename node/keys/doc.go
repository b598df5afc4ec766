// Package keys holds Daoli identities (docs/keys.md).
//
// Every participant (miner, provider, buyer, trustee) is an ed25519 Key; its
// PublicKey signs, and BatchVerifier checks many signatures at once for certificate
// checks. The same key proves luck with the RFC 9381 VRF
// ECVRF-EDWARDS25519-SHA512-ELL2 (Key.VRFProve, VRFVerify).
//
// An Address is a hash prefix of the public key. Its text form is bech32m with the
// prefix "dao1" (String, ParseAddress): the checksum rejects a mistyped address rather
// than letting it be paid, and ParseAddress says what is wrong with one.
//
// A key at rest lives in a keystore file: the seed encrypted with XChaCha20-Poly1305
// under a key derived from a passphrase by Argon2id, with the address in the clear
// (EncryptKey, DecryptKey, SaveKeystore, LoadKeystore, ReadKeystoreAddress,
// ExportKeystore, ImportKeystore). Files are written whole or not at all, with mode
// 0600, and never over an existing keystore unless asked. Readers bound the file size
// and the KDF costs a file may ask for.
//
// A key that a process must read unattended (a trustee's, a development network's
// funded users') lives in a key file instead: the seed in the clear, mode 0600, refused
// when others may read it (SaveKeyFile, LoadKeyFile; keyfile.go).
package keys
