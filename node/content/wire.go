package content

import (
	"fmt"

	"github.com/fxamacker/cbor/v2"

	"github.com/daolicloud/daoli/node/market/terms"
)

// ChunkSize is the most one response carries, well inside the protocol's 1 MiB limit.
const ChunkSize = 512 << 10

// Request asks for Length bytes of a blob from Offset.
type Request struct {
	_      struct{} `cbor:",toarray"`
	Hash   Hash
	Offset uint64
	Length uint32
}

// Response carries a chunk and the blob's total size.
type Response struct {
	_    struct{} `cbor:",toarray"`
	Size uint64
	Data []byte
}

var encMode, decMode = func() (cbor.EncMode, cbor.DecMode) {
	enc, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic("content: cbor encoder options: " + err.Error())
	}
	dec, err := cbor.DecOptions{
		MaxNestedLevels: 4, MaxArrayElements: 16, MaxMapPairs: 16,
		IndefLength: cbor.IndefLengthForbidden, TagsMd: cbor.TagsForbidden,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
	}.DecMode()
	if err != nil {
		panic("content: cbor decoder options: " + err.Error())
	}
	return enc, dec
}()

func encode(v any) []byte {
	b, err := encMode.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("content: encode %T: %v", v, err))
	}
	return b
}

// DecodeRequest parses a request, refusing a length above ChunkSize.
func DecodeRequest(data []byte) (*Request, error) {
	r := new(Request)
	if err := decMode.Unmarshal(data, r); err != nil {
		return nil, fmt.Errorf("%w: request: %v", ErrBadRequest, err)
	}
	if r.Length == 0 || r.Length > ChunkSize {
		return nil, fmt.Errorf("%w: request of %d bytes, 1 to %d", ErrBadRequest, r.Length, ChunkSize)
	}
	if r.Offset >= terms.MaxBlob {
		return nil, fmt.Errorf("%w: offset %d", ErrBadRequest, r.Offset)
	}
	return r, nil
}

// DecodeResponse parses a response.
func DecodeResponse(data []byte) (*Response, error) {
	r := new(Response)
	if err := decMode.Unmarshal(data, r); err != nil {
		return nil, fmt.Errorf("%w: response: %v", ErrBadRequest, err)
	}
	if len(r.Data) > ChunkSize || r.Size > terms.MaxBlob {
		return nil, fmt.Errorf("%w: response of %d bytes for a blob of %d", ErrBadRequest, len(r.Data), r.Size)
	}
	return r, nil
}
