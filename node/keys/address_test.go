package keys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// testKey returns a key derived from a fixed seed, so tests are deterministic.
func testKey(t testing.TB, n byte) *Key {
	t.Helper()
	k, err := FromSeed(bytes.Repeat([]byte{n}, SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sequentialAddress() Address {
	var a Address
	for i := range a {
		a[i] = byte(i)
	}
	return a
}

func TestAddressRoundTrip(t *testing.T) {
	addrs := []Address{{}, sequentialAddress()}
	var ones Address
	for i := range ones {
		ones[i] = 0xff
	}
	addrs = append(addrs, ones)
	for n := byte(1); n <= 32; n++ {
		addrs = append(addrs, testKey(t, n).Address())
	}
	for _, a := range addrs {
		s := a.String()
		if len(s) != AddressTextLen || !strings.HasPrefix(s, AddressPrefix) {
			t.Fatalf("%x: text form %q, want %d characters starting with %q", a[:], s, AddressTextLen, AddressPrefix)
		}
		for _, text := range []string{s, strings.ToUpper(s)} {
			got, err := ParseAddress(text)
			if err != nil {
				t.Fatalf("ParseAddress(%q): %v", text, err)
			}
			if got != a {
				t.Fatalf("ParseAddress(%q) = %x, want %x", text, got[:], a[:])
			}
		}
	}
}

// The text form is pinned so a change to the encoding cannot slip through: addresses
// are written down by people and in genesis files.
func TestAddressKnownText(t *testing.T) {
	const want = "dao1qqqsyqcyq5rqwzqfpg9scrgwpugpzysn04mtz6"
	if got := sequentialAddress().String(); got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
}

func TestAddressEverySingleTypoIsRejected(t *testing.T) {
	for _, a := range []Address{sequentialAddress(), testKey(t, 7).Address()} {
		s := a.String()
		for pos := 0; pos < len(s); pos++ {
			for c := byte(0); c < 128; c++ {
				if c == s[pos] {
					continue
				}
				typo := s[:pos] + string(rune(c)) + s[pos+1:]
				if strings.ToLower(typo) == s {
					// Changing one letter's case is a case error, tested apart.
					continue
				}
				if _, err := ParseAddress(typo); !errors.Is(err, ErrBadAddress) {
					t.Fatalf("typo %q at position %d accepted (err %v)", typo, pos, err)
				}
			}
		}
	}
}

func TestAddressSwappedNeighboursAreRejected(t *testing.T) {
	s := testKey(t, 9).Address().String()
	for pos := len(AddressPrefix); pos+1 < len(s); pos++ {
		if s[pos] == s[pos+1] {
			continue
		}
		b := []byte(s)
		b[pos], b[pos+1] = b[pos+1], b[pos]
		if _, err := ParseAddress(string(b)); !errors.Is(err, ErrBadAddress) {
			t.Fatalf("swap at %d accepted: %q (err %v)", pos, b, err)
		}
	}
}

func TestParseAddressErrors(t *testing.T) {
	good := sequentialAddress().String()
	mistyped := []byte(good)
	mistyped[10] = 'q'
	if mistyped[10] == good[10] {
		mistyped[10] = 'p'
	}
	mixed := []byte(good)
	mixed[5] = mixed[5] - 'a' + 'A'
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", `does not start with "dao1"`},
		{"checksum", string(mistyped), "checksum does not match: mistyped?"},
		{"other prefix", "bc1" + good[4:], `prefix "bc1", want "dao1"`},
		{"no prefix", good[4:], `does not start with "dao1"`},
		{"hex instead", strings.Repeat("ab", AddressSize), `does not start with "dao1"`},
		{"mixed case", string(mixed), "mixes upper and lower case"},
		{"one short", good[:len(good)-1], "41 characters, want 42"},
		{"one long", good + "q", "43 characters, want 42"},
		{"very long", good + strings.Repeat("q", 1000), "1042 characters, want 42"},
		{"letter b", good[:20] + "b" + good[21:], `character 21, "b", is not in the address alphabet`},
		{"trailing space", good[:41] + " ", `character 42, " ", is not in the address alphabet`},
		{"non-ASCII", good[:40] + "é", `character 41, "\xc3", is not in the address alphabet`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAddress(tt.in)
			if !errors.Is(err, ErrBadAddress) {
				t.Fatalf("ParseAddress(%q) = %v, want ErrBadAddress", tt.in, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
			if len(err.Error()) > 256 {
				t.Fatalf("error is %d bytes long; a long input must be shortened", len(err.Error()))
			}
		})
	}
}

// A valid bech32m string for another prefix is not a Daoli address, even though its
// checksum holds.
func TestParseAddressRejectsOtherNetworksAddress(t *testing.T) {
	a := sequentialAddress()
	other := bech32mEncode("tdao", bytesToBase32(a[:]))
	if _, err := ParseAddress(other); !errors.Is(err, ErrBadAddress) || !strings.Contains(err.Error(), `prefix "tdao1"`) {
		t.Fatalf("ParseAddress(%q) = %v", other, err)
	}
}

// The checksum is bech32m, not the older bech32: the same data with a bech32 checksum
// is rejected.
func TestParseAddressRejectsBech32Checksum(t *testing.T) {
	a := sequentialAddress()
	data := bytesToBase32(a[:])
	chk := bech32Polymod(append(append([]byte{}, data...), make([]byte, 6)...), bech32HRPPolymod(AddressHRP)) ^ 1
	s := AddressPrefix
	for _, v := range data {
		s += string(bech32Alphabet[v])
	}
	for i := 0; i < 6; i++ {
		s += string(bech32Alphabet[(chk>>(5*(5-i)))&31])
	}
	if _, err := ParseAddress(s); !errors.Is(err, ErrBadAddress) {
		t.Fatalf("bech32 (not bech32m) address %q accepted", s)
	}
}

// BIP-350 test vectors check the checksum code against the standard, independently of
// the address prefix.
func TestBech32mVectors(t *testing.T) {
	valid := []string{
		"A1LQFN3A",
		"a1lqfn3a",
		"an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
		"abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
		"11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
		"split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
		"?1v759aa",
	}
	for _, s := range valid {
		hrp, data, err := bech32mDecode(s)
		if err != nil {
			t.Fatalf("valid %q: %v", s, err)
		}
		if got := bech32mEncode(hrp, data); got != strings.ToLower(s) {
			t.Fatalf("re-encoding %q gave %q", s, got)
		}
	}
	invalid := []string{
		"\x201xj0phk", // hrp character out of range
		"\x7f1g6xzxy", // hrp character out of range
		"\x801vctc34", // hrp character out of range
		"an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4", // too long
		"qyrz8wqd2c9m",  // no separator
		"1qyrz8wqd2c9m", // empty hrp
		"y1b0jsk6g",     // invalid data character
		"lt1igcx5c0",    // invalid data character
		"in1muywd",      // too short checksum
		"mm1crxm3i",     // invalid character in checksum
		"au1s5cgom",     // invalid character in checksum
		"M1VUXWEZ",      // checksum calculated with uppercase hrp
		"16plkw9",       // empty hrp
		"1p2gdwpf",      // empty hrp
		"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", // bech32, not bech32m
	}
	for _, s := range invalid {
		if _, _, err := bech32mDecode(s); err == nil {
			t.Fatalf("invalid %q accepted", s)
		}
	}
}

func TestBase32Padding(t *testing.T) {
	tests := []struct {
		in      []byte
		want    []byte
		wantErr bool
	}{
		{in: nil, want: []byte{}},
		{in: []byte{31, 28}, want: []byte{0xff}},
		{in: []byte{31, 29}, wantErr: true}, // non-zero padding bit
		{in: []byte{31}, wantErr: true},     // five bits cannot make a byte
		{in: []byte{32}, wantErr: true},     // not a 5-bit value
	}
	for _, tt := range tests {
		got, err := base32ToBytes(tt.in)
		if (err != nil) != tt.wantErr || !tt.wantErr && !bytes.Equal(got, tt.want) {
			t.Fatalf("base32ToBytes(%v) = %v, %v", tt.in, got, err)
		}
	}
	for n := 0; n < 40; n++ {
		b := bytes.Repeat([]byte{0xa5}, n)
		got, err := base32ToBytes(bytesToBase32(b))
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("%d bytes: round trip gave %x, %v", n, got, err)
		}
	}
}

func TestJSONShowsStrings(t *testing.T) {
	k := testKey(t, 3)
	type record struct {
		Address Address   `json:"address"`
		Key     PublicKey `json:"key"`
	}
	in := record{Address: k.Address(), Key: k.Public()}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"address":%q,"key":%q}`, k.Address(), k.Public())
	if string(data) != want {
		t.Fatalf("JSON %s, want %s", data, want)
	}
	var out record
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Fatalf("round trip gave %+v, want %+v", out, in)
	}

	mistyped := strings.Replace(string(data), k.Address().String()[:12], k.Address().String()[:11]+"x", 1)
	if mistyped == string(data) {
		mistyped = strings.Replace(string(data), k.Address().String()[:12], k.Address().String()[:11]+"y", 1)
	}
	if err := json.Unmarshal([]byte(mistyped), &out); !errors.Is(err, ErrBadAddress) {
		t.Fatalf("mistyped address in JSON: %v, want ErrBadAddress", err)
	}
}

func TestParsePublicKey(t *testing.T) {
	k := testKey(t, 4)
	got, err := ParsePublicKey(k.Public().String())
	if err != nil || got != k.Public() {
		t.Fatalf("ParsePublicKey(own String) = %v, %v", got, err)
	}
	got, err = ParsePublicKey(strings.ToUpper(k.Public().String()))
	if err != nil || got != k.Public() {
		t.Fatalf("ParsePublicKey(upper case) = %v, %v", got, err)
	}
	// y = 2 has no x on edwards25519: (y²-1)/(dy²+1) is not a square.
	notOnCurve := "02" + strings.Repeat("00", PublicKeySize-1)
	for _, in := range []string{
		"",
		k.Public().String()[:62],
		k.Public().String() + "00",
		"zz" + k.Public().String()[2:],
		notOnCurve,
	} {
		if _, err := ParsePublicKey(in); !errors.Is(err, ErrBadPublicKey) {
			t.Fatalf("ParsePublicKey(%q) = %v, want ErrBadPublicKey", in, err)
		}
	}
}

func ExampleParseAddress() {
	_, err := ParseAddress("dao1qqqsyqcyq5rqwzqfpg9scrgwpugpzysn04mtzq")
	fmt.Println(err)
	// Output: invalid address "dao1qqqsyqcyq5rqwzqfpg9scrgwpugpzysn04mtzq": checksum does not match: mistyped?
}

func FuzzParseAddress(f *testing.F) {
	good := sequentialAddress().String()
	for _, s := range []string{
		good,
		strings.ToUpper(good),
		good[:len(good)-1] + "q",
		"bc1" + good[4:],
		"dao1",
		"",
		"1",
		"DaO1" + good[4:],
		good + good,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			if !errors.Is(err, ErrBadAddress) {
				t.Fatalf("error %v does not wrap ErrBadAddress", err)
			}
			return
		}
		// An accepted string is the canonical text, give or take case.
		if canon := a.String(); canon != strings.ToLower(s) {
			t.Fatalf("accepted %q, which differs from its canonical form %q", s, canon)
		}
		again, err := ParseAddress(a.String())
		if err != nil || again != a {
			t.Fatalf("canonical form %q does not parse back: %v", a, err)
		}
	})
}
