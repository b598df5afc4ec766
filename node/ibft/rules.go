package ibft

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/luck"
)

// The rules of Tendermint's Algorithm 1, one function each, named after the lines of
// the paper they implement. progress tries them in turn; settle calls it until none
// applies, so the order only decides which of several enabled rules goes first.

func (m *Machine) progress() bool {
	if m.tryDecide() {
		return true
	}
	if !m.ep.closed {
		return false
	}
	return m.trySkip() || m.tryPropose() || m.tryPrevote() || m.tryPolka() || m.tryLatePolka()
}

// tryDecide is line 49: a block with a quorum of precommits in any round is decided,
// whatever the step, once this trustee holds the block and it applies.
func (m *Machine) tryDecide() bool {
	ep := m.ep
	for _, d := range ep.decide {
		c := ep.blocks[d.block]
		if c == nil || !m.applies(c) {
			continue
		}
		votes := ep.votes[voteKey{chain.Precommit, d.round}].votesFor(d.block)
		cert, err := chain.NewCert(votes)
		if err != nil {
			panic(fmt.Sprintf("ibft: precommits of one tally do not make a certificate: %v", err))
		}
		m.commit(c.block, cert, c.next, c.receipts)
		return true
	}
	return false
}

// trySkip is line 55: when f+1 trustees were seen in later rounds, one of them honest,
// the trustee moves to the latest round that f+1 of them reached.
func (m *Machine) trySkip() bool {
	ep := m.ep
	var rounds []uint32
	for k, r := range ep.maxRound {
		if k != m.self && r > ep.round {
			rounds = append(rounds, r)
		}
	}
	if len(rounds) < m.faults+1 {
		return false
	}
	slices.Sort(rounds)
	m.startRound(rounds[len(rounds)-1-m.faults])
	return true
}

// startRound is StartRound of Algorithm 1. The leader proposes in tryPropose, once it
// holds a quorum of reports; everyone, the leader too, waits timeoutPropose for it.
func (m *Machine) startRound(r uint32) {
	ep := m.ep
	ep.round, ep.step = r, StepPropose
	ep.timers = slices.DeleteFunc(ep.timers, func(t timer) bool { return t.round < r })
	m.schedule(timeoutPropose, r)
}

// tryPropose is lines 14–19 for the leader: propose the valid block again if there is
// one, else build a block from a quorum of reports, its own among them.
func (m *Machine) tryPropose() bool {
	ep := m.ep
	if !m.member || ep.step != StepPropose || ep.proposed[ep.round] || m.leader(ep.round) != m.self {
		return false
	}
	var p *Proposal
	if ep.validRound != NoRound {
		if c := ep.blocks[ep.validBlock]; c != nil && m.valid(c) {
			src := c.justified()
			p = &Proposal{Epoch: ep.number, Round: ep.round, ValidRound: ep.validRound, Block: *c.block, Reports: src.p.Reports}
		}
	}
	var built *candidate
	if p == nil {
		p, built = m.buildProposal()
		if p == nil {
			return false
		}
	}
	p.Sign(m.key)
	ep.proposed[ep.round] = true
	m.out.Persist = append(m.out.Persist, Record{Proposal: p})
	h := p.Block.Hash()
	hp := m.holdProposal(p, h)
	hp.checked = true
	if built != nil {
		c := ep.blocks[h]
		c.applied, c.next, c.receipts = true, built.next, built.receipts
	}
	m.sendProposal(p)
	if p.ValidRound != NoRound {
		m.relayProofOfLock(m.lacksProofOfLock())
	}
	return true
}

// buildProposal makes a new block from a quorum of reports, or returns nil while the
// trustee holds too few.
func (m *Machine) buildProposal() (*Proposal, *candidate) {
	ep := m.ep
	if ep.ownReport == nil || len(ep.reports) < m.quorum {
		return nil, nil
	}
	// Its own report and the others in lineup order: a fixed choice, so replays of one
	// run give one block.
	reports := []Report{*ep.ownReport}
	for _, t := range m.set {
		if r := ep.reports[t.Key]; r != nil && t.Key != m.self && len(reports) < m.quorum {
			reports = append(reports, *r)
		}
	}
	slices.SortFunc(reports, func(a, b Report) int { return bytes.Compare(a.Trustee[:], b.Trustee[:]) })
	sel := m.selection(reports)
	cp := chain.Proposal{
		Time:     m.state.Params().GenesisTime,
		Winner:   sel.winner(),
		Payroll:  sel.payroll(),
		LastCert: m.lastCert,
		Tickets:  sel.admitted,
	}
	if m.mempool != nil {
		cp.Payload = m.mempool.Payload(m.state, m.maxPayload)
	}
	b, next, rec, err := chain.ProposeWith(m.state, cp, m.sigs)
	if err != nil && cp.Payload != nil {
		// A payload that does not apply is the mempool's fault; an empty block still
		// decides the epoch.
		cp.Payload = nil
		b, next, rec, err = chain.ProposeWith(m.state, cp, m.sigs)
	}
	if err != nil {
		panic(fmt.Sprintf("ibft: a block of verified tickets and no payload does not apply: %v", err))
	}
	p := &Proposal{Epoch: ep.number, Round: ep.round, ValidRound: NoRound, Block: *b, Reports: reports}
	return p, &candidate{next: next, receipts: rec}
}

