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

	// With a cache, signatures it knows are not handed to v, and keys met before come
	// expanded: queued holds the position of each signature that is, entries its cache
	// entry, bad the positions of signatures of the wrong size, which never verify.
	cache   *SigCache
	queued  []int
	entries [][32]byte
	bad     []int
}

// NewBatchVerifier returns a verifier with room for n signatures.
func NewBatchVerifier(n int) *BatchVerifier {
	return &BatchVerifier{v: ed25519.NewBatchVerifierWithCapacity(n)}
}

// NewCachedBatchVerifier returns a verifier with room for n signatures that skips the
// signatures c has seen verify and adds to c those that verify. A nil c caches nothing.
func NewCachedBatchVerifier(n int, c *SigCache) *BatchVerifier {
	b := NewBatchVerifier(n)
	b.cache = c
	return b
}

// Add queues one signature.
func (b *BatchVerifier) Add(pub PublicKey, msg, sig []byte) {
	pos := b.n
	b.n++
	if b.cache != nil {
		if len(sig) != SignatureSize {
			b.bad = append(b.bad, pos)
			return
		}
		e := b.cache.entry(kindSig, pub, sig, msg)
		if b.cache.hasSig(e) {
			return
		}
		b.queued = append(b.queued, pos)
		b.entries = append(b.entries, e)
		if x := b.cache.expanded(pub); x != nil {
			b.v.AddExpanded(x, msg, sig)
			return
		}
	}
	b.v.Add(ed25519.PublicKey(pub[:]), msg, sig)
}

// Len reports how many signatures were added, those a cache knew included.
func (b *BatchVerifier) Len() int { return b.n }

// Verify reports whether all queued signatures are valid and, per signature, which are.
func (b *BatchVerifier) Verify() (bool, []bool) {
	if b.n == 0 {
		return true, nil
	}
	if b.cache == nil {
		return b.v.Verify(rand.Reader)
	}
	valid := make([]bool, b.n)
	for i := range valid {
		valid[i] = true
	}
	for _, pos := range b.bad {
		valid[pos] = false
	}
	ok := len(b.bad) == 0
	if len(b.queued) == 0 {
		return ok, valid
	}
	all, got := b.v.Verify(rand.Reader)
	for i, pos := range b.queued {
		valid[pos] = got[i]
		if got[i] {
			b.cache.addSig(b.entries[i])
		}
	}
	return ok && all, valid
}
