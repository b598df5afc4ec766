package keys

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// AddressSize is the length of an address's hash.
const AddressSize = 20

// AddressHRP is the human-readable part of an address's text form; the text form starts
// with AddressPrefix.
const (
	AddressHRP    = "dao"
	AddressPrefix = AddressHRP + "1"
)

// AddressTextLen is the length of an address's text form: the prefix, 32 characters of
// hash and 6 of checksum.
const AddressTextLen = len(AddressPrefix) + (AddressSize*8+4)/5 + bech32ChecksumLen

// Address identifies an account: the first 20 bytes of SHA-256 over a domain tag and
// the public key. Its text form is bech32m with the prefix "dao1", e.g.
// dao1qqqsyqcyq5rqwzqfpg9scrgwpugpzysn04mtz6 (42 characters).
type Address [AddressSize]byte

// AddressOf derives the address of a public key.
func AddressOf(p PublicKey) Address {
	h := sha256.New()
	h.Write([]byte("daoli/address/v1"))
	h.Write(p[:])
	var a Address
	copy(a[:], h.Sum(nil))
	return a
}

// IsZero reports whether a is the zero address, which no key has.
func (a Address) IsZero() bool { return a == Address{} }

// String returns the text form, in lower case.
func (a Address) String() string {
	return bech32mEncode(AddressHRP, bytesToBase32(a[:]))
}

// MarshalText returns the text form, so JSON files show addresses as strings.
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText parses the text form; see ParseAddress.
func (a *Address) UnmarshalText(text []byte) error {
	parsed, err := ParseAddress(string(text))
	if err != nil {
		return err
	}
	*a = parsed
	return nil
}

// ParseAddress reads the text form of an address. It accepts all lower or all upper
// case (upper case suits QR codes) and rejects anything else: another prefix, another
// length, a character outside the alphabet, mixed case, or a checksum that does not
// match, which is what a mistyped character gives. The checks run in the order a
// person would look for the mistake, so the error says what is wrong.
func ParseAddress(s string) (Address, error) {
	var a Address
	if hasMixedCase(s) {
		return a, badAddress(s, "mixes upper and lower case")
	}
	lower := asciiLower(s)
	if !strings.HasPrefix(lower, AddressPrefix) {
		if i := strings.LastIndexByte(lower, '1'); i > 0 && i < 16 {
			return a, badAddress(s, "prefix %q, want %q", lower[:i+1], AddressPrefix)
		}
		return a, badAddress(s, "does not start with %q", AddressPrefix)
	}
	if len(s) != AddressTextLen {
		return a, badAddress(s, "%d characters, want %d", len(s), AddressTextLen)
	}
	for i := len(AddressPrefix); i < len(lower); i++ {
		if bech32Value[lower[i]] < 0 {
			return a, badAddress(s, "character %d, %q, is not in the address alphabet %q", i+1, s[i:i+1], bech32Alphabet)
		}
	}
	hrp, data, err := bech32mDecode(lower)
	switch {
	case errors.Is(err, errBech32Checksum):
		return a, badAddress(s, "checksum does not match: mistyped?")
	case err != nil:
		return a, badAddress(s, "%v", err)
	case hrp != AddressHRP:
		// The prefix was checked above; a different split would be a decoder bug.
		panic("keys: bech32 split " + strconv.Quote(hrp) + " after the prefix check")
	}
	raw, err := base32ToBytes(data)
	if err != nil || len(raw) != AddressSize {
		// 32 characters always hold exactly 20 bytes with no padding.
		panic(fmt.Sprintf("keys: %d address characters decoded to %d bytes: %v", len(data), len(raw), err))
	}
	copy(a[:], raw)
	return a, nil
}

// badAddress wraps ErrBadAddress with the input (shortened if long) and the reason.
func badAddress(s, format string, args ...any) error {
	const maxShown = 64
	shown := s
	if len(shown) > maxShown {
		shown = shown[:maxShown] + "..."
	}
	return fmt.Errorf("%w %q: %s", ErrBadAddress, shown, fmt.Sprintf(format, args...))
}
