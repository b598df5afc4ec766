package ibft

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
)

// fingerprint sums up everything an input could change, so a test can tell that a
// rejected input changed nothing.
func fingerprint(m *Machine) string {
	ep := m.ep
	votes := map[voteKey]string{}
	for k, t := range ep.votes {
		votes[k] = fmt.Sprint(t.total(), len(t.order), t.equivocated)
	}
	props := map[uint32]int{}
	for r, ps := range ep.proposals {
		props[r] = len(ps)
	}
	return fmt.Sprint(m.Status(), ep.closed, len(ep.reports), props, len(ep.blocks), votes, ep.held, ep.maxRound,
		m.seenEpoch, len(m.next), m.nextCount, m.helped, m.state.Tip(),
		len(m.out.Persist), len(m.out.Messages), len(m.out.Committed), len(m.out.Evidence), m.out.CatchUp)
}

// edgeFixture is trustee 0's machine in epoch 1 after closing, with the reports of the
// others and the leader's proposal in hand, not yet delivered.
type edgeFixture struct {
	bed      *testbed
	m        *Machine
	reports  []*Report // by trustee
	proposal *Proposal // of trustee 1, the leader of epoch 1 round 0
	prevote  *chain.Vote
}

func newEdgeFixture(t testing.TB) *edgeFixture {
	t.Helper()
	bed := newTestbed(t, 4, 6)
	net := newLockstep(t, bed, nil)
	net.drop = func(from, to int, msg *Message) bool { return true } // collect, deliver nothing
	fx := &edgeFixture{bed: bed, m: net.ms[0], reports: make([]*Report, 4)}
	net.closeAll(t, 4)
	for i, m := range net.ms {
		for _, o := range m.Ready().Messages {
			switch {
			case o.Message.Report != nil:
				fx.reports[i] = o.Message.Report
			case o.Message.Proposal != nil:
				fx.proposal = o.Message.Proposal
			}
		}
		m.Advance()
	}
	// The leader proposed on its own report only once it had a quorum: give it one.
	leader := net.ms[1]
	for _, i := range []int{0, 2} {
		if err := leader.Step(Message{Report: fx.reports[i]}); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range leader.Ready().Messages {
		if o.Message.Proposal != nil {
			fx.proposal = o.Message.Proposal
		}
		if o.Message.Vote != nil {
			fx.prevote = o.Message.Vote
		}
	}
	if fx.proposal == nil || fx.prevote == nil {
		t.Fatal("the leader did not propose")
	}
	return fx
}

func (fx *edgeFixture) signedVote(k *keys.Key, change func(*chain.Vote)) *chain.Vote {
	v := &chain.Vote{Kind: chain.Prevote, ChainID: fx.bed.genesis.ChainID, Epoch: 1, Block: fx.proposal.Block.Hash()}
	change(v)
	v.Sign(k)
	return v
}

func (fx *edgeFixture) resignedReport(i int, change func(*Report)) *Report {
	r := *fx.reports[i]
	r.Tickets = slices.Clone(r.Tickets)
	change(&r)
	r.Sign(fx.bed.trustees[i])
	return &r
}

func (fx *edgeFixture) resignedProposal(k *keys.Key, change func(*Proposal)) *Proposal {
	p := *fx.proposal
	change(&p)
	p.Sign(k)
	return &p
}

// TestStepRejects feeds invalid messages at the edge: each must return its error and
// change nothing.
func TestStepRejects(t *testing.T) {
	fx := newEdgeFixture(t)
	tr := fx.bed.trustees
	outsider := fx.bed.users[0]
	badSig := *fx.prevote
	badSig.Sig = slices.Clone(badSig.Sig)
	badSig.Sig[0] ^= 1
	tests := []struct {
		name string
		msg  Message
		want error
	}{
		{"no part", Message{}, ErrBadMessage},
		{"two parts", Message{Vote: fx.prevote, Report: fx.reports[1]}, ErrBadMessage},
		{"vote of epoch 0", Message{Vote: fx.signedVote(tr[1], func(v *chain.Vote) { v.Epoch = 0 })}, ErrBadMessage},
		{"vote of unknown kind", Message{Vote: fx.signedVote(tr[1], func(v *chain.Vote) { v.Kind = 9 })}, ErrBadMessage},
		{"vote of another chain", Message{Vote: fx.signedVote(tr[1], func(v *chain.Vote) { v.ChainID = "other" })}, ErrWrongChain},
		{"vote of an outsider", Message{Vote: fx.signedVote(outsider, func(*chain.Vote) {})}, ErrNotTrustee},
		{"vote with a bad signature", Message{Vote: &badSig}, ErrBadSignature},
		{"vote far ahead", Message{Vote: fx.signedVote(tr[1], func(v *chain.Vote) { v.Epoch = 1 << 30 })}, ErrFutureEpoch},
		{"next-epoch vote of an outsider", Message{Vote: fx.signedVote(outsider, func(v *chain.Vote) { v.Epoch = 2 })}, ErrNotTrustee},
		{"proposal of a trustee not leading", Message{Proposal: fx.resignedProposal(tr[2], func(*Proposal) {})}, ErrNotLeader},
		{"proposal with a bad signature", Message{Proposal: func() *Proposal {
			p := *fx.proposal
			p.Sig = slices.Clone(p.Sig)
			p.Sig[5] ^= 1
			return &p
		}()}, ErrBadSignature},
		{"proposal signed by another", Message{Proposal: func() *Proposal {
			p := fx.resignedProposal(tr[2], func(*Proposal) {})
			p.Proposer = tr[1].Public()
			return p
		}()}, ErrBadSignature},
		{"proposal with a valid round not before its round", Message{Proposal: fx.resignedProposal(tr[1], func(p *Proposal) { p.ValidRound = 0 })}, ErrBadMessage},
		{"proposal with unsorted reports", Message{Proposal: fx.resignedProposal(tr[1], func(p *Proposal) {
			p.Reports = slices.Clone(p.Reports)
			slices.Reverse(p.Reports)
		})}, ErrBadMessage},
		{"report with a forged ticket", Message{Report: fx.resignedReport(2, func(r *Report) {
			kb := r.Tickets[0]
			kb.Nonce++
			r.Tickets[0] = kb
		})}, ErrBadReport},
		{"report out of luck order", Message{Report: fx.resignedReport(2, func(r *Report) { slices.Reverse(r.Tickets) })}, ErrBadReport},
		{"report with too many tickets", Message{Report: fx.resignedReport(2, func(r *Report) {
			r.Tickets = fx.bed.ticketsFor(fx.bed.state0, 6) // P+1 = 4
			r.Admitted = 6
		})}, ErrBadReport},
		{"report of another parent", Message{Report: fx.resignedReport(2, func(r *Report) {
			r.Parent = chain.Hash{7}
			r.Tickets = nil
		})}, ErrBadReport},
		{"report counting fewer admitted than it lists", Message{Report: fx.resignedReport(2, func(r *Report) {
			r.Admitted = uint32(len(r.Tickets) - 1)
		})}, ErrBadMessage},
		{"report with a ticket twice", Message{Report: fx.resignedReport(2, func(r *Report) {
			r.Tickets = append(r.Tickets, r.Tickets[0])
		})}, ErrBadMessage},
		{"certified block with another block's certificate", Message{Certified: &Certified{Block: fx.proposal.Block, Cert: chain.Cert{Epoch: 1, Sigs: make([]chain.CertSig, 1)}}}, ErrBadMessage},
		{"certified block without a quorum", Message{Certified: &Certified{Block: fx.proposal.Block, Cert: chain.Cert{Epoch: 1, Block: fx.proposal.Block.Hash(), Sigs: make([]chain.CertSig, 1)}}}, ErrBadSync},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := fingerprint(fx.m)
			err := fx.m.Step(tc.msg)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Step: %v, want %v", err, tc.want)
			}
			if after := fingerprint(fx.m); after != before {
				t.Fatalf("a rejected message changed the machine:\n%s\n%s", before, after)
			}
		})
	}
	// The genuine messages pass, and sent twice change nothing the second time.
	for _, msg := range []Message{{Report: fx.reports[1]}, {Report: fx.reports[2]}, {Proposal: fx.proposal}, {Vote: fx.prevote}} {
		if err := fx.m.Step(msg); err != nil {
			t.Fatalf("%s: %v", msg.String(), err)
		}
		before := fingerprint(fx.m)
		if err := fx.m.Step(msg); err != nil || fingerprint(fx.m) != before {
			t.Fatalf("%s sent again: %v, or it changed the machine", msg.String(), err)
		}
	}
	// A second, different report from one trustee conflicts.
	before := fingerprint(fx.m)
	if err := fx.m.Step(Message{Report: fx.resignedReport(2, func(r *Report) { r.Tickets = r.Tickets[:1] })}); !errors.Is(err, ErrConflict) || fingerprint(fx.m) != before {
		t.Fatalf("a second report: %v", err)
	}
}

