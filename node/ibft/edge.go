package ibft

import (
	"bytes"
	"fmt"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/luck"
)

// accept checks a message at the edge and, if it passes, takes it in. On error nothing
// has changed, except caches of facts verified along the way.
func (m *Machine) accept(msg *Message) error {
	if err := msg.ValidateBasic(); err != nil {
		return err
	}
	if id := msg.chainID(); id != m.chainID {
		return fmt.Errorf("%w: %q", ErrWrongChain, id)
	}
	e, cur := msg.Epoch(), m.ep.number
	switch {
	case msg.Certified != nil:
		return m.acceptCertified(msg.Certified)
	case e == cur:
		return m.acceptCurrent(msg)
	case e > cur:
		return m.acceptFuture(msg)
	case e+1 == cur && m.prev != nil:
		return m.acceptPrevious(msg)
	}
	return fmt.Errorf("%w: %s at epoch %d", ErrPastEpoch, msg, cur)
}

// acceptCertified commits a block certified by the current set, as Sync does.
func (m *Machine) acceptCertified(c *Certified) error {
	switch e := c.Block.Header.Epoch; {
	case e < m.ep.number:
		return fmt.Errorf("%w: certified block %d at epoch %d", ErrPastEpoch, e, m.ep.number)
	case e > m.ep.number:
		return fmt.Errorf("%w: certified block %d at epoch %d", ErrFutureEpoch, e, m.ep.number)
	}
	return m.syncBlock(&c.Block, &c.Cert)
}

func (m *Machine) acceptCurrent(msg *Message) error {
	signer := msg.Signer()
	if _, ok := m.index[signer]; !ok {
		return fmt.Errorf("%w: %s", ErrNotTrustee, msg)
	}
	if m.ep.held[signer] >= m.limits.PerSender {
		return fmt.Errorf("%w: %d messages from %s in epoch %d", ErrTooMany, m.ep.held[signer], short(signer), m.ep.number)
	}
	switch {
	case msg.Report != nil:
		return m.acceptReport(msg.Report)
	case msg.Proposal != nil:
		return m.acceptProposal(msg.Proposal)
	}
	return m.acceptVote(msg.Vote)
}

func (m *Machine) acceptReport(r *Report) error {
	ep := m.ep
	if old := ep.reports[r.Trustee]; old != nil {
		if bytes.Equal(old.Sig, r.Sig) && old.Hash() == r.Hash() {
			return nil // sent again
		}
		return fmt.Errorf("%w: a second report from %s", ErrConflict, short(r.Trustee))
	}
	if err := m.verifyReport(r); err != nil {
		return err
	}
	ep.reports[r.Trustee] = r
	ep.held[r.Trustee]++
	return nil
}

// verifyReport checks a report of the current epoch from a trustee of the set: its
// parent, its size, its signature, every ticket, and that the tickets come luckiest
// first. Reports that pass are remembered by hash, so the same report inside a
// proposal costs nothing.
func (m *Machine) verifyReport(r *Report) error {
	ep := m.ep
	h := r.Hash()
	if ep.reportOK[h] {
		return nil
	}
	if _, ok := m.index[r.Trustee]; !ok {
		return fmt.Errorf("%w: report from %s", ErrNotTrustee, short(r.Trustee))
	}
	switch {
	case r.Epoch != ep.number:
		return fmt.Errorf("%w: epoch %d, deciding %d", ErrBadReport, r.Epoch, ep.number)
	case r.Parent != m.state.Tip():
		return fmt.Errorf("%w: parent %s, tip is %s", ErrBadReport, r.Parent.Short(), m.state.Tip().Short())
	case len(r.Tickets) > int(m.state.Params().Payroll)+1:
		return fmt.Errorf("%w: %d tickets, payroll is %d", ErrBadReport, len(r.Tickets), m.state.Params().Payroll)
	}
	if err := r.verifySig(m.sigs); err != nil {
		return err
	}
	var prev luck.Ticket
	for i := range r.Tickets {
		t, err := m.ticket(&r.Tickets[i])
		if err != nil {
			return fmt.Errorf("%w: ticket %d: %w", ErrBadReport, i, err)
		}
		if i > 0 && luck.Compare(prev, t) >= 0 {
			return fmt.Errorf("%w: ticket %d is not less lucky than the one before", ErrBadReport, i)
		}
		prev = t
	}
	ep.reportOK[h] = true
	return nil
}

// maxLuckCache bounds the tickets whose verification an epoch remembers: far more
// than honest reports hold, while a Byzantine trustee's stream of rejected reports
// cannot grow it without end.
const maxLuckCache = 1 << 14

