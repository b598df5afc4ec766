package chain

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/daolicloud/daoli/node/keys"
)

// VoteKind distinguishes the two I-BFT votes.
type VoteKind uint8

// Vote kinds.
const (
	Prevote VoteKind = iota + 1
	Precommit
)

func (k VoteKind) valid() bool { return k == Prevote || k == Precommit }

// Vote is a trustee's signed prevote or precommit. A zero Block is a vote for nil.
type Vote struct {
	_       struct{} `cbor:",toarray"`
	Kind    VoteKind
	ChainID string
	Epoch   uint64
	Round   uint32
	Block   Hash
	Time    int64 // unix nanoseconds, the trustee's clock; the median of a certificate's is BFT time
	Trustee keys.PublicKey
	Sig     []byte
}

// EncodeVote returns the canonical encoding of v.
func EncodeVote(v *Vote) []byte { return encode(v) }

// DecodeVote parses a vote, rejecting oversized, malformed and non-canonical input.
func DecodeVote(data []byte) (*Vote, error) {
	v := new(Vote)
	if err := decode(data, v, MaxVoteSize); err != nil {
		return nil, err
	}
	if !v.Kind.valid() {
		return nil, fmt.Errorf("%w: kind %d", ErrBadVote, v.Kind)
	}
	return v, nil
}

// SignBytes are the bytes the trustee signs.
func (v *Vote) SignBytes() []byte {
	c := *v
	c.Sig = nil
	return append([]byte("daoli/vote-sig/v1"), encode(&c)...)
}

// Sign signs the vote with k.
func (v *Vote) Sign(k *keys.Key) {
	v.Trustee = k.Public()
	v.Sig = k.Sign(v.SignBytes())
}

// VerifySig checks the vote's signature.
func (v *Vote) VerifySig() error { return v.VerifySigWith(nil) }

// VerifySigWith is VerifySig with the signature looked up in, and added to, the node's
// cache c (nil checks it).
func (v *Vote) VerifySigWith(c *keys.SigCache) error {
	if !c.Verify(v.Trustee, v.SignBytes(), v.Sig) {
		return fmt.Errorf("%w: %w", ErrBadVote, ErrBadSignature)
	}
	return nil
}

// CertSig is one precommit inside a certificate.
type CertSig struct {
	_       struct{} `cbor:",toarray"`
	Trustee keys.PublicKey
	Time    int64
	Sig     []byte
}

// Cert certifies a block: precommits of a quorum of the trustee set for one hash in one
// round. Signers are sorted by key and distinct, so a certificate has one encoding.
type Cert struct {
	_     struct{} `cbor:",toarray"`
	Epoch uint64
	Round uint32
	Block Hash
	Sigs  []CertSig
}

// EncodeCert returns the canonical encoding of c.
func EncodeCert(c *Cert) []byte { return encode(c) }

// DecodeCert parses a certificate, rejecting oversized, malformed and non-canonical input.
func DecodeCert(data []byte) (*Cert, error) {
	c := new(Cert)
	if err := decode(data, c, MaxCertSize); err != nil {
		return nil, err
	}
	return c, nil
}

// Hash identifies the certificate; a nil certificate has the zero hash.
func (c *Cert) Hash() Hash {
	if c == nil {
		return Hash{}
	}
	return hashTagged("daoli/cert/v1", EncodeCert(c))
}

// Precommit rebuilds the vote behind one signature.
func (c *Cert) Precommit(chainID string, s CertSig) *Vote {
	return &Vote{Kind: Precommit, ChainID: chainID, Epoch: c.Epoch, Round: c.Round, Block: c.Block, Time: s.Time, Trustee: s.Trustee, Sig: s.Sig}
}

// NewCert assembles a certificate from precommits for one block, sorting the signers.
func NewCert(votes []*Vote) (*Cert, error) {
	if len(votes) == 0 {
		return nil, fmt.Errorf("%w: no votes", ErrBadCert)
	}
	v0 := votes[0]
	c := &Cert{Epoch: v0.Epoch, Round: v0.Round, Block: v0.Block}
	for _, v := range votes {
		if v.Kind != Precommit || v.Epoch != v0.Epoch || v.Round != v0.Round || v.Block != v0.Block || v.ChainID != v0.ChainID {
			return nil, fmt.Errorf("%w: votes are not precommits for one block and round", ErrBadCert)
		}
		c.Sigs = append(c.Sigs, CertSig{Trustee: v.Trustee, Time: v.Time, Sig: v.Sig})
	}
	slices.SortFunc(c.Sigs, func(a, b CertSig) int { return bytes.Compare(a.Trustee[:], b.Trustee[:]) })
	return c, nil
}

