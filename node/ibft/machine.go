package ibft

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/luck"
)

// Step is where a trustee is within the current round.
type Step uint8

// Steps, in order. A trustee collects tickets until its window closes; then rounds
// run through propose, prevote and precommit.
const (
	StepCollect Step = iota
	StepPropose
	StepPrevote
	StepPrecommit
)

func (s Step) String() string {
	return [...]string{"collect", "propose", "prevote", "precommit"}[min(int(s), 3)]
}

// Ready is the output the driver must act on, in this order: append Persist to the
// write-ahead log and make it durable; store Committed; then send Messages (they may
// carry what Persist holds, which must never leave unsaved, except the messages
// Outbound.Early allows to go first); hand Evidence to the mempool as Evidence
// transactions; and when CatchUp is set, fetch certified blocks from peers and feed
// them to Sync.
type Ready struct {
	Persist   []Record
	Messages  []Outbound
	Committed []CommittedBlock
	Evidence  []chain.Evidence
	// CatchUp is nonzero when f+1 trustees have been seen at this epoch for a while:
	// this trustee lags and should sync the blocks before it.
	CatchUp uint64
}

// Empty reports whether there is nothing to do.
func (rd *Ready) Empty() bool {
	return len(rd.Persist) == 0 && len(rd.Messages) == 0 && len(rd.Committed) == 0 && len(rd.Evidence) == 0 && rd.CatchUp == 0
}

// Status describes where the machine is, for logs, metrics and tests.
type Status struct {
	Epoch       uint64 // the epoch being decided
	Round       uint32
	Step        Step
	Leader      keys.PublicKey // of the current round
	Member      bool           // whether this trustee votes in the epoch
	LockedRound int64          // NoRound when not locked
	LockedBlock chain.Hash
	ValidRound  int64 // NoRound when no block has had a quorum of prevotes
	ValidBlock  chain.Hash
	Deadline    time.Time // the earliest pending timeout; zero when none is armed
}

// Machine is one trustee's I-BFT state. It is not safe for concurrent use: one
// goroutine of the driver owns it.
type Machine struct {
	key        *keys.Key
	self       keys.PublicKey
	chainID    string
	mempool    Mempool
	maxPayload int
	timeouts   Timeouts
	limits     Limits
	hooks      Hooks
	sigs       *keys.SigCache

	state    *chain.State // the committed tip
	lastCert *chain.Cert  // certifies state's tip; the next proposal carries it
	set      []chain.Trustee
	index    map[keys.PublicKey]int // position in set
	member   bool
	quorum   int
	faults   int // f: a round skip needs f+1 trustees

	now      time.Time
	clockSet bool // a Tick has arrived; before it, timers wait unarmed

	ep   *epoch
	prev *pastEpoch

	signed    map[signedKey]*chain.Vote // every vote signed for the current or a later epoch
	wal       map[uint64][]Record       // restored records of later epochs, applied on entering them
	next      []Message                 // messages of the next epoch, buffered
	nextCount map[keys.PublicKey]int
	seenEpoch map[keys.PublicKey]uint64 // the latest epoch each trustee was seen in
	lagSince  time.Time
	replay    []Message                    // buffered messages to accept once the current input is handled
	helped    map[keys.PublicKey]time.Time // when each lagging trustee was last sent the decided block

	out  Ready
	mark readyMark
}

// signedKey names a vote this trustee may sign only once.
type signedKey struct {
	epoch uint64
	round uint32
	kind  chain.VoteKind
}

type readyMark struct {
	persist, messages, committed, evidence int
	catchUp                                uint64
}

