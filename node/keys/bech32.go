package keys

import "errors"

// Bech32m (BIP-350) is the checksummed text form of addresses. Its BCH code detects
// every error that changes up to four characters, so a typo or two cannot turn one
// valid address into another. Only what addresses need is here: a fixed-length payload
// and the bech32m constant, never the older bech32 one.

const bech32Alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// bech32mConst is the value the checksum polynomial must leave for bech32m (BIP-350).
const bech32mConst = 0x2bc830a3

// bech32ChecksumLen is the number of checksum characters at the end of a string.
const bech32ChecksumLen = 6

// bech32MaxLen is the longest string BIP-173 allows.
const bech32MaxLen = 90

// bech32Value maps an ASCII byte to its 5-bit value, or -1 outside the alphabet.
var bech32Value = func() (v [256]int8) {
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < len(bech32Alphabet); i++ {
		v[bech32Alphabet[i]] = int8(i)
	}
	return v
}()

var (
	errBech32Case     = errors.New("mixes upper and lower case")
	errBech32Sep      = errors.New("no separator '1' between prefix and data")
	errBech32Length   = errors.New("too long or too short")
	errBech32Char     = errors.New("character outside the bech32 alphabet")
	errBech32Checksum = errors.New("checksum does not match")
	errBech32Padding  = errors.New("non-zero padding bits")
)

func bech32Polymod(values []byte, chk uint32) uint32 {
	generator := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i, g := range generator {
			if (top>>uint(i))&1 == 1 {
				chk ^= g
			}
		}
	}
	return chk
}

// bech32HRPPolymod feeds the human-readable part into the checksum the way BIP-173
// expands it: high bits, a zero, then low bits.
func bech32HRPPolymod(hrp string) uint32 {
	chk := uint32(1)
	for i := 0; i < len(hrp); i++ {
		chk = bech32Polymod([]byte{hrp[i] >> 5}, chk)
	}
	chk = bech32Polymod([]byte{0}, chk)
	for i := 0; i < len(hrp); i++ {
		chk = bech32Polymod([]byte{hrp[i] & 31}, chk)
	}
	return chk
}

// bech32mChecksum returns the six 5-bit checksum values for hrp (lower case) and data.
func bech32mChecksum(hrp string, data []byte) [bech32ChecksumLen]byte {
	chk := bech32Polymod(data, bech32HRPPolymod(hrp))
	chk = bech32Polymod(make([]byte, bech32ChecksumLen), chk) ^ bech32mConst
	var sum [bech32ChecksumLen]byte
	for i := range sum {
		sum[i] = byte(chk>>(5*(5-i))) & 31
	}
	return sum
}

// bech32mValid reports whether data, checksum included, carries a valid bech32m
// checksum for hrp (lower case).
func bech32mValid(hrp string, data []byte) bool {
	return bech32Polymod(data, bech32HRPPolymod(hrp)) == bech32mConst
}

// bech32mEncode writes hrp (lower case), the separator, data (5-bit values) and the
// checksum.
func bech32mEncode(hrp string, data []byte) string {
	sum := bech32mChecksum(hrp, data)
	b := make([]byte, 0, len(hrp)+1+len(data)+len(sum))
	b = append(b, hrp...)
	b = append(b, '1')
	for _, v := range data {
		b = append(b, bech32Alphabet[v])
	}
	for _, v := range sum {
		b = append(b, bech32Alphabet[v])
	}
	return string(b)
}

// bech32mDecode splits s at its last '1' and checks case, alphabet and checksum. It
// returns the lower-case hrp and the 5-bit data values without the checksum.
func bech32mDecode(s string) (hrp string, data []byte, err error) {
	if len(s) > bech32MaxLen {
		return "", nil, errBech32Length
	}
	if hasMixedCase(s) {
		return "", nil, errBech32Case
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 33 || s[i] > 126 {
			return "", nil, errBech32Char
		}
	}
	s = asciiLower(s)
	sep := -1
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '1' {
			sep = i
			break
		}
	}
	if sep < 1 {
		return "", nil, errBech32Sep
	}
	if len(s)-sep-1 < bech32ChecksumLen {
		return "", nil, errBech32Length
	}
	hrp = s[:sep]
	data = make([]byte, len(s)-sep-1)
	for i := range data {
		v := bech32Value[s[sep+1+i]]
		if v < 0 {
			return "", nil, errBech32Char
		}
		data[i] = byte(v)
	}
	if !bech32mValid(hrp, data) {
		return "", nil, errBech32Checksum
	}
	return hrp, data[:len(data)-bech32ChecksumLen], nil
}

// bytesToBase32 regroups bytes into 5-bit values, padding the last group with zeros.
func bytesToBase32(b []byte) []byte {
	out := make([]byte, 0, (len(b)*8+4)/5)
	var acc uint32
	var bits uint
	for _, x := range b {
		acc = acc<<8 | uint32(x)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out = append(out, byte(acc>>bits)&31)
		}
	}
	if bits > 0 {
		out = append(out, byte(acc<<(5-bits))&31)
	}
	return out
}

// base32ToBytes regroups 5-bit values into bytes. Leftover bits must be fewer than
// eight and zero, so every byte string has exactly one text form.
func base32ToBytes(data []byte) ([]byte, error) {
	out := make([]byte, 0, len(data)*5/8)
	var acc uint32
	var bits uint
	for _, v := range data {
		if v > 31 {
			return nil, errBech32Char
		}
		acc = acc<<5 | uint32(v)
		bits += 5
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	if bits >= 5 || acc&(1<<bits-1) != 0 {
		return nil, errBech32Padding
	}
	return out, nil
}

func hasMixedCase(s string) bool {
	var lower, upper bool
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z':
			lower = true
		case 'A' <= c && c <= 'Z':
			upper = true
		}
	}
	return lower && upper
}

// asciiLower lowers ASCII letters only, so byte positions stay as they were.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
