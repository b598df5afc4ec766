package light

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
)

// Link is one certified block as a light node receives it. Trustees is the set that
// certifies the block, sent along only when it differs from its parent's (a membership
// boundary); otherwise nil.
type Link struct {
	Block    *chain.Block
	Cert     *chain.Cert
	Trustees []chain.Trustee
}

// Follower holds the newest verified header and the trustee set that certifies the
// block after it. It is not safe for concurrent use.
type Follower struct {
	chainID string
	tip     chain.Header
	tipHash chain.Hash
	set     []chain.Trustee // certified the tip; hashes to tip.TrusteeSetHash
	// interval is the chain's MembershipInterval: the set changes only after a block
	// whose epoch is a multiple of it.
	interval uint64
	// signers are the trustees whose precommits the follower verified in the
	// certificates of the blocks it accepted last, oldest first, up to recentCerts
	// blocks: how often each trustee votes. A quorum of each certificate's signatures
	// is verified; a signature beyond it is not counted.
	signers [][]keys.PublicKey
	// cache remembers the signatures verified already (nil: none), shared with the
	// node's gossip validator so that a certificate checked on arrival is not checked
	// again when its block is applied.
	cache *keys.SigCache
}

// recentCerts is how many certificates the follower remembers the signers of.
const recentCerts = 100

// NewFollower starts at the genesis of g.
func NewFollower(g *chain.Genesis) (*Follower, error) {
	st, err := g.State()
	if err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	b := g.Block(st)
	return &Follower{chainID: g.ChainID, tip: b.Header, tipHash: b.Hash(), set: st.Active(), interval: g.Params.MembershipInterval}, nil
}

// ResumeFollower starts at a header verified before, with the set that certified it
// (as Set returned then), on a chain whose MembershipInterval is interval.
func ResumeFollower(tip chain.Header, set []chain.Trustee, interval uint64) (*Follower, error) {
	if got := chain.TrusteeSetHash(set); got != tip.TrusteeSetHash {
		return nil, fmt.Errorf("%w: set hashes to %s, header %d names %s", ErrTrusteeSet, got.Short(), tip.Epoch, tip.TrusteeSetHash.Short())
	}
	if interval == 0 {
		return nil, fmt.Errorf("%w: membership interval 0", ErrTrusteeSet)
	}
	return &Follower{chainID: tip.ChainID, tip: tip, tipHash: tip.Hash(), set: set, interval: interval}, nil
}

// UseCache makes the follower look signatures up in, and add them to, c.
func (f *Follower) UseCache(c *keys.SigCache) { f.cache = c }

// Tip is the newest verified header.
func (f *Follower) Tip() chain.Header { return f.tip }

// TipHash identifies the newest verified block.
func (f *Follower) TipHash() chain.Hash { return f.tipHash }

// Height is the epoch of the newest verified header.
func (f *Follower) Height() uint64 { return f.tip.Epoch }

// Set is the trustee set that certified the tip. It certifies the next block too,
// unless the tip names another (Header.NextTrusteeSetHash).
func (f *Follower) Set() []chain.Trustee { return f.set }

// pending is a link whose checks passed but for the signatures, queued in a batch.
type pending struct {
	next           chain.Header
	hash           chain.Hash
	set            []chain.Trustee
	firstSig, sigs int
	signers        []keys.PublicKey // whose signatures are verified
}

// Verify checks links in order and moves the tip over every one that extends it. It
// returns how many it accepted; if that is fewer than len(links), err says what was
// wrong with the first refused one, and the tip is the block before it.
//
// The certificates of a run of links are verified together: one batch per core, split
// at block boundaries, which is several times faster than one signature at a time
// during a sync.
func (f *Follower) Verify(links []Link) (int, error) {
	var (
		queued   []pending
		sigs     []sigRef
		firstErr error
	)
	tip, tipHash, set := f.tip, f.tipHash, f.set
	for i := range links {
		p, refs, err := f.check(&links[i], &tip, tipHash, set)
		if err != nil {
			firstErr = fmt.Errorf("block %d: %w", tip.Epoch+1, err)
			break
		}
		p.firstSig = len(sigs)
		p.sigs = len(refs)
		sigs = append(sigs, refs...)
		queued = append(queued, p)
		tip, tipHash, set = p.next, p.hash, p.set
	}
	bad := verifySigs(sigs, f.cache)
	for i, p := range queued {
		if bad >= 0 && bad < p.firstSig+p.sigs {
			return i, fmt.Errorf("block %d: %w: %w: %w", p.next.Epoch, ErrBadBlock, chain.ErrBadCert, chain.ErrBadSignature)
		}
		f.tip, f.tipHash, f.set = p.next, p.hash, p.set
		f.noteSigners(p.signers)
	}
	return len(queued), firstErr
}