// New returns a machine that decides the epoch after cfg.State. restored holds the
// records the driver saved in its write-ahead log, in the order saved (records of
// committed epochs may be left in or pruned); the machine resumes from them with its
// round, step and lock, and never signs a vote that conflicts with one of them.
func New(cfg Config, restored []Record) (*Machine, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	m := &Machine{
		key:        cfg.Key,
		self:       cfg.Key.Public(),
		chainID:    cfg.State.Params().ChainID,
		mempool:    cfg.Mempool,
		maxPayload: cfg.MaxPayloadBytes,
		timeouts:   cfg.Timeouts.withDefaults(),
		limits:     cfg.Limits.withDefaults(),
		hooks:      cfg.Hooks,
		sigs:       cfg.SigCache,
		state:      cfg.State,
		lastCert:   cfg.LastCert,
		signed:     map[signedKey]*chain.Vote{},
		wal:        map[uint64][]Record{},
		nextCount:  map[keys.PublicKey]int{},
		seenEpoch:  map[keys.PublicKey]uint64{},
		helped:     map[keys.PublicKey]time.Time{},
	}
	if m.maxPayload == 0 {
		m.maxPayload = DefaultMaxPayloadBytes
	}
	if m.sigs == nil {
		m.sigs = keys.NewSigCache(keys.DefaultSigCacheSize)
	}
	m.setTrustees()
	if cfg.LastBlock != nil {
		members := map[keys.PublicKey]int{}
		for i, t := range m.state.Registry().CertifiedBy {
			members[t.Key] = i
		}
		m.prev = &pastEpoch{number: m.state.Epoch(), block: cfg.LastBlock, members: members, votes: map[voteKey]*tally{}}
	}
	if err := m.loadRecords(restored); err != nil {
		return nil, err
	}
	m.ep = newEpoch(m.state.Epoch() + 1)
	m.restoreEpoch()
	m.settle()
	return m, nil
}

// quorum is the number of matching votes that decide among n trustees: n−f, the same
// count a certificate needs to verify (chain.Quorum).
func quorum(n int) int { return chain.Quorum(n) }

func (m *Machine) setTrustees() {
	m.set = m.state.Active()
	m.index = make(map[keys.PublicKey]int, len(m.set))
	for i, t := range m.set {
		m.index[t.Key] = i
	}
	_, m.member = m.index[m.self]
	m.quorum = quorum(len(m.set))
	m.faults = (len(m.set) - 1) / 3
}

// leader is the proposer of round r of the current epoch: lineup[(e + r) mod n].
func (m *Machine) leader(r uint32) keys.PublicKey {
	return m.set[(m.ep.number+uint64(r))%uint64(len(m.set))].Key
}

// Step hands the machine a message from another trustee. The message is checked at
// the edge (ValidateBasic, chain, epoch, membership, signature, per-sender caps); an
// invalid one returns an error and changes nothing. The machine keeps the message, so
// the caller must not change it afterwards.
func (m *Machine) Step(msg Message) error {
	if err := m.accept(&msg); err != nil {
		return err
	}
	m.settle()
	return nil
}

// CloseEpoch tells the machine that its collect window for epoch has closed, with the
// admitted tickets it holds (at least its P+1 luckiest) and how many it admitted in
// all (its pool's count: one per key, equivocators left out). The machine reports the
// P+1 luckiest and the count to every trustee and starts round 0. Tickets that do not
// verify, and both tickets of a key that made two, are left out; the count is never
// less than the valid tickets handed in. An epoch restored without its report takes
// one.
func (m *Machine) CloseEpoch(epoch uint64, tickets []chain.KeyBlock, admitted int) error {
	ep := m.ep
	switch {
	case epoch < ep.number:
		return fmt.Errorf("%w: close epoch %d at epoch %d", ErrPastEpoch, epoch, ep.number)
	case epoch > ep.number:
		return fmt.Errorf("%w: close epoch %d at epoch %d", ErrFutureEpoch, epoch, ep.number)
	case ep.closed && ep.ownReport != nil:
		return fmt.Errorf("%w: %d", ErrEpochClosed, epoch)
	case !m.member:
		return fmt.Errorf("%w: this trustee does not vote in epoch %d", ErrNotTrustee, epoch)
	}
	tickets = slices.Clone(tickets)
	var valid []luck.Ticket
	for i := range tickets {
		if t, err := m.ticket(&tickets[i]); err == nil {
			valid = append(valid, t)
		}
	}
	r := &Report{ChainID: m.chainID, Epoch: ep.number, Parent: m.state.Tip()}
	best := luck.Luckiest(valid, len(valid))
	for _, t := range best[:min(len(best), int(m.state.Params().Payroll)+1)] {
		r.Tickets = append(r.Tickets, *t.KeyBlock)
	}
	r.Admitted = uint32(min(max(admitted, len(best)), math.MaxUint32))
	r.Sign(m.key)
	ep.ownReport = r
	ep.reports[m.self] = r
	ep.reportOK[r.Hash()] = true
	m.out.Persist = append(m.out.Persist, Record{Report: r})
	m.sendReport(r)
	// An epoch restored from a log whose report was dropped (DecodeLegacyRecord) is
	// in its rounds already: it only lacked the report.
	if !ep.closed {
		ep.closed = true
		m.startRound(0)
	}
	m.settle()
	return nil
}