// TestStepCaps checks the per-sender bounds: at most maxVotesPerSender different votes
// from one trustee in one tally, two proposals per round, and a limited buffer for the
// next epoch.
func TestStepCaps(t *testing.T) {
	fx := newEdgeFixture(t)
	tr := fx.bed.trustees
	for i := range maxVotesPerSender {
		v := fx.signedVote(tr[3], func(v *chain.Vote) { v.Block = chain.Hash{byte(i + 1)} })
		if err := fx.m.Step(Message{Vote: v}); err != nil {
			t.Fatal(err)
		}
	}
	before := fingerprint(fx.m)
	v := fx.signedVote(tr[3], func(v *chain.Vote) { v.Block = chain.Hash{99} })
	if err := fx.m.Step(Message{Vote: v}); !errors.Is(err, ErrTooMany) || fingerprint(fx.m) != before {
		t.Fatalf("vote over the cap: %v", err)
	}
	if rd := fx.m.Ready(); len(rd.Evidence) != 1 {
		t.Fatalf("%d pieces of evidence for one equivocating trustee in one round, want 1", len(rd.Evidence))
	}
	fx.m.Advance()
	for i := range 2 {
		p := fx.resignedProposal(tr[1], func(p *Proposal) { p.ValidRound = NoRound - 0; p.Block.Header.Time += int64(i + 1) })
		if err := fx.m.Step(Message{Proposal: p}); err != nil {
			t.Fatal(err)
		}
	}
	before = fingerprint(fx.m)
	p := fx.resignedProposal(tr[1], func(p *Proposal) { p.Block.Header.Time += 9 })
	if err := fx.m.Step(Message{Proposal: p}); !errors.Is(err, ErrTooMany) || fingerprint(fx.m) != before {
		t.Fatalf("a third proposal for a round: %v", err)
	}
	// Next-epoch messages are buffered up to the cap, then only noted.
	limit := DefaultLimits().NextEpochPerSender
	for r := range limit + 5 {
		v := fx.signedVote(tr[2], func(v *chain.Vote) { v.Epoch, v.Round = 2, uint32(r) })
		if err := fx.m.Step(Message{Vote: v}); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(fx.m.next); got != limit {
		t.Fatalf("%d next-epoch messages buffered, cap %d", got, limit)
	}
}

// TestInputsReject checks the driver's inputs: CloseEpoch and Sync refuse what does not
// fit and change nothing.
func TestInputsReject(t *testing.T) {
	bed := newTestbed(t, 4, 2)
	net := newLockstep(t, bed, nil)
	m := net.ms[0]
	for _, e := range []uint64{0, 2} {
		before := fingerprint(m)
		if err := m.CloseEpoch(e, nil, 0); err == nil || fingerprint(m) != before {
			t.Fatalf("CloseEpoch(%d) at epoch 1: %v", e, err)
		}
	}
	net.closeAll(t, 2)
	before := fingerprint(m)
	if err := m.CloseEpoch(1, nil, 0); !errors.Is(err, ErrEpochClosed) || fingerprint(m) != before {
		t.Fatalf("CloseEpoch twice: %v", err)
	}
	// A machine whose key is not in the set follows but does not vote.
	outsider, err := New(Config{Key: bed.users[0], State: bed.state0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := outsider.CloseEpoch(1, nil, 0); !errors.Is(err, ErrNotTrustee) {
		t.Fatalf("CloseEpoch of an outsider: %v", err)
	}
	net.settle()
	c := net.logs[1][0]
	// Sync: the block the others certified, checked against the outsider's view.
	before = fingerprint(outsider)
	bad := *c.Cert
	bad.Sigs = bad.Sigs[:1]
	for _, tc := range []struct {
		name string
		cert *chain.Cert
		want error
	}{{"a certificate without a quorum", &bad, ErrBadSync}, {"no certificate", nil, ErrBadSync}} {
		if err := outsider.Sync(c.Block, tc.cert); !errors.Is(err, tc.want) || fingerprint(outsider) != before {
			t.Fatalf("Sync with %s: %v", tc.name, err)
		}
	}
	if err := outsider.Sync(c.Block, c.Cert); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if err := outsider.Sync(c.Block, c.Cert); !errors.Is(err, ErrPastEpoch) {
		t.Fatalf("Sync of a past block: %v", err)
	}
	if st := outsider.Status(); st.Epoch != 2 || st.Member {
		t.Fatalf("outsider after sync: %+v", st)
	}
}

// TestLateEquivocation checks that a vote of the epoch just decided that conflicts
// with one held then is evidence, once, and that a trustee still deciding that epoch
// gets the certified block.
func TestLateEquivocation(t *testing.T) {
	bed := newTestbed(t, 4, 2)
	net := newLockstep(t, bed, nil)
	net.closeAll(t, 2)
	net.settle()
	m := net.ms[0]
	if m.Status().Epoch != 2 {
		t.Fatalf("epoch %d after settling", m.Status().Epoch)
	}
	// A resend interval later, a trustee still in epoch 1 is lagging, not just late.
	m.Tick(bed.start().Add(DefaultTimeouts().Resend))
	m.Ready()
	m.Advance()
	// Another trustee's precommit for the decided block is in m's tally of epoch 1.
	var held *chain.Vote
	for _, v := range m.prev.votes[voteKey{chain.Precommit, 0}].order {
		if v.Trustee != bed.trustees[0].Public() {
			held = v
			break
		}
	}
	if held == nil {
		t.Fatal("no precommit of another trustee held")
	}
	signer := bed.trustees[bed.trusteeIndex(held.Trustee)]
	other := *held
	other.Block = chain.Hash{1}
	other.Sign(signer)
	if err := m.Step(Message{Vote: &other}); err != nil {
		t.Fatal(err)
	}
	rd := m.Ready()
	m.Advance()
	if len(rd.Evidence) != 1 || rd.Evidence[0].A.Block != held.Block || rd.Evidence[0].B.Block != other.Block {
		t.Fatalf("evidence %+v", rd.Evidence)
	}
	// The signer looks like it is still deciding epoch 1: it gets the block, once per
	// resend interval, and no second evidence.
	var certified int
	for _, o := range rd.Messages {
		if o.Message.Certified != nil && o.To == signer.Public() {
			certified++
		}
	}
	if certified != 1 {
		t.Fatalf("%d certified blocks sent to the lagging trustee", certified)
	}
	if err := m.Step(Message{Vote: &other}); !errors.Is(err, ErrPastEpoch) || m.HasReady() {
		t.Fatalf("the same late vote again: %v", err)
	}
	// A machine that missed the epoch catches up from the certified block.
	lagging, err := New(Config{Key: bed.users[0], State: bed.state0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range rd.Messages {
		if c := o.Message.Certified; c != nil {
			if err := lagging.Step(Message{Certified: c}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := lagging.Ready().Committed; len(got) != 1 || got[0].Block.Hash() != held.Block {
		t.Fatalf("the lagging machine committed %d blocks", len(got))
	}
}

// TestSetSizes runs a few epochs on sets of every small size, including those where n
// is not 3f+1 and the quorum n−f exceeds chain.Quorum's 2f+1.
func TestSetSizes(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 6} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			net := newLockstep(t, newTestbed(t, n, 2), nil)
			if q := net.ms[0].quorum; q != n-(n-1)/3 || q < chain.Quorum(n) {
				t.Fatalf("quorum %d of %d", q, n)
			}
			for e := 1; e <= 3; e++ {
				net.closeAll(t, 2)
				net.settle()
				for i := range net.ms {
					if len(net.logs[i]) != e {
						t.Fatalf("epoch %d: trustee %d committed %d blocks", e, i, len(net.logs[i]))
					}
				}
			}
		})
	}
}

// TestPreverify checks a batch of messages ahead of Step: the good signatures are
// remembered, Step then accepts those messages as it would have, and a forged one is
// refused all the same. Preverify alone changes nothing Step can see.
func TestPreverify(t *testing.T) {
	fx := newEdgeFixture(t)
	m := fx.m
	same := func(*chain.Vote) {}
	forged := fx.signedVote(fx.bed.trustees[3], same)
	forged.Sig = slices.Clone(forged.Sig)
	forged.Sig[0] ^= 1
	msgs := []Message{
		{Report: fx.reports[1]}, {Report: fx.reports[2]},
		{Proposal: fx.proposal}, {Vote: fx.prevote},
		{Vote: fx.signedVote(fx.bed.trustees[2], same)},
		{Vote: forged},
		{Vote: fx.signedVote(fx.bed.users[0], same)}, // not a trustee: not checked
	}
	before, cached := fingerprint(m), m.sigs.Len()
	m.Preverify(msgs)
	if fingerprint(m) != before {
		t.Fatal("Preverify changed the machine")
	}
	if got := m.sigs.Len() - cached; got != 5 {
		t.Fatalf("%d signatures remembered, want the 5 good ones of trustees", got)
	}
	for i, msg := range msgs {
		err := m.Step(msg)
		switch i {
		case 5:
			if !errors.Is(err, ErrBadSignature) {
				t.Fatalf("forged vote: %v", err)
			}
		case 6:
			if !errors.Is(err, ErrNotTrustee) {
				t.Fatalf("vote of a non-trustee: %v", err)
			}
		default:
			if err != nil {
				t.Fatalf("message %d (%s): %v", i, msg.String(), err)
			}
		}
	}
}
