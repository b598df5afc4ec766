// Package keys holds Daoli identities: ed25519 key pairs, the addresses derived from
// them (with a checksum, so a mistyped address is rejected rather than paid), the
// RFC 9381 VRF used for luck, and the passphrase-encrypted keystore that keeps a key at
// rest.
package keys
