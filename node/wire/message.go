package wire

import (
	"fmt"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/fxamacker/cbor/v2"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

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

// CertifiedHead is a CertifiedBlock with only its header decoded; the rest is left as
// raw CBOR, which is checked for shape but not built. A trustee reads it first off the
// blocks topic, where most blocks are ones it has committed already.
type CertifiedHead struct {
	_        struct{} `cbor:",toarray"`
	Block    BlockHead
	Cert     cbor.RawMessage
	Trustees cbor.RawMessage
}

// BlockHead is a chain.Block with only its header decoded.
type BlockHead struct {
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

// CheckAnswer checks that c answers r: the block at the height asked for, with its
// certificate (ValidateBasic). The asker verifies the signatures against the trustee set
// it trusts.
func (r *SyncRequest) CheckAnswer(c *CertifiedBlock) error {
	if err := c.ValidateBasic(); err != nil {
		return err
	}
	if c.Block.Header.Epoch != r.Height {
		return fmt.Errorf("%w: asked for block %d, got %d", ErrBadRequest, r.Height, c.Block.Header.Epoch)
	}
	return nil
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

// ValidateBasic checks that the request carries exactly one transaction or KeyBlock.
func (r *SubmitRequest) ValidateBasic() error {
	if (r.Tx == nil) == (r.KeyBlock == nil) {
		return fmt.Errorf("%w: submit exactly one transaction or KeyBlock", ErrBadRequest)
	}
	return nil
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

// MaxStateKeys bounds the keys one state request may ask for.
const MaxStateKeys = 16

// StateRequest asks for state keys (chain.ProviderKey, chain.DealKey, …) with their
// proofs against the certified tip.
type StateRequest struct {
	_    struct{} `cbor:",toarray"`
	Keys []chain.Hash
}

// ValidateBasic checks the shape of a request.
func (r *StateRequest) ValidateBasic() error {
	if len(r.Keys) == 0 || len(r.Keys) > MaxStateKeys {
		return fmt.Errorf("%w: %d keys, want 1 to %d", ErrBadRequest, len(r.Keys), MaxStateKeys)
	}
	return nil
}

// StateResponse carries one proof per key asked for, against the state root of the
// certified block Height (verify with chain.VerifyProof).
type StateResponse struct {
	_      struct{} `cbor:",toarray"`
	Height uint64
	Proofs []chain.Proof
}

// AdmitRequest asks a trustee to serve the asking light node: to take its tickets and
// transactions and answer its sync, proof and clock requests.
type AdmitRequest struct {
	_ struct{} `cbor:",toarray"`
}

// AdmitResponse is a trustee's answer to an AdmitRequest: admitted, or refused with
// its reason (it serves Serving light nodes and admits at most Limit). Either way it
// names some of the light nodes it serves, with their addresses, so that the asker
// can join the blocks' relay among light nodes (and a refused one still follows the
// chain through them).
type AdmitResponse struct {
	_              struct{} `cbor:",toarray"`
	Admitted       bool
	Reason         string
	Serving, Limit uint32
	Peers          []AdmitPeer
}

// AdmitPeer is a light node named in an AdmitResponse: its peer ID and its addresses,
// in their binary multiaddr forms.
type AdmitPeer struct {
	_     struct{} `cbor:",toarray"`
	ID    []byte
	Addrs [][]byte
}

// ValidateBasic checks the response's bounds and that each peer and address parses.
func (r *AdmitResponse) ValidateBasic() error {
	switch {
	case !r.Admitted && r.Reason == "":
		return fmt.Errorf("%w: refused without a reason", ErrBadRequest)
	case len(r.Reason) > p2p.MaxErrorText:
		return fmt.Errorf("%w: a reason of %d bytes", ErrBadRequest, len(r.Reason))
	case len(r.Peers) > p2p.MaxAdmitPeers:
		return fmt.Errorf("%w: %d peers", ErrBadRequest, len(r.Peers))
	}
	for i, p := range r.Peers {
		if _, err := peer.IDFromBytes(p.ID); err != nil {
			return fmt.Errorf("%w: peer %d: %v", ErrBadRequest, i, err)
		}
		if len(p.Addrs) == 0 || len(p.Addrs) > p2p.MaxAdmitAddrs {
			return fmt.Errorf("%w: peer %d with %d addresses", ErrBadRequest, i, len(p.Addrs))
		}
		for _, a := range p.Addrs {
			if len(a) > p2p.MaxAddrSize {
				return fmt.Errorf("%w: peer %d: an address of %d bytes", ErrBadRequest, i, len(a))
			}
			if _, err := ma.NewMultiaddrBytes(a); err != nil {
				return fmt.Errorf("%w: peer %d: %v", ErrBadRequest, i, err)
			}
		}
	}
	return nil
}

// AddrInfos returns the peers named, as ValidateBasic checked them.
func (r *AdmitResponse) AddrInfos() []peer.AddrInfo {
	out := make([]peer.AddrInfo, 0, len(r.Peers))
	for _, p := range r.Peers {
		id, err := peer.IDFromBytes(p.ID)
		if err != nil {
			continue
		}
		ai := peer.AddrInfo{ID: id}
		for _, a := range p.Addrs {
			if m, err := ma.NewMultiaddrBytes(a); err == nil {
				ai.Addrs = append(ai.Addrs, m)
			}
		}
		out = append(out, ai)
	}
	return out
}
