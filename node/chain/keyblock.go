package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/daolicloud/daoli/node/keys"
)

// KeyBlock is a miner's lottery ticket for one epoch (docs/design.md §Tickets). Its
// luck is the VRF output over the epoch's seed, so it does not depend on the nonce; the
// nonce only buys admission (work ≤ target).
type KeyBlock struct {
	_        struct{} `cbor:",toarray"`
	ChainID  string
	Epoch    uint64
	Parent   Hash
	Miner    keys.PublicKey
	Payout   keys.Address
	VRFProof []byte
	Nonce    uint64
	Sig      []byte
}

// Luck is a VRF output; smaller is luckier.
type Luck [keys.OutputSize]byte

// Less reports whether l is luckier than m.
func (l Luck) Less(m Luck) bool { return bytes.Compare(l[:], m[:]) < 0 }

// EncodeKeyBlock returns the canonical encoding of kb.
func EncodeKeyBlock(kb *KeyBlock) []byte { return encode(kb) }

// DecodeKeyBlock parses a KeyBlock, rejecting oversized, malformed and non-canonical input.
func DecodeKeyBlock(data []byte) (*KeyBlock, error) {
	kb := new(KeyBlock)
	if err := decode(data, kb, MaxKeyBlockSize); err != nil {
		return nil, err
	}
	return kb, nil
}

// Hash identifies the KeyBlock.
func (kb *KeyBlock) Hash() Hash { return hashTagged("daoli/keyblock/v1", EncodeKeyBlock(kb)) }

// SignBytes are the bytes the miner signs: every field but Sig.
func (kb *KeyBlock) SignBytes() []byte {
	c := *kb
	c.Sig = nil
	return append([]byte("daoli/keyblock-sig/v1"), encode(&c)...)
}

// LuckSeed is the VRF input of an epoch: "daoli/luck" ‖ ChainID ‖ epoch ‖ parent.
func LuckSeed(chainID string, epoch uint64, parent Hash) []byte {
	b := make([]byte, 0, 11+len(chainID)+8+32)
	b = append(b, "daoli/luck"...)
	b = append(b, byte(len(chainID)))
	b = append(b, chainID...)
	b = binary.BigEndian.AppendUint64(b, epoch)
	return append(b, parent[:]...)
}

// WorkPrefix is the fixed part of the work input, ChainID ‖ e ‖ Parent ‖ Miner ‖ β[:32],
// zero-padded to a whole number of SHA-256 blocks so that a miner hashes it once (the
// midstate) and each attempt costs one compression of the final block with the nonce.
func WorkPrefix(chainID string, epoch uint64, parent Hash, miner keys.PublicKey, beta []byte) []byte {
	b := make([]byte, 0, 192)
	b = append(b, byte(len(chainID)))
	b = append(b, chainID...)
	b = binary.BigEndian.AppendUint64(b, epoch)
	b = append(b, parent[:]...)
	b = append(b, miner[:]...)
	b = append(b, beta[:32]...)
	for len(b)%sha256.BlockSize != 0 {
		b = append(b, 0)
	}
	return b
}

// Work hashes the prefix and the nonce: SHA-256(prefix ‖ nonce).
func Work(prefix []byte, nonce uint64) Hash {
	d := sha256.New()
	d.Write(prefix)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], nonce)
	d.Write(n[:])
	var h Hash
	d.Sum(h[:0])
	return h
}

// Admitted reports whether work is at or below target (both read as big-endian numbers).
func Admitted(work, target Hash) bool { return bytes.Compare(work[:], target[:]) <= 0 }

// TargetOneIn is the target that admits one attempt in n on average: (2²⁵⁶ − 1) / n.
// An n of 0 is taken as 1, which admits every attempt.
func TargetOneIn(n uint64) Hash {
	t := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	t.Div(t, new(big.Int).SetUint64(max(n, 1)))
	var h Hash
	t.FillBytes(h[:])
	return h
}

// NewKeyBlock builds an unsigned ticket with its VRF proof; the caller finds a nonce
// (see node/luck) and then calls Sign.
func NewKeyBlock(k *keys.Key, chainID string, epoch uint64, parent Hash, payout keys.Address) (*KeyBlock, Luck) {
	proof, beta := k.VRFProve(LuckSeed(chainID, epoch, parent))
	kb := &KeyBlock{ChainID: chainID, Epoch: epoch, Parent: parent, Miner: k.Public(), Payout: payout, VRFProof: proof}
	var l Luck
	copy(l[:], beta)
	return kb, l
}

// Sign signs the ticket with k, which must be its miner's key.
func (kb *KeyBlock) Sign(k *keys.Key) { kb.Sig = k.Sign(kb.SignBytes()) }

// Verify checks the signature and the VRF proof of kb for the given epoch and parent
// and whether its work is admitted under target. It returns the ticket's luck.
func (kb *KeyBlock) Verify(chainID string, epoch uint64, parent, target Hash) (Luck, error) {
	return kb.VerifyWith(chainID, epoch, parent, target, nil)
}

// VerifyWith is Verify with the signature and VRF proof looked up in, and added to,
// the node's cache c (nil checks both).
func (kb *KeyBlock) VerifyWith(chainID string, epoch uint64, parent, target Hash, c *keys.SigCache) (Luck, error) {
	var l Luck
	switch {
	case kb.ChainID != chainID:
		return l, fmt.Errorf("%w: %w", ErrBadKeyBlock, ErrWrongChain)
	case kb.Epoch != epoch:
		return l, fmt.Errorf("%w: epoch %d, want %d", ErrBadKeyBlock, kb.Epoch, epoch)
	case kb.Parent != parent:
		return l, fmt.Errorf("%w: parent %s, want %s", ErrBadKeyBlock, kb.Parent.Short(), parent.Short())
	}
	if !c.Verify(kb.Miner, kb.SignBytes(), kb.Sig) {
		return l, fmt.Errorf("%w: %w", ErrBadKeyBlock, ErrBadSignature)
	}
	beta, err := c.VRFVerify(kb.Miner, LuckSeed(chainID, epoch, parent), kb.VRFProof)
	if err != nil {
		return l, fmt.Errorf("%w: %w", ErrBadKeyBlock, err)
	}
	work := Work(WorkPrefix(chainID, epoch, parent, kb.Miner, beta), kb.Nonce)
	if !Admitted(work, target) {
		return l, fmt.Errorf("%w: work %s above target %s", ErrBadKeyBlock, work.Short(), target.Short())
	}
	copy(l[:], beta)
	return l, nil
}