// selection applies the luck rule to verified reports and counts the epoch's admitted
// tickets from them.
func (m *Machine) selection(reports []Report) selection {
	sets := make([][]luck.Ticket, len(reports))
	counts := make([]uint32, len(reports))
	for i := range reports {
		counts[i] = reports[i].Admitted
		for j := range reports[i].Tickets {
			t, err := m.ticket(&reports[i].Tickets[j])
			if err != nil {
				panic(fmt.Sprintf("ibft: a ticket of a verified report fails: %v", err))
			}
			sets[i] = append(sets[i], t)
		}
	}
	sel, err := luck.SelectWinner(sets, int(m.state.Params().Payroll))
	if err != nil {
		panic(fmt.Sprintf("ibft: verified reports of one epoch mix lotteries: %v", err))
	}
	return selection{Selection: sel, admitted: luck.AdmittedCount(counts)}
}

// tryPrevote is lines 22–33: in step propose, prevote the round's proposal if it is
// valid and the lock allows it (a new block when not locked or locked on it; a block
// proposed again with a proof of lock from a round at or after the lock), else nil.
func (m *Machine) tryPrevote() bool {
	ep := m.ep
	if ep.step != StepPropose {
		return false
	}
	for _, hp := range ep.proposals[ep.round] {
		p, h := hp.p, hp.block
		c := ep.blocks[h]
		var ok bool
		switch {
		case p.ValidRound == NoRound:
			ok = m.validFrom(c, hp) && (ep.lockedRound == NoRound || ep.lockedBlock == h)
		case ep.tallyOf(chain.Prevote, uint32(p.ValidRound)).count[h] >= m.quorum:
			ok = m.validFrom(c, hp) && (ep.lockedRound <= p.ValidRound || ep.lockedBlock == h)
		default:
			continue // wait for the proof of lock
		}
		if ok {
			m.vote(chain.Prevote, h)
		} else {
			m.vote(chain.Prevote, chain.Hash{})
		}
		return true
	}
	return false
}

// tryPolka is lines 34–48 for the current round.
func (m *Machine) tryPolka() bool {
	ep := m.ep
	fl := ep.flagsOf(ep.round)
	prevotes := ep.tallyOf(chain.Prevote, ep.round)
	// Line 34: a quorum of prevotes for anything starts the prevote timeout.
	if ep.step == StepPrevote && !fl.prevoteTimer && prevotes.total() >= m.quorum {
		fl.prevoteTimer = true
		m.schedule(timeoutPrevote, ep.round)
		return true
	}
	// Line 36: a quorum of prevotes for a valid block locks it (if still in prevote)
	// and makes it the valid block.
	if ep.step >= StepPrevote && !fl.polSeen {
		for _, h := range prevotes.quorumBlocks(m.quorum) {
			c := ep.blocks[h]
			if c == nil || !m.valid(c) {
				continue
			}
			fl.polSeen = true
			if ep.step == StepPrevote {
				ep.lockedRound, ep.lockedBlock = int64(ep.round), h
				m.vote(chain.Precommit, h)
			}
			ep.validRound, ep.validBlock = int64(ep.round), h
			// Trustees known to have prevoted otherwise may have missed a vote of it.
			m.relayProofOfLock(func(k keys.PublicKey) bool {
				return len(prevotes.by[k]) > 0 && prevotes.votedFor(k, h) == nil
			})
			return true
		}
	}
	// Line 44: a quorum of nil prevotes.
	if ep.step == StepPrevote && prevotes.count[chain.Hash{}] >= m.quorum {
		m.vote(chain.Precommit, chain.Hash{})
		return true
	}
	// Line 47: a quorum of precommits for anything starts the precommit timeout.
	if !fl.precommitTimer && ep.tallyOf(chain.Precommit, ep.round).total() >= m.quorum {
		fl.precommitTimer = true
		m.schedule(timeoutPrecommit, ep.round)
		return true
	}
	return false
}

