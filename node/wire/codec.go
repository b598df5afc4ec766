package wire

import (
	"fmt"
	"reflect"

	"github.com/daolicloud/daoli/node/chain"
)

// The messages encode in node/chain's canonical CBOR (chain.EncMode), so the blocks,
// certificates and proofs they carry keep their encodings, hashes and signatures, and
// decode with chain's strict decoder (chain.DecMode): one decode mode for the chain,
// the consensus messages and these.

// Encode returns the canonical encoding of one of the message types.
func Encode(v any) []byte {
	b, err := chain.EncMode().Marshal(v)
	if err != nil {
		// Every message type encodes; failing here is a programming error.
		panic(fmt.Sprintf("wire: encode %T: %v", v, err))
	}
	return b
}

// Decode parses data of at most limit bytes (the limit of the protocol it came on, from
// node/p2p's protocol table) into v, a pointer to one of the message types. It refuses,
// before decoding, data that would decode far larger than it is (CheckDecodeCost).
// Errors wrap ErrBadRequest.
func Decode(data []byte, v any, limit int) error {
	if len(data) > limit {
		return fmt.Errorf("%w: %T of %d bytes, limit %d", ErrBadRequest, v, len(data), limit)
	}
	if err := CheckDecodeCost(data, reflect.TypeOf(v).Elem()); err != nil {
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	if err := chain.DecMode().Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %T: %v", ErrBadRequest, v, err)
	}
	return nil
}
