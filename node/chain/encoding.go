package chain

import (
	"bytes"
	"fmt"
	"reflect"

	"github.com/fxamacker/cbor/v2"
)

// Size limits of encoded objects. A decoder rejects anything larger before parsing it.
const (
	MaxTxSize       = 64 << 10
	MaxKeyBlockSize = 1 << 10
	MaxVoteSize     = 1 << 10
	MaxHeaderSize   = 1 << 10
	MaxCertSize     = 128 << 10 // MaxTrusteesCap signatures of about 110 bytes each
	MaxBlockSize    = 16 << 20
	MaxStateValue   = 1 << 20
)

// The canonical encoding is CBOR in its core deterministic form (RFC 8949 §4.2.1) with
// structs as arrays. Decoding is strict, and every decode is re-encoded and compared, so
// each value has exactly one encoding and its hash and signature are unambiguous.
var (
	encMode cbor.EncMode
	decMode cbor.DecMode
)

func init() {
	var err error
	encMode, err = cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic("chain: cbor encoder options: " + err.Error())
	}
	decMode, err = cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:   16,
		MaxArrayElements:  1 << 17,
		MaxMapPairs:       1 << 10,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		UTF8:              cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic("chain: cbor decoder options: " + err.Error())
	}
}

// EncMode is the canonical encoder. Packages whose values nest this package's (the
// consensus messages of node/ibft, the service messages of node/wire) encode with it, so
// a nested block, vote or ticket encodes as here and its hash and signature carry over.
func EncMode() cbor.EncMode { return encMode }

// DecMode is the strict decoder: bounded nesting and lengths, no indefinite lengths, no
// tags, no unknown fields, valid UTF-8 only. It checks neither size nor canonical form;
// callers bound the input first.
func DecMode() cbor.DecMode { return decMode }

// encode returns the canonical encoding of v. Every type of this package encodes, so a
// failure is a broken invariant.
func encode(v any) []byte {
	b, err := encMode.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("chain: encode %T: %v", v, err))
	}
	return b
}

// decodeTrusted parses a value this node encoded itself, such as a state value, which
// the state root authenticates: the canonical form was checked when it was written.
func decodeTrusted(data []byte, v any) error { return decMode.Unmarshal(data, v) }

// decode parses data into v, which must be a pointer, enforcing the size limit and the
// canonical form.
func decode(data []byte, v any, limit int) error {
	name := reflect.TypeOf(v).Elem().Name()
	if len(data) > limit {
		return fmt.Errorf("decode %s: %w: %d bytes, limit %d", name, ErrTooLarge, len(data), limit)
	}
	if err := decMode.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s: %w: %v", name, ErrMalformed, err)
	}
	if !bytes.Equal(encode(v), data) {
		return fmt.Errorf("decode %s: %w", name, ErrNonCanonical)
	}
	return nil
}