// VerifyCert checks, without moving the tip, that l's block is one the follower can
// vouch for: the block after the tip passing every rule Verify applies, or a block
// further ahead whose body matches its header and whose certificate a quorum of the
// set the follower trusts signed, when no membership boundary lies between the tip
// and it (so that set is the one that certifies it). It returns nil for such a block;
// ErrStale for one at or below the tip; ErrUnverifiable for one the follower cannot
// check yet; ErrNotNext for a block at the next height that does not link to the tip
// but carries a valid certificate of the trusted set; and ErrBadBlock or
// ErrTrusteeSet for one that is forged.
func (f *Follower) VerifyCert(l *Link) error {
	if l.Block == nil || l.Cert == nil {
		return fmt.Errorf("%w: block or certificate missing", ErrBadBlock)
	}
	h := &l.Block.Header
	switch {
	case h.ChainID != f.chainID:
		return fmt.Errorf("%w: chain %q, following %q", ErrBadBlock, h.ChainID, f.chainID)
	case h.Epoch <= f.tip.Epoch:
		return fmt.Errorf("%w: block %d, trusted tip %d", ErrStale, h.Epoch, f.tip.Epoch)
	case h.Epoch == f.tip.Epoch+1:
		_, refs, err := f.check(l, &f.tip, f.tipHash, f.set)
		if errors.Is(err, ErrNotNext) {
			// It does not extend the tip; whether its sender forged it is what its
			// certificate says.
			if cerr := f.certifiedByTrusted(l); cerr != nil && !errors.Is(cerr, ErrUnverifiable) {
				return cerr
			}
			return err
		}
		if err != nil {
			return err
		}
		if verifySigs(refs, f.cache) >= 0 {
			return fmt.Errorf("%w: %w: %w", ErrBadBlock, chain.ErrBadCert, chain.ErrBadSignature)
		}
		return nil
	}
	return f.certifiedByTrusted(l)
}

// certifiedByTrusted checks that l's block, above the tip, matches its header and
// that a quorum of the trusted set signed it, when no membership boundary lies
// between the tip and it (ErrUnverifiable otherwise).
func (f *Follower) certifiedByTrusted(l *Link) error {
	h := &l.Block.Header
	// The set that certifies block k is the one after block k−1; it changes only
	// after a block whose epoch is a multiple of the interval.
	boundary := (f.tip.Epoch/f.interval + 1) * f.interval
	switch {
	case f.tip.NextTrusteeSetHash != f.tip.TrusteeSetHash:
		return fmt.Errorf("%w: block %d, and the set that certifies block %d is not known yet", ErrUnverifiable, h.Epoch, f.tip.Epoch+1)
	case h.Epoch > boundary:
		return fmt.Errorf("%w: block %d is past the membership boundary at %d", ErrUnverifiable, h.Epoch, boundary)
	case h.TrusteeSetHash != f.tip.TrusteeSetHash:
		// Before the boundary only the trusted set certifies blocks.
		return fmt.Errorf("%w: block %d names set %s, the trusted set is %s", ErrTrusteeSet, h.Epoch, h.TrusteeSetHash.Short(), f.tip.TrusteeSetHash.Short())
	}
	if err := l.Block.CheckBody(); err != nil {
		return fmt.Errorf("%w: %w", ErrBadBlock, err)
	}
	col := new(sigCollector)
	if err := l.Cert.AddTo(col, f.chainID, h.Epoch, l.Block.Hash(), f.set); err != nil {
		return fmt.Errorf("%w: %w", ErrBadBlock, err)
	}
	if verifySigs(col.refs[:chain.Quorum(len(f.set))], f.cache) >= 0 {
		return fmt.Errorf("%w: %w: %w", ErrBadBlock, chain.ErrBadCert, chain.ErrBadSignature)
	}
	return nil
}

func (f *Follower) noteSigners(ks []keys.PublicKey) {
	// A new slice each time: a Follower is copied to verify ahead (Node.apply), and
	// the copy must not write into the original's.
	drop := max(len(f.signers)+1-recentCerts, 0)
	f.signers = append(slices.Clip(f.signers[drop:]), ks)
}

// TipSigners is how many signatures of the tip's certificate the follower verified
// (0 at the block it started from).
func (f *Follower) TipSigners() int {
	if len(f.signers) == 0 {
		return 0
	}
	return len(f.signers[len(f.signers)-1])
}

