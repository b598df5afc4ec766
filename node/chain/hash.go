package chain

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Hash is a SHA-256 digest.
type Hash [32]byte

// String returns the hash in hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Short returns the first 8 hex digits, for logs.
func (h Hash) Short() string { return hex.EncodeToString(h[:4]) }

// IsZero reports whether h is all zeros (the empty hash).
func (h Hash) IsZero() bool { return h == Hash{} }

// MarshalText encodes the hash in hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText parses a hex hash.
func (h *Hash) UnmarshalText(b []byte) error {
	p, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = p
	return nil
}

// ParseHash parses 64 hex digits.
func ParseHash(s string) (Hash, error) {
	var h Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("%w: want 64 hex digits", ErrMalformed)
	}
	copy(h[:], b)
	return h, nil
}

// hashTagged hashes a domain tag followed by parts; tags keep the hashes of different
// kinds of object from ever colliding.
func hashTagged(tag string, parts ...[]byte) Hash {
	d := sha256.New()
	d.Write([]byte(tag))
	for _, p := range parts {
		d.Write(p)
	}
	var h Hash
	d.Sum(h[:0])
	return h
}

// MerkleRoot is the root of a binary Merkle tree over leaves (RFC 6962 style: leaf and
// inner hashes are domain-separated, an odd node is promoted). The empty list has the
// zero root.
func MerkleRoot(leaves []Hash) Hash {
	if len(leaves) == 0 {
		return Hash{}
	}
	level := make([]Hash, len(leaves))
	for i, l := range leaves {
		level[i] = hashTagged("daoli/merkle/leaf", l[:])
	}
	for len(level) > 1 {
		next := level[:0:0]
		for i := 0; i < len(level); i += 2 {
			if i+1 == len(level) {
				next = append(next, level[i])
				continue
			}
			next = append(next, hashTagged("daoli/merkle/node", level[i][:], level[i+1][:]))
		}
		level = next
	}
	return level[0]
}