// tryLatePolka makes a block the valid block when a quorum of prevotes for it in a
// round after the valid round but before the current one arrives late (relayed, say).
// It does not lock: locks change only in their own round (line 36). It only lets this
// trustee, when it leads, propose the block again with a proof others can check, which
// is what every leader may do; safety rests on the checks of lines 22 and 28 alone.
// CometBFT updates its valid block from the current round only; a trustee that misses
// a Byzantine prevote until its round ends would then propose a new block that the
// trustees locked on the old one must refuse, and the round would be lost.
func (m *Machine) tryLatePolka() bool {
	ep := m.ep
	for _, p := range ep.polkas {
		if int64(p.round) <= ep.validRound || p.round >= ep.round {
			continue
		}
		if c := ep.blocks[p.block]; c != nil && m.valid(c) {
			ep.validRound, ep.validBlock = int64(p.round), p.block
			return true
		}
	}
	return false
}

// fire runs a timeout (lines 57–65); one of an earlier round or step does nothing.
func (m *Machine) fire(t timer) {
	ep := m.ep
	if t.round != ep.round || !ep.closed {
		return
	}
	switch t.kind {
	case timeoutPropose:
		if ep.step == StepPropose {
			m.vote(chain.Prevote, chain.Hash{})
		}
	case timeoutPrevote:
		if ep.step == StepPrevote {
			m.vote(chain.Precommit, chain.Hash{})
		}
	case timeoutPrecommit:
		m.startRound(ep.round + 1)
	}
}

func (m *Machine) schedule(kind timeoutKind, r uint32) {
	var d time.Duration
	switch kind {
	case timeoutPropose:
		d = grow(m.timeouts.Propose, m.timeouts.ProposeDelta, r)
	case timeoutPrevote:
		d = grow(m.timeouts.Prevote, m.timeouts.PrevoteDelta, r)
	default:
		d = grow(m.timeouts.Precommit, m.timeouts.PrecommitDelta, r)
	}
	t := timer{kind: kind, round: r, after: d}
	if m.clockSet {
		t.due, t.armed = m.now.Add(d), true
	}
	m.ep.timers = append(m.ep.timers, t)
}

// valid is valid(v) of Algorithm 1: some proposal's reports justify the block's winner
// and payroll, and the block applies to the committed tip.
func (m *Machine) valid(c *candidate) bool {
	for _, s := range c.sources {
		if m.validFrom(c, s) {
			return true
		}
	}
	return false
}

// validFrom is valid with the justification taken from one proposal.
func (m *Machine) validFrom(c *candidate, hp *heldProposal) bool {
	if !hp.checked {
		hp.checked = true
		hp.err = m.justify(hp.p)
	}
	return hp.err == nil && m.applies(c)
}

// justify checks that a proposal carries a quorum of valid reports from distinct
// trustees of the set, that its block's winner and payroll are what the luck rule
// yields on their union, and that its ticket count is the median of their counts.
func (m *Machine) justify(p *Proposal) error {
	if len(p.Reports) != m.quorum {
		return fmt.Errorf("%w: %d reports, quorum is %d", ErrBadReport, len(p.Reports), m.quorum)
	}
	// ValidateBasic made the trustees distinct; verifyReport checks membership.
	for i := range p.Reports {
		if err := m.verifyReport(&p.Reports[i]); err != nil {
			return err
		}
	}
	if !m.selection(p.Reports).matches(&p.Block) {
		return errWrongSelection
	}
	return nil
}

// applies runs chain.Apply on a candidate once and reports whether it succeeded.
func (m *Machine) applies(c *candidate) bool {
	if !c.applied {
		c.applied = true
		c.next, c.receipts, c.applyErr = chain.ApplyWith(m.state, c.block, m.sigs)
	}
	return c.applyErr == nil
}

// vote moves to the step of the vote and, for a trustee of the set, signs, saves and
// sends it. A vote already signed for this epoch, round and kind (before a crash, say)
// stands in for the new one: a trustee never signs two.
func (m *Machine) vote(kind chain.VoteKind, h chain.Hash) {
	ep := m.ep
	if kind == chain.Prevote {
		ep.step = StepPrevote
	} else {
		ep.step = StepPrecommit
	}
	if !m.member {
		return
	}
	key := signedKey{ep.number, ep.round, kind}
	v := m.signed[key]
	if v == nil {
		v = &chain.Vote{Kind: kind, ChainID: m.chainID, Epoch: ep.number, Round: ep.round, Block: h, Time: m.voteTime(kind, h)}
		v.Sign(m.key)
		m.signed[key] = v
		rec := Record{Vote: v}
		if kind == chain.Precommit && !h.IsZero() {
			src := ep.blocks[h].justified()
			if src == nil {
				panic("ibft: precommit for a block no proposal justifies")
			}
			rec.Proposal = src.p
		}
		m.out.Persist = append(m.out.Persist, rec)
	}
	m.countOwn(v)
	m.sendVote(v)
}

