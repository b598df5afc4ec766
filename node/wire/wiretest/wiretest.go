package wiretest

import (
	"bytes"
	"encoding/binary"

	"github.com/daolicloud/daoli/node/chain"
)

// CBORHead is the head of a CBOR item of the major type with argument n.
func CBORHead(major byte, n uint64) []byte {
	switch {
	case n < 24:
		return []byte{major<<5 | byte(n)}
	case n < 1<<8:
		return []byte{major<<5 | 24, byte(n)}
	case n < 1<<16:
		return binary.BigEndian.AppendUint16([]byte{major<<5 | 25}, uint16(n))
	default:
		return binary.BigEndian.AppendUint32([]byte{major<<5 | 26}, uint32(n))
	}
}

// EmptyItems is a CBOR array of n empty arrays.
func EmptyItems(n int) []byte {
	return append(CBORHead(4, uint64(n)), bytes.Repeat([]byte{0x80}, n)...)
}

// BlockBloat is a certified block with header h whose payroll and payload are n
// empty arrays each, which would be KeyBlocks of 168 bytes and transactions of 120.
func BlockBloat(h chain.Header, n int) []byte {
	var b []byte
	b = append(b, CBORHead(4, 3)...) // the certified block
	b = append(b, CBORHead(4, 5)...) // the block
	b = append(b, chain.EncodeHeader(&h)...)
	b = append(b, 0xf6)
	b = append(b, EmptyItems(n)...)
	b = append(b, EmptyItems(n)...)
	b = append(b, 0xf6)
	b = append(b, 0x80) // a certificate that is not one
	return append(b, 0xf6)
}
