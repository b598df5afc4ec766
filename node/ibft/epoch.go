package ibft

import (
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
)

// epoch is everything the machine holds about the epoch being decided.
type epoch struct {
	number uint64
	closed bool // the collect window closed (or a restored record says it had): rounds run
	round  uint32
	step   Step

	lockedRound int64
	lockedBlock chain.Hash
	validRound  int64
	validBlock  chain.Hash

	ownReport *Report
	reports   map[keys.PublicKey]*Report // the first valid report of each trustee
	reportOK  map[chain.Hash]bool        // reports verified, sent directly or inside proposals
	luck      map[chain.Hash]luckResult  // tickets verified, by ticket hash

	proposals map[uint32][]*heldProposal // per round, from its leader; at most two
	blocks    map[chain.Hash]*candidate
	proposed  map[uint32]bool // rounds this trustee proposed in

	votes    map[voteKey]*tally
	flags    map[uint32]*roundFlags
	own      []*chain.Vote             // this trustee's votes, in signing order
	maxRound map[keys.PublicKey]uint32 // the latest round each trustee was seen in
	held     map[keys.PublicKey]int    // messages held per trustee, against Limits.PerSender
	decide   []roundBlock              // blocks with a quorum of precommits
	polkas   []roundBlock              // blocks with a quorum of prevotes

	timers     []timer
	lastResend time.Time
}

func newEpoch(number uint64) *epoch {
	return &epoch{
		number:      number,
		lockedRound: NoRound,
		validRound:  NoRound,
		reports:     map[keys.PublicKey]*Report{},
		reportOK:    map[chain.Hash]bool{},
		luck:        map[chain.Hash]luckResult{},
		proposals:   map[uint32][]*heldProposal{},
		blocks:      map[chain.Hash]*candidate{},
		proposed:    map[uint32]bool{},
		votes:       map[voteKey]*tally{},
		flags:       map[uint32]*roundFlags{},
		maxRound:    map[keys.PublicKey]uint32{},
		held:        map[keys.PublicKey]int{},
	}
}

type luckResult struct {
	luck chain.Luck
	err  error
}

// heldProposal is a proposal with what checking its reports found.
type heldProposal struct {
	p       *Proposal
	block   chain.Hash
	checked bool
	err     error // why the reports do not justify the block's winner and payroll
}

// candidate is a block some proposal carried, with what applying it gave.
type candidate struct {
	block    *chain.Block
	sources  []*heldProposal // proposals that carried it, in arrival order
	applied  bool
	applyErr error
	next     *chain.State
	receipts *chain.Receipts
}

// justified returns a source whose reports justify the block, or nil.
func (c *candidate) justified() *heldProposal {
	for _, s := range c.sources {
		if s.checked && s.err == nil {
			return s
		}
	}
	return nil
}

// roundFlags remember the "for the first time" of Algorithm 1, per round.
type roundFlags struct {
	prevoteTimer   bool // line 34
	polSeen        bool // line 36
	precommitTimer bool // line 47
}

func (ep *epoch) flagsOf(r uint32) *roundFlags {
	f := ep.flags[r]
	if f == nil {
		f = &roundFlags{}
		ep.flags[r] = f
	}
	return f
}

func (ep *epoch) tallyOf(kind chain.VoteKind, r uint32) *tally {
	k := voteKey{kind, r}
	t := ep.votes[k]
	if t == nil {
		t = newTally()
		ep.votes[k] = t
	}
	return t
}

// roundBlock names a block with a quorum of votes in one round.
type roundBlock struct {
	round uint32
	block chain.Hash
}

type timeoutKind uint8

const (
	timeoutPropose timeoutKind = iota
	timeoutPrevote
	timeoutPrecommit
)

func (k timeoutKind) String() string {
	return [...]string{"propose", "prevote", "precommit"}[k]
}

// timer is a scheduled timeout. It is armed (given a due time) at scheduling when the
// clock is known, else at the next Tick.
type timer struct {
	kind  timeoutKind
	round uint32
	after time.Duration
	due   time.Time
	armed bool
}

// dueTimer returns the index of the earliest timer due at now (the first scheduled
// among equals), or −1.
func (ep *epoch) dueTimer(now time.Time) int {
	best := -1
	for i, t := range ep.timers {
		if t.armed && !t.due.After(now) && (best < 0 || t.due.Before(ep.timers[best].due)) {
			best = i
		}
	}
	return best
}