// ticket verifies a KeyBlock for the current epoch (signature, VRF, work under the
// target) once, and returns it with its luck and hash.
func (m *Machine) ticket(kb *chain.KeyBlock) (luck.Ticket, error) {
	h := kb.Hash()
	res, ok := m.ep.luck[h]
	if !ok {
		res.luck, res.err = kb.VerifyWith(m.chainID, m.ep.number, m.state.Tip(), m.state.Meta().Target, m.sigs)
		if len(m.ep.luck) < maxLuckCache {
			m.ep.luck[h] = res
		}
	}
	return luck.Ticket{KeyBlock: kb, Luck: res.luck, Hash: h}, res.err
}

func (m *Machine) acceptProposal(p *Proposal) error {
	ep := m.ep
	if leader := m.leader(p.Round); p.Proposer != leader {
		return fmt.Errorf("%w: round %d is %s's, not %s's", ErrNotLeader, p.Round, short(leader), short(p.Proposer))
	}
	h := p.Block.Hash()
	held := ep.proposals[p.Round]
	for _, hp := range held {
		if hp.block == h && hp.p.ValidRound == p.ValidRound && bytes.Equal(hp.p.Sig, p.Sig) {
			return nil // sent again
		}
	}
	if err := p.verifySig(m.sigs); err != nil {
		return err
	}
	if p.Round > ep.round+m.limits.RoundsAhead {
		m.noteRound(p.Proposer, p.Round)
		return nil
	}
	if len(held) >= 2 {
		return fmt.Errorf("%w: a third proposal for round %d", ErrTooMany, p.Round)
	}
	m.holdProposal(p, h)
	m.noteRound(p.Proposer, p.Round)
	ep.held[p.Proposer]++
	return nil
}

// holdProposal keeps a proposal of its round and the block it carries, once.
func (m *Machine) holdProposal(p *Proposal, h chain.Hash) *heldProposal {
	ep := m.ep
	for _, hp := range ep.proposals[p.Round] {
		if hp.block == h && hp.p.ValidRound == p.ValidRound && bytes.Equal(hp.p.Sig, p.Sig) {
			return hp
		}
	}
	hp := &heldProposal{p: p, block: h}
	ep.proposals[p.Round] = append(ep.proposals[p.Round], hp)
	c := ep.blocks[h]
	if c == nil {
		c = &candidate{block: &p.Block}
		ep.blocks[h] = c
	}
	c.sources = append(c.sources, hp)
	return hp
}

func (m *Machine) acceptVote(v *chain.Vote) error {
	ep := m.ep
	t := ep.votes[voteKey{v.Kind, v.Round}]
	if t != nil && t.sameVote(v) {
		return nil // sent again
	}
	if err := v.VerifySigWith(m.sigs); err != nil {
		return fmt.Errorf("%s: %w", voteString(v), ErrBadSignature)
	}
	if v.Round > ep.round+m.limits.RoundsAhead {
		m.noteRound(v.Trustee, v.Round)
		return nil
	}
	t = ep.tallyOf(v.Kind, v.Round)
	held := t.by[v.Trustee]
	if t.votedFor(v.Trustee, v.Block) != nil {
		return nil // the same vote signed again (another time stamp): counted already
	}
	if len(held) >= maxVotesPerSender {
		return fmt.Errorf("%w: %d votes from %s in one round", ErrTooMany, len(held), short(v.Trustee))
	}
	if len(held) > 0 && !t.equivocated[v.Trustee] {
		t.equivocated[v.Trustee] = true
		m.out.Evidence = append(m.out.Evidence, chain.Evidence{A: *held[0], B: *v})
	}
	m.count(t, v)
	m.noteRound(v.Trustee, v.Round)
	ep.held[v.Trustee]++
	return nil
}

// count adds a vote to its tally and notes a block that reached a quorum of
// precommits (to decide) or of prevotes (a proof of lock).
func (m *Machine) count(t *tally, v *chain.Vote) {
	t.add(v)
	if v.Block.IsZero() || t.count[v.Block] != m.quorum {
		return
	}
	if v.Kind == chain.Precommit {
		m.ep.decide = append(m.ep.decide, roundBlock{v.Round, v.Block})
	} else {
		m.ep.polkas = append(m.ep.polkas, roundBlock{v.Round, v.Block})
	}
}

func (m *Machine) noteRound(k keys.PublicKey, r uint32) {
	if old, ok := m.ep.maxRound[k]; !ok || r > old {
		m.ep.maxRound[k] = r
	}
}