// Sync applies a block certified elsewhere, for a trustee that fell behind: the
// certificate must verify against the current trustee set and the block must apply to
// the committed tip. The block is committed as if this trustee had decided it.
func (m *Machine) Sync(b *chain.Block, cert *chain.Cert) error {
	if b == nil || cert == nil {
		return fmt.Errorf("%w: missing block or certificate", ErrBadSync)
	}
	ep := m.ep
	switch e := b.Header.Epoch; {
	case e < ep.number:
		return fmt.Errorf("%w: block %d at epoch %d", ErrPastEpoch, e, ep.number)
	case e > ep.number:
		return fmt.Errorf("%w: block %d at epoch %d; sync the blocks before it first", ErrFutureEpoch, e, ep.number)
	}
	if err := m.syncBlock(b, cert); err != nil {
		return err
	}
	m.settle()
	return nil
}

// syncBlock commits a block of the current epoch whose certificate verifies against
// the current set. A block this trustee holds as a candidate is applied once: the
// candidate, whose body matched its header when applied, is what gets committed.
func (m *Machine) syncBlock(b *chain.Block, cert *chain.Cert) error {
	h := b.Hash()
	if err := cert.VerifyWith(m.chainID, m.ep.number, h, m.set, m.sigs); err != nil {
		return fmt.Errorf("%w: %w", ErrBadSync, err)
	}
	if c := m.ep.blocks[h]; c != nil && c.applied {
		if c.applyErr != nil {
			return fmt.Errorf("%w: %w", ErrBadSync, c.applyErr)
		}
		m.commit(c.block, cert, c.next, c.receipts)
		return nil
	}
	next, rec, err := chain.ApplyWith(m.state, b, m.sigs)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadSync, err)
	}
	m.commit(b, cert, next, rec)
	return nil
}

// Tick tells the machine the time. What this trustee signed in the epoch is sent
// again every Timeouts.Resend; timeouts that are due fire, in order; and a lag that
// has lasted Timeouts.CatchUp is reported in Ready. Time never goes back: an earlier now
// than the last is taken as the last.
func (m *Machine) Tick(now time.Time) {
	if !m.clockSet || now.After(m.now) {
		m.now = now
	}
	m.clockSet = true
	// Resending first means a vote a timeout signs below goes out once, not twice.
	if ep := m.ep; ep.lastResend.IsZero() || m.now.Sub(ep.lastResend) >= m.timeouts.Resend {
		ep.lastResend = m.now
		m.resend()
	}
	for {
		ep := m.ep
		for i := range ep.timers {
			if !ep.timers[i].armed {
				ep.timers[i].due, ep.timers[i].armed = m.now.Add(ep.timers[i].after), true
			}
		}
		i := ep.dueTimer(m.now)
		if i < 0 {
			break
		}
		t := ep.timers[i]
		ep.timers = slices.Delete(ep.timers, i, i+1)
		m.fire(t)
		m.settle()
	}
	m.checkLag()
}

// HasReady reports whether Ready has anything to do.
func (m *Machine) HasReady() bool { return !m.out.Empty() }

// Ready returns what the driver must persist, send and store (see Ready). Call Advance
// once it is done. Inputs may arrive between Ready and Advance; their output waits for
// the next Ready.
func (m *Machine) Ready() Ready {
	rd := Ready{
		Persist:   m.out.Persist[:len(m.out.Persist):len(m.out.Persist)],
		Messages:  m.out.Messages[:len(m.out.Messages):len(m.out.Messages)],
		Committed: m.out.Committed[:len(m.out.Committed):len(m.out.Committed)],
		Evidence:  m.out.Evidence[:len(m.out.Evidence):len(m.out.Evidence)],
		CatchUp:   m.out.CatchUp,
	}
	m.mark = readyMark{len(rd.Persist), len(rd.Messages), len(rd.Committed), len(rd.Evidence), rd.CatchUp}
	return rd
}

