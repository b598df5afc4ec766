package chain

import (
	"fmt"
)

// Header is what a certificate signs. Its hash identifies the block.
type Header struct {
	_                  struct{} `cbor:",toarray"`
	ChainID            string
	Epoch              uint64
	Parent             Hash
	Time               int64 // BFT time of the parent: the median of LastCert's timestamps
	WinnerHash         Hash  // zero when the epoch had no valid ticket
	PayloadRoot        Hash
	PayrollRoot        Hash
	StateRoot          Hash
	TrusteeSetHash     Hash // the set that certifies this block
	NextTrusteeSetHash Hash // the set that certifies the next one
	LastCertHash       Hash
	Target             Hash   // admission target of this epoch's tickets
	Tickets            uint32 // admitted tickets of the epoch: the median of the counts in the reports behind the block; drives retargeting
}

// Block is one epoch's block: the winning ticket, the payroll, the payload of
// transactions and the certificate of the parent.
type Block struct {
	_        struct{} `cbor:",toarray"`
	Header   Header
	Winner   *KeyBlock
	Payroll  []KeyBlock
	Payload  []Tx
	LastCert *Cert
}

// EncodeHeader returns the canonical encoding of h.
func EncodeHeader(h *Header) []byte { return encode(h) }

// DecodeHeader parses a header, rejecting oversized, malformed and non-canonical input.
func DecodeHeader(data []byte) (*Header, error) {
	h := new(Header)
	if err := decode(data, h, MaxHeaderSize); err != nil {
		return nil, err
	}
	return h, nil
}

// Hash identifies the block.
func (h *Header) Hash() Hash { return hashTagged("daoli/header/v1", EncodeHeader(h)) }

// Hash identifies the block: the hash of its header.
func (b *Block) Hash() Hash { return b.Header.Hash() }

// EncodeBlock returns the canonical encoding of b.
func EncodeBlock(b *Block) []byte { return encode(b) }

// DecodeBlock parses a block, rejecting oversized, malformed and non-canonical input.
func DecodeBlock(data []byte) (*Block, error) {
	b := new(Block)
	if err := decode(data, b, MaxBlockSize); err != nil {
		return nil, err
	}
	return b, nil
}

// PayloadRoot is the Merkle root of the transactions' hashes.
func PayloadRoot(txs []Tx) Hash {
	hs := make([]Hash, len(txs))
	for i := range txs {
		hs[i] = txs[i].Hash()
	}
	return MerkleRoot(hs)
}

// PayrollRoot is the Merkle root of the payroll tickets' hashes.
func PayrollRoot(kbs []KeyBlock) Hash {
	hs := make([]Hash, len(kbs))
	for i := range kbs {
		hs[i] = kbs[i].Hash()
	}
	return MerkleRoot(hs)
}

// WinnerHash is the hash of the winning ticket, or zero without one.
func WinnerHash(kb *KeyBlock) Hash {
	if kb == nil {
		return Hash{}
	}
	return kb.Hash()
}

// CheckBody checks that the body matches the header's commitments.
func (b *Block) CheckBody() error {
	h := &b.Header
	if got := WinnerHash(b.Winner); got != h.WinnerHash {
		return fmt.Errorf("%w: winner hash %s, header says %s", ErrBadBlock, got.Short(), h.WinnerHash.Short())
	}
	if got := PayrollRoot(b.Payroll); got != h.PayrollRoot {
		return fmt.Errorf("%w: payroll root %s, header says %s", ErrBadBlock, got.Short(), h.PayrollRoot.Short())
	}
	if got := PayloadRoot(b.Payload); got != h.PayloadRoot {
		return fmt.Errorf("%w: payload root %s, header says %s", ErrBadBlock, got.Short(), h.PayloadRoot.Short())
	}
	if got := b.LastCert.Hash(); got != h.LastCertHash {
		return fmt.Errorf("%w: last certificate hash %s, header says %s", ErrBadBlock, got.Short(), h.LastCertHash.Short())
	}
	return nil
}
