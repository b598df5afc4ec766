package devnet

import (
	"fmt"
	"path/filepath"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/store"
	"github.com/daolicloud/daoli/node/trustee"
)

// slot names the one record a trustee may sign of a kind in a round of an epoch; kind 0
// is a proposal.
type slot struct {
	kind  chain.VoteKind
	epoch uint64
	round uint32
}

func (s slot) String() string {
	kind := "proposal"
	switch s.kind {
	case chain.Prevote:
		kind = "prevote"
	case chain.Precommit:
		kind = "precommit"
	}
	return fmt.Sprintf("%s of epoch %d round %d", kind, s.epoch, s.round)
}

// SignedLog is what one trustee signed, from every reading of its write-ahead log
// while it was stopped. The log is pruned after each commit, so only the union of
// the readings shows everything the trustee signed; a reading that contradicts an
// earlier one is an equivocation.
type SignedLog struct {
	self      keys.PublicKey
	votes     map[slot]chain.Hash
	proposals map[slot]chain.Hash
	reports   map[uint64]chain.Hash
	commits   map[uint64]chain.Hash // the blocks it committed, by height
}

// NewSignedLog starts the log of the trustee self; with the zero key, the log takes
// the signer of the first record it reads as its trustee.
func NewSignedLog(self keys.PublicKey) *SignedLog {
	return &SignedLog{
		self: self, votes: map[slot]chain.Hash{}, proposals: map[slot]chain.Hash{},
		reports: map[uint64]chain.Hash{}, commits: map[uint64]chain.Hash{},
	}
}

// Self is the trustee whose log this is (zero until a record names it).
func (l *SignedLog) Self() keys.PublicKey { return l.self }

// Votes is how many votes the log holds.
func (l *SignedLog) Votes() int { return len(l.votes) }

// Precommit is the block the trustee's WAL says it precommitted in a round, if any
// reading held that precommit.
func (l *SignedLog) Precommit(epoch uint64, round uint32) (chain.Hash, bool) {
	h, ok := l.votes[slot{chain.Precommit, epoch, round}]
	return h, ok
}

// Read adds the records of the WAL of the stopped trustee whose data directory is
// dataDir. It returns how many records there were, and an error for a damaged record,
// a record signed by another trustee, or one that conflicts with an earlier reading
// (ErrEquivocation).
func (l *SignedLog) Read(dataDir string) (int, error) {
	st, err := store.Open(filepath.Join(dataDir, trustee.DBFile), nil)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", dataDir, err)
	}
	defer st.Close()
	n := 0
	err = st.WAL().Range(0, func(seq uint64, raw []byte) error {
		n++
		wr, err := trustee.DecodeWALRecord(raw)
		if err != nil {
			return fmt.Errorf("WAL record %d: %w", seq, err)
		}
		if c := wr.Commit; c != nil {
			h := c.Block.Header.Epoch
			return agree(l.commits, h, c.Block.Hash(), fmt.Sprintf("commits of block %d", h))
		}
		rec := wr.Signed
		if rec == nil {
			return nil // a record of an older release that holds nothing to keep
		}
		switch {
		case rec.Report != nil:
			r := rec.Report
			if err := l.signer(r.Trustee); err != nil {
				return fmt.Errorf("WAL record %d: report: %w", seq, err)
			}
			return agree(l.reports, r.Epoch, r.Hash(), fmt.Sprintf("report of epoch %d", r.Epoch))
		case rec.Vote != nil:
			v := rec.Vote
			if err := l.signer(v.Trustee); err != nil {
				return fmt.Errorf("WAL record %d: vote: %w", seq, err)
			}
			if err := v.VerifySig(); err != nil {
				return fmt.Errorf("WAL record %d: %w", seq, err)
			}
			s := slot{v.Kind, v.Epoch, v.Round}
			return agree(l.votes, s, v.Block, s.String())
		default:
			p := rec.Proposal
			if err := l.signer(p.Proposer); err != nil {
				return fmt.Errorf("WAL record %d: proposal: %w", seq, err)
			}
			s := slot{0, p.Epoch, p.Round}
			return agree(l.proposals, s, p.Block.Hash(), s.String())
		}
	})
	if err != nil {
		return n, fmt.Errorf("%s: %w", dataDir, err)
	}
	return n, nil
}

// signer checks that a record is the log's trustee's, learning who that is from the
// first record when the log was started without a key.
func (l *SignedLog) signer(k keys.PublicKey) error {
	if l.self == (keys.PublicKey{}) {
		l.self = k
	}
	if k != l.self {
		return fmt.Errorf("signed by another trustee, %s", k.String()[:8])
	}
	return nil
}

// agree records that k was signed for h, or reports the conflict with what was.
func agree[K comparable](m map[K]chain.Hash, k K, h chain.Hash, what string) error {
	if old, ok := m[k]; ok && old != h {
		return fmt.Errorf("%w: %s: %s and %s", ErrEquivocation, what, old.Short(), h.Short())
	}
	m[k] = h
	return nil
}
