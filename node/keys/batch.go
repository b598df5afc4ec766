package keys

import (
	"crypto/rand"

	"github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// SigSink takes signatures to verify later. BatchVerifier is one; a caller that splits
// signatures among cores collects them with its own.
type SigSink interface {
	Add(pub PublicKey, msg, sig []byte)
}

// BatchVerifier checks many signatures at once, faster than one by one (see
// BenchmarkBatchVerify64 against BenchmarkVerify).
type BatchVerifier struct {
	v *ed25519.BatchVerifier
	n int
}

// NewBatchVerifier returns a verifier with room for n signatures.
func NewBatchVerifier(n int) *BatchVerifier {
	return &BatchVerifier{v: ed25519.NewBatchVerifierWithCapacity(n)}
}

// Add queues one signature.
func (b *BatchVerifier) Add(pub PublicKey, msg, sig []byte) {
	b.v.Add(ed25519.PublicKey(pub[:]), msg, sig)
	b.n++
}

// Len reports how many signatures are queued.
func (b *BatchVerifier) Len() int { return b.n }

// Verify reports whether all queued signatures are valid and, per signature, which are.
func (b *BatchVerifier) Verify() (bool, []bool) {
	if b.n == 0 {
		return true, nil
	}
	return b.v.Verify(rand.Reader)
}
