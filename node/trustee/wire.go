package trustee

import (
	"fmt"
	"reflect"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/fxamacker/cbor/v2"
)

// The bytes of the services and of the blocks topic: canonical CBOR of the types
// below, decoded with the limits of the protocol they travel on.

// CertifiedBlock is a block with the certificate that makes it final. It is what the
// blocks topic carries and what the sync service answers. Trustees is the set that
// certified the block, sent only where it differs from the parent's (a membership
// boundary), so that a light node can take the new set: it checks the set against the
// hash its trusted parent committed to.
type CertifiedBlock struct {
	_        struct{} `cbor:",toarray"`
	Block    chain.Block
	Cert     chain.Cert
	Trustees []chain.Trustee
}

// ValidateBasic checks that the certificate is for the block.
func (c *CertifiedBlock) ValidateBasic() error {
	h := &c.Block.Header
	switch {
	case h.Epoch == 0:
		return fmt.Errorf("%w: certified block of epoch 0", ErrBadRequest)
	case c.Cert.Epoch != h.Epoch || c.Cert.Block != c.Block.Hash():
		return fmt.Errorf("%w: certificate of another block", ErrBadRequest)
	case len(c.Cert.Sigs) == 0 || len(c.Cert.Sigs) > chain.MaxTrusteesCap:
		return fmt.Errorf("%w: certificate with %d signatures", ErrBadRequest, len(c.Cert.Sigs))
	case len(c.Trustees) > chain.MaxTrusteesCap:
		return fmt.Errorf("%w: a trustee set of %d", ErrBadRequest, len(c.Trustees))
	case c.Trustees != nil && chain.TrusteeSetHash(c.Trustees) != h.TrusteeSetHash:
		return fmt.Errorf("%w: the trustee set sent along is not the one that certifies the block", ErrBadRequest)
	}
	return nil
}

// certifiedHead is a CertifiedBlock with only its header decoded; the rest is left as
// raw CBOR, which is checked for shape but not built.
type certifiedHead struct {
	_        struct{} `cbor:",toarray"`
	Block    blockHead
	Cert     cbor.RawMessage
	Trustees cbor.RawMessage
}

type blockHead struct {
	_        struct{} `cbor:",toarray"`
	Header   chain.Header
	Winner   cbor.RawMessage
	Payroll  cbor.RawMessage
	Payload  cbor.RawMessage
	LastCert cbor.RawMessage
}

// SyncRequest asks for the certified block at Height.
type SyncRequest struct {
	_      struct{} `cbor:",toarray"`
	Height uint64
}

// ProofRequest asks for an account with its proof against the certified state.
type ProofRequest struct {
	_       struct{} `cbor:",toarray"`
	Address keys.Address
}

// ProofResponse is an account at the certified block Height, with its proof against
// that block's StateRoot (verify with chain.VerifyAccount).
type ProofResponse struct {
	_       struct{} `cbor:",toarray"`
	Height  uint64
	Account chain.Account
	Proof   chain.Proof
}

// SubmitRequest carries exactly one transaction or one KeyBlock.
type SubmitRequest struct {
	_        struct{} `cbor:",toarray"`
	Tx       *chain.Tx
	KeyBlock *chain.KeyBlock
}

// SubmitResponse acknowledges a submission the trustee accepted.
type SubmitResponse struct {
	_    struct{} `cbor:",toarray"`
	Hash chain.Hash
}

// ClockSample is the trustee's time (Unix nanoseconds) and certified height when it
// answered, for a light node calibrating its clock.
type ClockSample struct {
	_      struct{} `cbor:",toarray"`
	Time   int64
	Height uint64
}

// ClockRequest asks for a ClockSample.
type ClockRequest struct {
	_ struct{} `cbor:",toarray"`
}

var (
	encMode cbor.EncMode
	decMode cbor.DecMode
)

func init() {
	var err error
	if encMode, err = cbor.CoreDetEncOptions().EncMode(); err != nil {
		panic("trustee: cbor encoder options: " + err.Error())
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
		panic("trustee: cbor decoder options: " + err.Error())
	}
}

// Encode returns the canonical encoding of one of the wire types.
func Encode(v any) []byte {
	b, err := encMode.Marshal(v)
	if err != nil {
		// Every wire type encodes; failing here is a programming error.
		panic(fmt.Sprintf("trustee: encode %T: %v", v, err))
	}
	return b
}

// Decode parses data of at most limit bytes into v, one of the wire types.
func Decode(data []byte, v any, limit int) error {
	if len(data) > limit {
		return fmt.Errorf("%w: %T of %d bytes, limit %d", ErrBadRequest, v, len(data), limit)
	}
	if err := checkDecodeCost(data, reflect.TypeOf(v).Elem()); err != nil {
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	if err := decMode.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %T: %v", ErrBadRequest, v, err)
	}
	return nil
}

// Limits of the service messages, from the protocol table of node/p2p.
const (
	syncRequestLimit    = p2p.SyncRequestLimit
	syncResponseLimit   = p2p.SyncResponseLimit
	proofRequestLimit   = p2p.ProofRequestLimit
	proofResponseLimit  = p2p.ProofResponseLimit
	submitRequestLimit  = p2p.SubmitRequestLimit
	submitResponseLimit = p2p.SubmitResponseLimit
	clockRequestLimit   = p2p.ClockRequestLimit
	clockResponseLimit  = p2p.ClockResponseLimit
	blockTopicLimit     = p2p.BlockTopicLimit
)
