package chain

import (
	"fmt"

	"github.com/daolicloud/daoli/node/keys"
)

// TxKind says what a transaction does and how its Body is encoded.
type TxKind uint8

// Every transaction kind of the protocol. The numbers are part of the encoding.
const (
	KindTransfer TxKind = iota + 1
	KindTrusteeBond
	KindTrusteeUnbond
	KindEvidence
	KindProviderRegister
	KindDealOpen
	KindDealAccept
	KindResultPost
	KindResultAccept
	KindResultReject
	KindVerdict
	KindDealTimeout
	kindEnd
)

var kindNames = [...]string{"", "Transfer", "TrusteeBond", "TrusteeUnbond", "Evidence",
	"ProviderRegister", "DealOpen", "DealAccept", "ResultPost", "ResultAccept",
	"ResultReject", "Verdict", "DealTimeout"}

// Known reports whether k is a declared kind.
func (k TxKind) Known() bool { return k > 0 && k < kindEnd }

// Market reports whether k belongs to the compute market.
func (k TxKind) Market() bool { return k >= KindProviderRegister && k < kindEnd }

func (k TxKind) String() string {
	if k.Known() {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Tx is a signed transaction. Body holds the canonical encoding of the body type of
// Kind; Sig signs every other field.
type Tx struct {
	_       struct{} `cbor:",toarray"`
	ChainID string
	From    keys.PublicKey
	Nonce   uint64
	Fee     uint64
	Kind    TxKind
	Body    []byte
	Sig     []byte
}

// EncodeTx returns the canonical encoding of tx.
func EncodeTx(tx *Tx) []byte { return encode(tx) }

// DecodeTx parses a transaction, rejecting oversized, malformed and non-canonical input.
func DecodeTx(data []byte) (*Tx, error) {
	tx := new(Tx)
	if err := decode(data, tx, MaxTxSize); err != nil {
		return nil, err
	}
	return tx, nil
}

// Hash identifies the transaction, signature included.
func (tx *Tx) Hash() Hash { return hashTagged("daoli/tx/v1", EncodeTx(tx)) }

// Sender is the address of the signer.
func (tx *Tx) Sender() keys.Address { return keys.AddressOf(tx.From) }

// SignBytes are the bytes the sender signs: every field but Sig.
func (tx *Tx) SignBytes() []byte {
	c := *tx
	c.Sig = nil
	return append([]byte("daoli/tx-sig/v1"), encode(&c)...)
}

// Sign fills From and Sig with k.
func (tx *Tx) Sign(k *keys.Key) {
	tx.From = k.Public()
	tx.Sig = k.Sign(tx.SignBytes())
}

// NewTx builds and signs a transaction with the given body.
func NewTx(k *keys.Key, chainID string, nonce, fee uint64, body Body) *Tx {
	tx := &Tx{ChainID: chainID, Nonce: nonce, Fee: fee, Kind: body.Kind(), Body: encode(body)}
	tx.Sign(k)
	return tx
}

// ValidateBasic checks what needs no state: the chain, the kind, the shape of the body
// and the signature. It returns the decoded body.
func (tx *Tx) ValidateBasic(chainID string) (Body, error) { return tx.ValidateBasicWith(chainID, nil) }

// ValidateBasicWith is ValidateBasic with the signature looked up in, and added to, the
// node's cache c (nil checks it).
func (tx *Tx) ValidateBasicWith(chainID string, c *keys.SigCache) (Body, error) {
	if tx.ChainID != chainID {
		return nil, fmt.Errorf("%w: %q, want %q", ErrWrongChain, tx.ChainID, chainID)
	}
	body, err := tx.DecodeBody()
	if err != nil {
		return nil, err
	}
	if !c.Verify(tx.From, tx.SignBytes(), tx.Sig) {
		return nil, fmt.Errorf("tx %s: %w", tx.Hash().Short(), ErrBadSignature)
	}
	return body, nil
}

// DecodeBody parses and shape-checks Body according to Kind.
func (tx *Tx) DecodeBody() (Body, error) {
	if !tx.Kind.Known() {
		return nil, fmt.Errorf("%w: %d", ErrUnknownKind, uint8(tx.Kind))
	}
	body := newBody(tx.Kind)
	if err := decode(tx.Body, body, MaxTxSize); err != nil {
		return nil, fmt.Errorf("%s body: %w", tx.Kind, err)
	}
	if err := body.validate(); err != nil {
		return nil, fmt.Errorf("%s body: %w: %v", tx.Kind, ErrBadBody, err)
	}
	return body, nil
}

// ValidateBody checks body as the validation of a transaction carrying it does, so a
// sender can refuse it, with the same words, before spending anything on it.
func ValidateBody(body Body) error {
	if err := body.validate(); err != nil {
		return fmt.Errorf("%s body: %w: %v", body.Kind(), ErrBadBody, err)
	}
	return nil
}