// Quorum is the number of votes that certify among n trustees: n−f with
// f = ⌊(n−1)/3⌋. That is 2f+1 when n = 3f+1; for other n, 2f+1 would let two quorums
// meet in f trustees only (n = 5: two sets of 3 share one), so it is never less than n−f.
func Quorum(n int) int { return n - (n-1)/3 }

// Verify checks that c certifies block hash for epoch: distinct signers sorted by key,
// all in set, at least a quorum of it, every signature valid (batch-verified).
func (c *Cert) Verify(chainID string, epoch uint64, block Hash, set []Trustee) error {
	return c.VerifyWith(chainID, epoch, block, set, nil)
}

// VerifyWith is Verify with the signatures looked up in, and added to, the node's
// cache sc (nil checks them all): a trustee has checked most precommits of a
// certificate as votes already.
func (c *Cert) VerifyWith(chainID string, epoch uint64, block Hash, set []Trustee, sc *keys.SigCache) error {
	var n int
	if c != nil {
		n = len(c.Sigs)
	}
	bv := keys.NewCachedBatchVerifier(n, sc)
	if err := c.AddTo(bv, chainID, epoch, block, set); err != nil {
		return err
	}
	if ok, _ := bv.Verify(); !ok {
		return fmt.Errorf("%w: %w", ErrBadCert, ErrBadSignature)
	}
	return nil
}

// AddTo runs every check of Verify except the signatures, which it adds to bv, so that
// a node syncing many blocks verifies their certificates in one batch.
func (c *Cert) AddTo(bv keys.SigSink, chainID string, epoch uint64, block Hash, set []Trustee) error {
	if c == nil {
		return fmt.Errorf("%w: missing", ErrBadCert)
	}
	if c.Epoch != epoch || c.Block != block {
		return fmt.Errorf("%w: certifies epoch %d block %s, want epoch %d block %s", ErrBadCert, c.Epoch, c.Block.Short(), epoch, block.Short())
	}
	if block.IsZero() {
		return fmt.Errorf("%w: certifies nil", ErrBadCert)
	}
	if q := Quorum(len(set)); len(c.Sigs) < q {
		return fmt.Errorf("%w: %d signatures, quorum is %d of %d", ErrBadCert, len(c.Sigs), q, len(set))
	}
	for i, s := range c.Sigs {
		if i > 0 && bytes.Compare(c.Sigs[i-1].Trustee[:], s.Trustee[:]) >= 0 {
			return fmt.Errorf("%w: signers not sorted and distinct", ErrBadCert)
		}
		if !slices.ContainsFunc(set, func(t Trustee) bool { return t.Key == s.Trustee }) {
			return fmt.Errorf("%w: signer %s is not a trustee", ErrBadCert, s.Trustee.String()[:8])
		}
	}
	for _, s := range c.Sigs {
		bv.Add(s.Trustee, c.Precommit(chainID, s).SignBytes(), s.Sig)
	}
	return nil
}

// MedianTime is the BFT time of the certified block: the lower median of the signers'
// timestamps, which f faulty trustees cannot move outside the honest ones' range. A
// certificate without signatures (it decodes, but never verifies) has time zero.
func (c *Cert) MedianTime() int64 {
	if len(c.Sigs) == 0 {
		return 0
	}
	ts := make([]int64, len(c.Sigs))
	for i, s := range c.Sigs {
		ts[i] = s.Time
	}
	slices.Sort(ts)
	return ts[(len(ts)-1)/2]
}

// Signers lists the trustees whose precommits are in c.
func (c *Cert) Signers() []keys.PublicKey {
	if c == nil {
		return nil
	}
	out := make([]keys.PublicKey, len(c.Sigs))
	for i, s := range c.Sigs {
		out[i] = s.Trustee
	}
	return out
}
