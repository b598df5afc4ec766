package keys

import "errors"

var (
	// ErrBadAddress reports an address that is malformed or whose checksum fails.
	ErrBadAddress = errors.New("invalid address")
	// ErrBadPublicKey reports bytes that are not a usable ed25519 public key.
	ErrBadPublicKey = errors.New("invalid public key")
	// ErrBadProof reports a VRF proof that does not verify.
	ErrBadProof = errors.New("invalid VRF proof")
)
