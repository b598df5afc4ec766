package ibft

import (
	"errors"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/chain"
)

// legacyEncode writes a record as the release before admitted counts did.
func legacyEncode(r Record) []byte {
	report := func(r *Report) legacyReport {
		return legacyReport{ChainID: r.ChainID, Epoch: r.Epoch, Parent: r.Parent, Tickets: r.Tickets, Trustee: r.Trustee, Sig: r.Sig}
	}
	l := legacyRecord{Vote: r.Vote}
	if r.Report != nil {
		lr := report(r.Report)
		l.Report = &lr
	}
	if p := r.Proposal; p != nil {
		lp := &legacyProposal{Epoch: p.Epoch, Round: p.Round, ValidRound: p.ValidRound, Block: p.Block, Proposer: p.Proposer, Sig: p.Sig}
		for i := range p.Reports {
			lp.Reports = append(lp.Reports, report(&p.Reports[i]))
		}
		l.Proposal = lp
	}
	return encode(&l)
}

// TestLegacyLog restarts four trustees of the release with admitted counts from the
// logs of the release before it, written when every trustee had precommitted a block
// and no precommit had arrived: the state in which the old release stopped. The
// reports and proposals are dropped, the precommits and their block kept, the epoch
// takes new reports, and the precommits already cast decide the block they locked on.
func TestLegacyLog(t *testing.T) {
	bed := newTestbed(t, 4, 5)
	net := newLockstep(t, bed, nil)
	net.drop = func(from, to int, msg *Message) bool { return msg.Vote != nil && msg.Vote.Kind == chain.Precommit }
	wal := make([][]Record, len(net.ms))
	net.closeAll(t, 5)
	for moved := true; moved; {
		moved = false
		for i, m := range net.ms {
			if !m.HasReady() {
				continue
			}
			moved = true
			rd := m.Ready()
			wal[i] = append(wal[i], rd.Persist...)
			m.Advance()
			for _, o := range rd.Messages {
				for j, dst := range net.ms {
					if j != i && (o.Broadcast() || bed.trustees[j].Public() == o.To) && !net.drop(i, j, &o.Message) {
						_ = dst.Step(o.Message)
					}
				}
			}
		}
	}
	locked := net.ms[0].Status().LockedBlock
	for i, m := range net.ms {
		if st := m.Status(); st.LockedBlock != locked || locked.IsZero() || m.State().Epoch() != 0 {
			t.Fatalf("trustee %d: locked on %s at height %d, want every trustee locked and none committed", i, st.LockedBlock.Short(), m.State().Epoch())
		}
	}

	restarted := &lockstep{bed: bed, logs: make([][]CommittedBlock, len(bed.trustees))}
	for i, recs := range wal {
		var kept []Record
		var dropped, precommits int
		for _, r := range recs {
			raw := legacyEncode(r)
			if _, err := DecodeRecord(raw); err == nil && (r.Report != nil || r.Proposal != nil) {
				t.Fatalf("trustee %d: a legacy record with a report or proposal decodes as a current one", i)
			}
			if _, err := DecodeRecord(raw); err == nil {
				// A vote alone has not changed form.
				rec, _ := DecodeRecord(raw)
				kept = append(kept, *rec)
				continue
			}
			rec, epoch, err := DecodeLegacyRecord(raw)
			if err != nil || epoch != 1 {
				t.Fatalf("trustee %d: legacy record: epoch %d, %v", i, epoch, err)
			}
			if rec == nil {
				dropped++
				continue
			}
			if rec.Vote.Kind != chain.Precommit || rec.Proposal != nil || rec.block == nil || rec.block.Hash() != locked {
				t.Fatalf("trustee %d: a legacy precommit record kept as %+v", i, rec)
			}
			precommits++
			kept = append(kept, *rec)
		}
		if dropped == 0 || precommits != 1 {
			t.Fatalf("trustee %d: %d records dropped, %d precommits kept", i, dropped, precommits)
		}
		m, err := New(Config{Key: bed.trustees[i], State: bed.state0}, kept)
		if err != nil {
			t.Fatalf("trustee %d: %v", i, err)
		}
		m.Tick(bed.start())
		if st := m.Status(); st.LockedBlock != locked || st.Step != StepPrecommit {
			t.Fatalf("trustee %d restarted locked on %s in step %v", i, st.LockedBlock.Short(), st.Step)
		}
		restarted.ms = append(restarted.ms, m)
	}
	restarted.closeAll(t, 5) // the restored epoch takes a new report
	if err := restarted.ms[0].CloseEpoch(1, nil, 0); !errors.Is(err, ErrEpochClosed) {
		t.Fatalf("a second report: %v", err)
	}
	now := bed.start()
	for range 20 {
		restarted.settle()
		if restarted.ms[0].State().Epoch() == 1 {
			break
		}
		now = now.Add(500 * time.Millisecond)
		for _, m := range restarted.ms {
			m.Tick(now)
		}
	}
	for i, m := range restarted.ms {
		if m.State().Epoch() != 1 || m.State().Tip() != locked {
			t.Fatalf("trustee %d: height %d tip %s, want the block every trustee had precommitted, %s", i, m.State().Epoch(), m.State().Tip().Short(), locked.Short())
		}
	}
	if _, _, err := DecodeLegacyRecord([]byte{0x83, 0xf6, 0xf6, 0xf6}); !errors.Is(err, chain.ErrMalformed) {
		t.Fatalf("an empty legacy record: %v", err)
	}
}