// countOwn adds this trustee's vote to its tally, once.
func (m *Machine) countOwn(v *chain.Vote) {
	t := m.ep.tallyOf(v.Kind, v.Round)
	if len(t.by[m.self]) > 0 {
		return
	}
	m.count(t, v)
	m.ep.own = append(m.ep.own, v)
}

// voteTime is the trustee's clock at the last Tick. A precommit is stamped after the
// block's own time, so the certificate's median, the next block's time, moves forward
// even when a clock lags (CometBFT's voteTime does the same).
func (m *Machine) voteTime(kind chain.VoteKind, h chain.Hash) int64 {
	var t int64
	if m.clockSet {
		t = m.now.UnixNano()
	}
	if kind == chain.Precommit && !h.IsZero() {
		t = max(t, m.ep.blocks[h].block.Header.Time+int64(time.Millisecond))
	}
	return t
}

// resend sends again what this trustee signed in the epoch that may still matter: its
// report, its proposal of the round, its votes of this and the previous round, and
// every vote it cast for a block. The last are what proofs of lock and decisions are
// made of; a trustee that lost them could never accept a block proposed again.
func (m *Machine) resend() {
	ep := m.ep
	if !m.member || !ep.closed {
		return
	}
	if ep.ownReport != nil {
		m.sendReport(ep.ownReport)
	}
	for _, hp := range ep.proposals[ep.round] {
		if hp.p.Proposer == m.self {
			m.sendProposal(hp.p)
		}
	}
	for _, v := range ep.own {
		if v.Round+1 >= ep.round || !v.Block.IsZero() {
			m.sendVote(v)
		}
	}
	m.relayProofOfLock(m.lacksProofOfLock())
}

// relayProofOfLock passes the quorum of prevotes behind the valid block on to the
// trustees for which lacks says they may not have it. A Byzantine trustee can send its
// prevote to a few trustees only, or send two different ones; a trustee that missed its
// vote for the block can neither lock on it in its round (line 36) nor accept it when
// it is proposed again (line 28), yet Tendermint's liveness assumes gossip brings every
// prevote of a round to every honest trustee. Votes carry their signers' signatures, so
// anyone may pass them on.
func (m *Machine) relayProofOfLock(lacks func(keys.PublicKey) bool) {
	ep := m.ep
	if ep.validRound == NoRound {
		return
	}
	proof := ep.tallyOf(chain.Prevote, uint32(ep.validRound)).votesFor(ep.validBlock)
	for _, member := range m.set {
		if member.Key == m.self || !lacks(member.Key) {
			continue
		}
		for _, v := range proof {
			if v.Trustee != m.self {
				m.out.Messages = append(m.out.Messages, Outbound{To: member.Key, Message: Message{Vote: v}})
			}
		}
	}
}

// lacksProofOfLock says which trustees lacked the proof of lock of the valid block in
// its round: those whose precommit of that round is for something else. In the common
// case there are none and nothing is relayed; a precommit not yet received will be
// sent again by its trustee.
func (m *Machine) lacksProofOfLock() func(keys.PublicKey) bool {
	ep := m.ep
	precommits := ep.tallyOf(chain.Precommit, uint32(max(ep.validRound, 0)))
	return func(k keys.PublicKey) bool {
		return len(precommits.by[k]) > 0 && precommits.votedFor(k, ep.validBlock) == nil
	}
}

func (m *Machine) sendReport(r *Report) {
	if m.hooks.DoReport != nil {
		m.out.Messages = append(m.out.Messages, m.hooks.DoReport(r)...)
		return
	}
	m.out.Messages = append(m.out.Messages, Outbound{Message: Message{Report: r}})
}

func (m *Machine) sendProposal(p *Proposal) {
	if m.hooks.DecideProposal != nil {
		m.out.Messages = append(m.out.Messages, m.hooks.DecideProposal(m.state, p)...)
		return
	}
	m.out.Messages = append(m.out.Messages, Outbound{Message: Message{Proposal: p}})
}

func (m *Machine) sendVote(v *chain.Vote) {
	hook := m.hooks.DoPrevote
	if v.Kind == chain.Precommit {
		hook = m.hooks.DoPrecommit
	}
	if hook != nil {
		m.out.Messages = append(m.out.Messages, hook(v)...)
		return
	}
	m.out.Messages = append(m.out.Messages, Outbound{Message: Message{Vote: v}})
}