// acceptFuture takes a message of a later epoch from a trustee of the current set:
// it tells that this trustee may lag, and the next epoch's messages are kept until
// the machine gets there.
func (m *Machine) acceptFuture(msg *Message) error {
	e, cur := msg.Epoch(), m.ep.number
	if e-cur > m.limits.EpochsAhead {
		return fmt.Errorf("%w: %s at epoch %d", ErrFutureEpoch, msg, cur)
	}
	signer := msg.Signer()
	if _, ok := m.index[signer]; !ok {
		return fmt.Errorf("%w: %s", ErrNotTrustee, msg)
	}
	if err := verifySig(msg, m.sigs); err != nil {
		return err
	}
	if e > m.seenEpoch[signer] {
		m.seenEpoch[signer] = e
	}
	if e == cur+1 && m.nextCount[signer] < m.limits.NextEpochPerSender {
		m.next = append(m.next, *msg)
		m.nextCount[signer]++
	}
	return nil
}

// acceptPrevious takes a message of the epoch this trustee decided last. A sender still
// deciding that epoch a resend interval after the decision (its last votes were not
// just late) gets the decided block and its certificate, at most once per interval.
// A vote is also checked against the votes held then, for equivocation.
func (m *Machine) acceptPrevious(msg *Message) error {
	past := m.prev
	signer := msg.Signer()
	if _, ok := past.members[signer]; !ok {
		return fmt.Errorf("%w: %s", ErrNotTrustee, msg)
	}
	var evidence *chain.Evidence
	if v := msg.Vote; v != nil {
		if t := past.votes[voteKey{v.Kind, v.Round}]; t != nil {
			if held := t.by[v.Trustee]; len(held) > 0 && t.votedFor(v.Trustee, v.Block) == nil && !t.equivocated[v.Trustee] {
				evidence = &chain.Evidence{A: *held[0], B: *v}
			}
		}
	}
	last, helped := m.helped[signer]
	help := signer != m.self && m.clockSet && m.now.Sub(past.decidedAt) >= m.timeouts.Resend &&
		(!helped || m.now.Sub(last) >= m.timeouts.Resend)
	if evidence == nil && !help {
		return fmt.Errorf("%w: %s at epoch %d", ErrPastEpoch, msg, m.ep.number)
	}
	if err := verifySig(msg, m.sigs); err != nil {
		return err
	}
	if evidence != nil {
		past.votes[voteKey{msg.Vote.Kind, msg.Vote.Round}].equivocated[signer] = true
		m.out.Evidence = append(m.out.Evidence, *evidence)
	}
	if help {
		m.helped[signer] = m.now
		m.out.Messages = append(m.out.Messages, Outbound{To: signer, Message: Message{Certified: &Certified{Block: *past.block, Cert: *m.lastCert}}})
	}
	return nil
}

// verifySig checks the signature of a report, proposal or vote.
func verifySig(msg *Message, c *keys.SigCache) error {
	switch {
	case msg.Report != nil:
		return msg.Report.verifySig(c)
	case msg.Proposal != nil:
		return msg.Proposal.verifySig(c)
	}
	if msg.Vote.VerifySigWith(c) != nil {
		return fmt.Errorf("%s: %w", voteString(msg.Vote), ErrBadSignature)
	}
	return nil
}

// Preverify checks in one batch the signatures Step would check one at a time for
// msgs: those of the current epoch's reports, proposals and votes from trustees of the
// set, leaving out what the machine holds already. The ones that verify go into the
// signature cache, where Step finds them; nothing else changes, and a message whose
// signature fails is refused by Step as before. A driver that has several messages
// waiting calls it first: a batch costs less per signature than one by one.
func (m *Machine) Preverify(msgs []Message) {
	ep := m.ep
	bv := keys.NewCachedBatchVerifier(len(msgs), m.sigs)
	for i := range msgs {
		msg := &msgs[i]
		if msg.parts() != 1 || msg.Certified != nil || msg.Epoch() != ep.number || msg.chainID() != m.chainID {
			continue
		}
		if _, ok := m.index[msg.Signer()]; !ok {
			continue
		}
		switch {
		case msg.Report != nil:
			if r := msg.Report; ep.reports[r.Trustee] == nil && len(r.Sig) == keys.SignatureSize {
				bv.Add(r.Trustee, r.SignBytes(), r.Sig)
			}
		case msg.Proposal != nil:
			if p := msg.Proposal; len(p.Sig) == keys.SignatureSize {
				bv.Add(p.Proposer, p.SignBytes(), p.Sig)
			}
		default:
			v := msg.Vote
			if t := ep.votes[voteKey{v.Kind, v.Round}]; (t == nil || !t.sameVote(v)) && len(v.Sig) == keys.SignatureSize {
				bv.Add(v.Trustee, v.SignBytes(), v.Sig)
			}
		}
	}
	if bv.Len() > 1 {
		bv.Verify()
	}
}