// Signed is how many of the certificates verified last (of) carry a precommit of
// trustee k that the follower verified.
func (f *Follower) Signed(k keys.PublicKey) (signed, of int) {
	for _, ks := range f.signers {
		for _, s := range ks {
			if s == k {
				signed++
				break
			}
		}
	}
	return signed, len(f.signers)
}

// check runs every rule but the signature verification on the link that should follow
// tip, returning the signatures to verify.
func (f *Follower) check(l *Link, tip *chain.Header, tipHash chain.Hash, set []chain.Trustee) (pending, []sigRef, error) {
	if l.Block == nil || l.Cert == nil {
		return pending{}, nil, fmt.Errorf("%w: block or certificate missing", ErrBadBlock)
	}
	h := &l.Block.Header
	switch {
	case h.ChainID != f.chainID:
		return pending{}, nil, fmt.Errorf("%w: chain %q, following %q", ErrNotNext, h.ChainID, f.chainID)
	case h.Epoch != tip.Epoch+1:
		return pending{}, nil, fmt.Errorf("%w: height %d after %d", ErrNotNext, h.Epoch, tip.Epoch)
	case h.Parent != tipHash:
		return pending{}, nil, fmt.Errorf("%w: parent %s, trusted tip %s", ErrNotNext, h.Parent.Short(), tipHash.Short())
	case h.TrusteeSetHash != tip.NextTrusteeSetHash:
		return pending{}, nil, fmt.Errorf("%w: certified by set %s, the parent named %s", ErrTrusteeSet, h.TrusteeSetHash.Short(), tip.NextTrusteeSetHash.Short())
	}
	if h.TrusteeSetHash != tip.TrusteeSetHash {
		// A membership boundary: the new set comes along, and the trusted parent's
		// commitment to it (checked above) is what makes it trustworthy.
		if l.Trustees == nil {
			return pending{}, nil, fmt.Errorf("%w: a new set certifies this block and none was sent along", ErrTrusteeSet)
		}
		if got := chain.TrusteeSetHash(l.Trustees); got != h.TrusteeSetHash {
			return pending{}, nil, fmt.Errorf("%w: the set sent along hashes to %s, header names %s", ErrTrusteeSet, got.Short(), h.TrusteeSetHash.Short())
		}
		set = l.Trustees
	}
	if err := l.Block.CheckBody(); err != nil {
		return pending{}, nil, fmt.Errorf("%w: %w", ErrBadBlock, err)
	}
	hash := l.Block.Hash()
	col := new(sigCollector)
	if err := l.Cert.AddTo(col, f.chainID, h.Epoch, hash, set); err != nil {
		return pending{}, nil, fmt.Errorf("%w: %w", ErrBadBlock, err)
	}
	// A quorum of valid signatures from the trusted set is what makes the block final;
	// the certificate's other signatures (up to n) add nothing to that, so only a quorum
	// is checked. The trustees themselves check all of them when the certificate comes
	// back as the next block's LastCert.
	refs := col.refs[:chain.Quorum(len(set))]
	signers := make([]keys.PublicKey, len(refs))
	for i, r := range refs {
		signers[i] = r.pub
	}
	return pending{next: *h, hash: hash, set: set, signers: signers}, refs, nil
}

// sigRef is one signature to verify.
type sigRef struct {
	pub      keys.PublicKey
	msg, sig []byte
}

// sigCollector records what Cert.AddTo queues, so that signatures of many blocks can be
// split among cores at will.
type sigCollector struct{ refs []sigRef }

func (c *sigCollector) Add(pub keys.PublicKey, msg, sig []byte) {
	c.refs = append(c.refs, sigRef{pub, msg, sig})
}

// verifySigs batch-verifies sigs on every core, skipping those cache knows (nil:
// none), and returns the index of the first bad one, or -1.
func verifySigs(sigs []sigRef, cache *keys.SigCache) int {
	if len(sigs) == 0 {
		return -1
	}
	workers := min(runtime.GOMAXPROCS(0), (len(sigs)+63)/64)
	chunk := (len(sigs) + workers - 1) / workers
	firstBad := make([]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, len(sigs))
		firstBad[w] = -1
		wg.Go(func() {
			bv := keys.NewCachedBatchVerifier(hi-lo, cache)
			for _, s := range sigs[lo:hi] {
				bv.Add(s.pub, s.msg, s.sig)
			}
			if ok, each := bv.Verify(); !ok {
				for i, good := range each {
					if !good {
						firstBad[w] = lo + i
						return
					}
				}
			}
		})
	}
	wg.Wait()
	for _, b := range firstBad {
		if b >= 0 {
			return b
		}
	}
	return -1
}
