package ibft

import (
	"bytes"
	"slices"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
)

// voteKey names one tally: the prevotes or the precommits of one round.
type voteKey struct {
	kind  chain.VoteKind
	round uint32
}

// maxVotesPerSender bounds the different votes one trustee can have counted in one
// tally. An honest trustee casts one; an equivocator's votes count for each block
// they name, as in Algorithm 1, where a quorum for v means votes for v from 2f+1
// senders. That keeps quorums intersecting in f+1 trustees, so still in an honest
// one, and it keeps an equivocator's vote inside a proof of lock usable by every
// honest trustee, whichever of its votes reached it first.
const maxVotesPerSender = 3

// tally holds the votes of one kind in one round, at most maxVotesPerSender different
// ones per trustee, each counted for the block it names.
type tally struct {
	by          map[keys.PublicKey][]*chain.Vote
	count       map[chain.Hash]int // senders per block hash; the zero hash counts nil votes
	order       []*chain.Vote      // in arrival order, so certificates come out the same on every run
	equivocated map[keys.PublicKey]bool
}

func newTally() *tally {
	return &tally{by: map[keys.PublicKey][]*chain.Vote{}, count: map[chain.Hash]int{}, equivocated: map[keys.PublicKey]bool{}}
}

func (t *tally) add(v *chain.Vote) {
	t.by[v.Trustee] = append(t.by[v.Trustee], v)
	t.count[v.Block]++
	t.order = append(t.order, v)
}

// votedFor returns the trustee's vote for block h, or nil.
func (t *tally) votedFor(k keys.PublicKey, h chain.Hash) *chain.Vote {
	for _, v := range t.by[k] {
		if v.Block == h {
			return v
		}
	}
	return nil
}

// sameVote reports whether v repeats a vote already held, so that a resent vote costs
// no signature check.
func (t *tally) sameVote(v *chain.Vote) bool {
	old := t.votedFor(v.Trustee, v.Block)
	return old != nil && bytes.Equal(old.Sig, v.Sig)
}

// total is the number of trustees that voted, for any block or nil.
func (t *tally) total() int { return len(t.by) }

// votesFor lists the votes for block h in arrival order, one per trustee.
func (t *tally) votesFor(h chain.Hash) []*chain.Vote {
	var out []*chain.Vote
	for _, v := range t.order {
		if v.Block == h {
			out = append(out, v)
		}
	}
	return out
}

// quorumBlocks lists the non-nil blocks with at least q votes, in hash order.
func (t *tally) quorumBlocks(q int) []chain.Hash {
	var out []chain.Hash
	for h, c := range t.count {
		if c >= q && !h.IsZero() {
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b chain.Hash) int { return bytes.Compare(a[:], b[:]) })
	return out
}

// pastEpoch keeps what is needed of the epoch just decided: its block, to hand to
// trustees still deciding it, and its votes and trustee set, so that a conflicting vote
// arriving late is still caught as equivocation.
type pastEpoch struct {
	number    uint64
	block     *chain.Block
	decidedAt time.Time
	members   map[keys.PublicKey]int
	votes     map[voteKey]*tally
}
