package ibft

import (
	"fmt"

	"github.com/daolicloud/daoli/node/chain"
)

// loadRecords checks the restored write-ahead log and keeps the records of epochs not
// yet committed: every vote among them binds this trustee, and the records of the
// epoch being decided rebuild its round, step and lock (restoreEpoch).
func (m *Machine) loadRecords(recs []Record) error {
	for i := range recs {
		rec := &recs[i]
		bad := func(format string, a ...any) error {
			return fmt.Errorf("%w: record %d: %s", ErrBadRecord, i, fmt.Sprintf(format, a...))
		}
		if err := rec.checkShape(); err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
		if rec.signer() != m.self {
			return bad("signed by %s, not by this trustee", short(rec.signer()))
		}
		if err := rec.validateBasic(m.chainID); err != nil {
			return bad("%v", err)
		}
		e := rec.Epoch()
		if e <= m.state.Epoch() {
			continue // decided: nothing of it can be signed again
		}
		// A record the log damaged would otherwise restore a lock or a vote nobody made.
		var err error
		switch {
		case rec.Report != nil:
			err = rec.Report.VerifySig()
		case rec.Vote != nil:
			err = rec.Vote.VerifySig()
		default:
			err = rec.Proposal.VerifySig()
		}
		if err != nil {
			return bad("%v", err)
		}
		if v := rec.Vote; v != nil {
			key := signedKey{v.Epoch, v.Round, v.Kind}
			if old := m.signed[key]; old != nil && old.Block != v.Block {
				return bad("two votes for one kind, epoch and round: %s and %s", voteString(old), voteString(v))
			}
			m.signed[key] = v
		}
		m.wal[e] = append(m.wal[e], *rec)
	}
	return nil
}

// restoreEpoch applies the restored records of the epoch just entered: its report
// means the collect window had closed, its votes put it back in their latest round and
// step, and its latest precommit for a block (saved with that block) is its lock.
func (m *Machine) restoreEpoch() {
	ep := m.ep
	for e := range m.wal {
		if e < ep.number {
			delete(m.wal, e)
		}
	}
	recs := m.wal[ep.number]
	delete(m.wal, ep.number)
	if len(recs) == 0 {
		return
	}
	var round uint32
	prevoted, precommitted := map[uint32]bool{}, map[uint32]bool{}
	for i := range recs {
		rec := &recs[i]
		switch {
		case rec.Report != nil:
			if ep.ownReport == nil {
				ep.ownReport = rec.Report
				ep.reports[m.self] = rec.Report
			}
		case rec.Vote == nil:
			p := rec.Proposal
			ep.proposed[p.Round] = true
			m.holdProposal(p, p.Block.Hash())
			round = max(round, p.Round)
		default:
			v := rec.Vote
			m.countOwn(v)
			round = max(round, v.Round)
			if v.Kind == chain.Prevote {
				prevoted[v.Round] = true
				continue
			}
			precommitted[v.Round] = true
			if v.Block.IsZero() {
				continue
			}
			if rec.Proposal == nil {
				// Only a legacy record (DecodeLegacyRecord) lost the proposal: the lock
				// holds all the same, and the block can still be decided by the
				// precommits for it; unjustified, it is not the valid block.
				if rec.block != nil && ep.blocks[v.Block] == nil {
					ep.blocks[v.Block] = &candidate{block: rec.block}
				}
				if int64(v.Round) > ep.lockedRound {
					ep.lockedRound, ep.lockedBlock = int64(v.Round), v.Block
				}
				continue
			}
			if p := rec.Proposal; m.leader(p.Round) == p.Proposer {
				m.holdProposal(p, v.Block)
			}
			if int64(v.Round) > ep.lockedRound {
				ep.lockedRound, ep.lockedBlock = int64(v.Round), v.Block
				ep.validRound, ep.validBlock = int64(v.Round), v.Block
			}
		}
	}
	ep.closed = true
	ep.round = round
	switch {
	case precommitted[round]:
		ep.step = StepPrecommit
		m.schedule(timeoutPrecommit, round)
	case prevoted[round]:
		ep.step = StepPrevote
		m.schedule(timeoutPrevote, round)
	default:
		ep.step = StepPropose
		m.schedule(timeoutPropose, round)
	}
}