// Advance drops the output the last Ready returned.
func (m *Machine) Advance() {
	m.out.Persist = slices.Clone(m.out.Persist[m.mark.persist:])
	m.out.Messages = slices.Clone(m.out.Messages[m.mark.messages:])
	m.out.Committed = slices.Clone(m.out.Committed[m.mark.committed:])
	m.out.Evidence = slices.Clone(m.out.Evidence[m.mark.evidence:])
	if m.out.CatchUp == m.mark.catchUp {
		m.out.CatchUp = 0
	}
	m.mark = readyMark{}
}

// Status describes where the machine is.
func (m *Machine) Status() Status {
	ep := m.ep
	s := Status{
		Epoch: ep.number, Round: ep.round, Step: ep.step, Leader: m.leader(ep.round), Member: m.member,
		LockedRound: ep.lockedRound, LockedBlock: ep.lockedBlock, ValidRound: ep.validRound, ValidBlock: ep.validBlock,
	}
	for _, t := range ep.timers {
		if t.armed && (s.Deadline.IsZero() || t.due.Before(s.Deadline)) {
			s.Deadline = t.due
		}
	}
	return s
}

// State is the committed tip the machine builds on.
func (m *Machine) State() *chain.State { return m.state }

// LastCert is the certificate of the committed tip (nil at genesis).
func (m *Machine) LastCert() *chain.Cert { return m.lastCert }

// commit records a decided block and moves to the next epoch.
func (m *Machine) commit(b *chain.Block, cert *chain.Cert, next *chain.State, rec *chain.Receipts) {
	m.out.Committed = append(m.out.Committed, CommittedBlock{Block: b, Cert: cert, State: next, Receipts: rec})
	old := m.ep
	m.prev = &pastEpoch{number: old.number, block: b, decidedAt: m.now, members: m.index, votes: old.votes}
	m.state, m.lastCert = next, cert
	m.setTrustees()
	m.ep = newEpoch(next.Epoch() + 1)
	if m.clockSet {
		m.ep.lastResend = m.now
	}
	for k := range m.signed {
		if k.epoch < m.ep.number {
			delete(m.signed, k)
		}
	}
	m.restoreEpoch()
	for _, msg := range m.next {
		if msg.Epoch() == m.ep.number {
			m.replay = append(m.replay, msg)
		}
	}
	m.next = nil
	clear(m.nextCount)
	m.lagSince = time.Time{}
	for k := range m.seenEpoch {
		if _, ok := m.index[k]; !ok {
			delete(m.seenEpoch, k) // left the set
		}
	}
}

// settle runs the rules until none applies, then accepts the buffered messages of a
// newly entered epoch, and repeats.
func (m *Machine) settle() {
	for {
		for m.progress() {
		}
		if len(m.replay) == 0 {
			return
		}
		msgs := m.replay
		m.replay = nil
		for i := range msgs {
			// A buffered message that no longer passes (its sender left the set, say)
			// is dropped like any invalid input.
			_ = m.accept(&msgs[i])
		}
	}
}

// checkLag raises CatchUp when f+1 trustees have been seen in a later epoch for
// Timeouts.CatchUp, and every CatchUp interval after that while the lag lasts.
func (m *Machine) checkLag() {
	target := m.lagTarget()
	if target == 0 {
		m.lagSince = time.Time{}
		return
	}
	if m.lagSince.IsZero() {
		m.lagSince = m.now
		return
	}
	if m.now.Sub(m.lagSince) >= m.timeouts.CatchUp {
		m.out.CatchUp = target
		m.lagSince = m.now
	}
}

// lagTarget is the latest epoch that at least f+1 trustees of the set were seen in,
// if it is after the current one (at least one of them is honest, so the epochs
// before it are certified); 0 otherwise.
func (m *Machine) lagTarget() uint64 {
	var later []uint64
	for k, e := range m.seenEpoch {
		if _, ok := m.index[k]; ok && e > m.ep.number {
			later = append(later, e)
		}
	}
	if len(later) < m.faults+1 {
		return 0
	}
	slices.Sort(later)
	return later[len(later)-1-m.faults]
}
