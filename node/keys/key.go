package keys

import (
	"encoding/hex"
	"fmt"
	"io"

	"github.com/oasisprotocol/curve25519-voi/curve"
	"github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
	"github.com/oasisprotocol/curve25519-voi/primitives/ed25519/extra/ecvrf"
)

// Sizes of the fixed-length values in this package.
const (
	PublicKeySize = ed25519.PublicKeySize
	SignatureSize = ed25519.SignatureSize
	SeedSize      = ed25519.SeedSize
	ProofSize     = ecvrf.ProofSize
	OutputSize    = ecvrf.OutputSize
)

// PublicKey is an ed25519 public key: the identity of a miner, provider, buyer or trustee.
type PublicKey [PublicKeySize]byte

// String returns the key in hex.
func (p PublicKey) String() string { return hex.EncodeToString(p[:]) }

// ParsePublicKey reads a hex-encoded public key and checks that it is a point on the
// curve, so a key that could never sign is caught where it is read, not where its
// signatures fail.
func ParsePublicKey(s string) (PublicKey, error) {
	var p PublicKey
	if len(s) != 2*PublicKeySize {
		return p, fmt.Errorf("%w: %d characters, want %d hex digits", ErrBadPublicKey, len(s), 2*PublicKeySize)
	}
	if _, err := hex.Decode(p[:], []byte(s)); err != nil {
		return PublicKey{}, fmt.Errorf("%w: %v", ErrBadPublicKey, err)
	}
	compressed := curve.CompressedEdwardsY(p)
	if _, err := curve.NewEdwardsPoint().SetCompressedY(&compressed); err != nil {
		return PublicKey{}, fmt.Errorf("%w: not a point on the curve", ErrBadPublicKey)
	}
	return p, nil
}

// MarshalText returns the key in hex, so JSON files show keys as strings.
func (p PublicKey) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText parses a hex-encoded key; see ParsePublicKey.
func (p *PublicKey) UnmarshalText(text []byte) error {
	parsed, err := ParsePublicKey(string(text))
	if err != nil {
		return err
	}
	*p = parsed
	return nil
}

// Address returns the address derived from the key.
func (p PublicKey) Address() Address { return AddressOf(p) }

// Verify reports whether sig is a valid signature of msg by p.
func (p PublicKey) Verify(msg, sig []byte) bool {
	if len(sig) != SignatureSize {
		return false
	}
	return ed25519.Verify(ed25519.PublicKey(p[:]), msg, sig)
}

// Key is a private signing key. The zero value is not usable; use Generate or FromSeed.
type Key struct {
	priv ed25519.PrivateKey
	pub  PublicKey
}

// Generate makes a new key from rand (crypto/rand.Reader in production).
func Generate(rand io.Reader) (*Key, error) {
	seed := make([]byte, SeedSize)
	if _, err := io.ReadFull(rand, seed); err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return FromSeed(seed)
}

// FromSeed rebuilds a key from its 32-byte seed.
func FromSeed(seed []byte) (*Key, error) {
	if len(seed) != SeedSize {
		return nil, fmt.Errorf("key seed: want %d bytes, got %d", SeedSize, len(seed))
	}
	priv := ed25519.NewKeyFromSeed(seed)
	k := &Key{priv: priv}
	copy(k.pub[:], priv[SeedSize:])
	return k, nil
}

// Seed returns the 32-byte seed the key is derived from. Treat it as secret.
func (k *Key) Seed() []byte { return append([]byte(nil), k.priv.Seed()...) }

// Public returns the public half.
func (k *Key) Public() PublicKey { return k.pub }

// Address returns the address of the public half.
func (k *Key) Address() Address { return AddressOf(k.pub) }

// Sign signs msg.
func (k *Key) Sign(msg []byte) []byte { return ed25519.Sign(k.priv, msg) }

// VRFProve returns the RFC 9381 ECVRF-EDWARDS25519-SHA512-ELL2 proof for alpha and its
// output beta. The proof is deterministic: one key and one alpha give one proof.
func (k *Key) VRFProve(alpha []byte) (proof, beta []byte) {
	proof = ecvrf.Prove(k.priv, alpha)
	beta, err := ecvrf.ProofToHash(proof)
	if err != nil {
		// A proof we just made always decodes.
		panic("keys: fresh VRF proof does not decode: " + err.Error())
	}
	return proof, beta
}

// VRFVerify checks a VRF proof of alpha by pub and returns its output beta.
func VRFVerify(pub PublicKey, alpha, proof []byte) (beta []byte, err error) {
	if len(proof) != ProofSize {
		return nil, fmt.Errorf("%w: want %d bytes, got %d", ErrBadProof, ProofSize, len(proof))
	}
	ok, beta := ecvrf.Verify(ed25519.PublicKey(pub[:]), proof, alpha)
	if !ok {
		return nil, ErrBadProof
	}
	return beta, nil
}
