package wiretest

import (
	"bytes"
	"encoding/binary"
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
