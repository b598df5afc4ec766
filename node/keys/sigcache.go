package keys

import (
	"crypto/rand"
	"crypto/sha256"
	"sync"

	"github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// DefaultSigCacheSize is the number of signatures a node's cache remembers: several
// blocks' worth of transactions and votes.
const DefaultSigCacheSize = 1 << 16

// expandedKeys is how many public keys a cache keeps in expanded form (about 1.5 KiB
// each): every trustee and the busiest senders.
const expandedKeys = 4096

// SigCache remembers signatures and VRF proofs that verified, so that a node that
// checks one signed object at several stages (a transaction in the mempool, in the
// proposal it builds and in the block it applies; a vote on receipt and in the next
// block's certificate; a ticket at the edge, in its pool, in a report and in the
// block) does the curve arithmetic once. Bitcoin Core keeps such a cache between its
// mempool and block validation.
//
// Only successes are remembered, so a bad signature costs a full check every time.
// An entry is the SHA-256 of a random per-cache salt and the exact public key,
// signature and message: a hit means these very bytes verified before, and nobody
// can aim collisions at a cache whose salt they do not know. The cache holds at most
// its size of each kind, forgetting the older half when full. It also keeps the public
// keys it meets a second time in expanded form, which makes checking their signatures
// faster: trustees' keys sign every round, while most senders of transactions are
// met once, and expanding a key costs about what it saves on one signature. It is safe
// for concurrent use; a nil *SigCache verifies every time.
type SigCache struct {
	mu    sync.Mutex
	salt  [32]byte
	half  int
	sigs  [2]map[[32]byte]struct{}                    // current and previous generation
	betas [2]map[[32]byte][OutputSize]byte            // VRF outputs by proof, likewise
	pubs  [2]map[PublicKey]*ed25519.ExpandedPublicKey // nil: met once, not expanded
}

// NewSigCache returns an empty cache that remembers up to size signatures and as many
// VRF proofs.
func NewSigCache(size int) *SigCache {
	c := &SigCache{half: max(size/2, 1)}
	if _, err := rand.Read(c.salt[:]); err != nil {
		// crypto/rand does not fail on the systems Go supports.
		panic("keys: no randomness for the signature cache salt: " + err.Error())
	}
	c.sigs = [2]map[[32]byte]struct{}{{}, {}}
	c.betas = [2]map[[32]byte][OutputSize]byte{{}, {}}
	c.pubs = [2]map[PublicKey]*ed25519.ExpandedPublicKey{{}, {}}
	return c
}

// entry names a (key, signature, message) triple; kind keeps signatures and VRF
// proofs apart. Signatures and proofs have fixed sizes, so the message is what is left
// and the concatenation is unambiguous.
func (c *SigCache) entry(kind byte, pub PublicKey, sig, msg []byte) [32]byte {
	d := sha256.New()
	d.Write(c.salt[:])
	d.Write([]byte{kind})
	d.Write(pub[:])
	d.Write(sig)
	d.Write(msg)
	var e [32]byte
	d.Sum(e[:0])
	return e
}

const (
	kindSig byte = 's'
	kindVRF byte = 'v'
)

// Verify reports whether sig is a valid signature of msg by pub, as PublicKey.Verify
// does, checking the curve only for a triple not seen valid before.
func (c *SigCache) Verify(pub PublicKey, msg, sig []byte) bool {
	if c == nil || len(sig) != SignatureSize {
		return pub.Verify(msg, sig)
	}
	e := c.entry(kindSig, pub, sig, msg)
	if c.hasSig(e) {
		return true
	}
	var ok bool
	if x := c.expanded(pub); x != nil {
		ok = ed25519.VerifyExpanded(x, msg, sig)
	} else {
		ok = pub.Verify(msg, sig)
	}
	if !ok {
		return false
	}
	c.addSig(e)
	return true
}

// expanded returns pub in expanded form when the cache has met it before, and nil the
// first time (or for bytes that are no public key, whose signatures never verify).
func (c *SigCache) expanded(pub PublicKey) *ed25519.ExpandedPublicKey {
	c.mu.Lock()
	x, met := c.pubs[0][pub]
	if !met {
		if x, met = c.pubs[1][pub]; met {
			c.putPub(pub, x)
		}
	}
	if !met {
		c.putPub(pub, nil)
	}
	c.mu.Unlock()
	if x != nil || !met {
		return x
	}
	x, err := ed25519.NewExpandedPublicKey(pub[:])
	if err != nil {
		return nil
	}
	c.mu.Lock()
	c.putPub(pub, x)
	c.mu.Unlock()
	return x
}

// VRFVerify is VRFVerify with the outputs of proofs that verified before remembered.
func (c *SigCache) VRFVerify(pub PublicKey, alpha, proof []byte) ([]byte, error) {
	if c == nil || len(proof) != ProofSize {
		return VRFVerify(pub, alpha, proof)
	}
	e := c.entry(kindVRF, pub, proof, alpha)
	c.mu.Lock()
	beta, ok := c.betas[0][e]
	if !ok {
		if beta, ok = c.betas[1][e]; ok {
			c.putBeta(e, beta)
		}
	}
	c.mu.Unlock()
	if ok {
		return beta[:], nil
	}
	out, err := VRFVerify(pub, alpha, proof)
	if err != nil {
		return nil, err
	}
	copy(beta[:], out)
	c.mu.Lock()
	c.putBeta(e, beta)
	c.mu.Unlock()
	return out, nil
}

func (c *SigCache) hasSig(e [32]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.sigs[0][e]; ok {
		return true
	}
	if _, ok := c.sigs[1][e]; ok {
		c.putSig(e) // still in use: keep it through the next turnover
		return true
	}
	return false
}

func (c *SigCache) addSig(e [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putSig(e)
}

// putSig and putBeta add to the current generation, which becomes the previous one
// when it holds half the size; the previous one is then forgotten. Callers hold mu.
func (c *SigCache) putSig(e [32]byte) {
	if len(c.sigs[0]) >= c.half {
		c.sigs[1], c.sigs[0] = c.sigs[0], make(map[[32]byte]struct{}, c.half)
	}
	c.sigs[0][e] = struct{}{}
}

func (c *SigCache) putPub(pub PublicKey, x *ed25519.ExpandedPublicKey) {
	if len(c.pubs[0]) >= expandedKeys/2 {
		c.pubs[1], c.pubs[0] = c.pubs[0], map[PublicKey]*ed25519.ExpandedPublicKey{}
	}
	c.pubs[0][pub] = x
}

func (c *SigCache) putBeta(e [32]byte, beta [OutputSize]byte) {
	if len(c.betas[0]) >= c.half {
		c.betas[1], c.betas[0] = c.betas[0], map[[32]byte][OutputSize]byte{}
	}
	c.betas[0][e] = beta
}

// Len is the number of signatures and VRF proofs remembered.
func (c *SigCache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sigs[0]) + len(c.sigs[1]) + len(c.betas[0]) + len(c.betas[1])
}
