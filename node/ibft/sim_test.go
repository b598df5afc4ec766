package ibft

import (
	"container/heap"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
)

var (
	simSeeds = flag.Int("ibft.seeds", 0, "seeds per trustee count in TestSimulation; 0 runs 20 (8 under -race, 5 with -short)")
	simSizes = flag.String("ibft.n", "4,7,10", "comma-separated trustee counts TestSimulation runs")
)

// simTrusteeCounts parses -ibft.n.
func simTrusteeCounts(t *testing.T) []int {
	var out []int
	for f := range strings.SplitSeq(*simSizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			t.Fatalf("-ibft.n: %q is not a trustee count", f)
		}
		out = append(out, n)
	}
	return out
}

// TestSimulation drives n machines over a deterministic in-memory network with a fake
// clock. For a while the network loses, delays and reorders messages, partitions the
// trustees and crashes honest ones (which restart from their write-ahead logs); up to f
// trustees are Byzantine throughout (equivocating, proposing a wrong winner or a wrong
// state, withholding, replaying old votes). Then the faults heal.
//
// Safety: no two honest trustees ever commit different blocks for one epoch, every
// certificate verifies, and no honest trustee signs two different votes for one kind,
// epoch and round; evidence only ever accuses an equivocator. Liveness: after the
// healing every honest trustee commits three more epochs within a bounded time, and
// the epochs begun after it take at most f+1 rounds (f Byzantine leaders in a row).
func TestSimulation(t *testing.T) {
	seeds := *simSeeds
	switch {
	case seeds > 0:
	case testing.Short():
		seeds = 5
	case raceEnabled:
		seeds = 8
	default:
		seeds = 20
	}
	for _, n := range simTrusteeCounts(t) {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			bed := newTestbed(t, n, 4)
			var stats simStats
			cpu0, _ := nodetest.ProcessCPU()
			for seed := range seeds {
				s := newSim(t, bed, uint64(seed))
				s.run()
				stats.add(s)
			}
			cpu1, _ := nodetest.ProcessCPU()
			t.Logf("n=%d: %d seeds, %s; %v of CPU per certified epoch", n, seeds, stats,
				((cpu1 - cpu0) / time.Duration(max(stats.epochs, 1))).Round(10*time.Microsecond))
		})
	}
}

// simStats sums what the runs did, for the log.
type simStats struct {
	runs, epochs, evidence, syncs, crashes, byzLeaderRounds int
	maxRoundAfterHeal                                       uint32
	simTime                                                 time.Duration
}

func (st *simStats) add(s *sim) {
	st.runs++
	st.epochs += int(s.maxEpoch())
	st.evidence += s.evidence
	st.syncs += s.syncs
	st.crashes += s.crashes
	st.maxRoundAfterHeal = max(st.maxRoundAfterHeal, s.maxRoundAfterHeal)
	st.simTime += s.now.Sub(s.bed.start())
}

func (st simStats) String() string {
	return fmt.Sprintf("%d epochs certified, %d evidence, %d syncs, %d crashes, max round after healing %d, %v simulated",
		st.epochs, st.evidence, st.syncs, st.crashes, st.maxRoundAfterHeal, st.simTime.Round(time.Second))
}

// Simulation parameters, in simulated time.
const (
	simStep     = 10 * time.Millisecond  // the clock advances by this much per step
	simCollect  = 100 * time.Millisecond // collect window after a commit
	simMaxDelay = 150 * time.Millisecond // message delay while faulty
	simGoodLag  = 40 * time.Millisecond  // message delay once healed
	simLiveness = 60 * time.Second       // three epochs must certify this soon after healing
)

var simTimeouts = Timeouts{
	Propose: 300 * time.Millisecond, ProposeDelta: 150 * time.Millisecond,
	Prevote: 150 * time.Millisecond, PrevoteDelta: 75 * time.Millisecond,
	Precommit: 150 * time.Millisecond, PrecommitDelta: 75 * time.Millisecond,
	Resend: 300 * time.Millisecond, CatchUp: 600 * time.Millisecond,
}

type behavior int

const (
	honest behavior = iota
	equivocator
	wrongWinner
	wrongState
	withholder
	replayer
	behaviors
)

func (b behavior) String() string {
	return [...]string{"honest", "equivocator", "wrong-winner", "wrong-state", "withholder", "replayer"}[b]
}

type sim struct {
	t     *testing.T
	seed  uint64
	rng   *rand.Rand
	bed   *testbed
	now   time.Time
	nodes []*simNode
	queue msgQueue
	seq   uint64

	healAt     time.Time
	loss       float64
	group      []int  // partition group of each node while faulty
	faults     string // the faults as drawn, for failure messages
	crashOdds  float64
	healEpoch  uint64 // the latest epoch an honest trustee was deciding at the healing
	healedOnce bool

	evidence, syncs, crashes int
	maxRoundAfterHeal        uint32
}

type simNode struct {
	id      int
	key     *keys.Key
	behave  behavior
	cfg     Config
	m       *Machine
	wal     []Record
	log     []CommittedBlock
	down    bool
	upAt    time.Time
	closeAt time.Time // when to close the current epoch's collect window; zero when closed
	sent    []*chain.Vote
	forged  map[chain.Hash][]Outbound // a Byzantine leader's proposals, by honest block
}

type simMsg struct {
	at       time.Time
	seq      uint64
	from, to int
	data     []byte
}

type msgQueue []simMsg

func (q msgQueue) Len() int { return len(q) }
func (q msgQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q msgQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *msgQueue) Push(x any)   { *q = append(*q, x.(simMsg)) }
func (q *msgQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

func newSim(t *testing.T, bed *testbed, seed uint64) *sim {
	n := len(bed.trustees)
	f := (n - 1) / 3
	s := &sim{t: t, seed: seed, rng: rand.New(rand.NewPCG(seed, uint64(n))), bed: bed, now: bed.start()}
	s.healAt = s.now.Add(time.Duration(2000+s.rng.IntN(4000)) * time.Millisecond)
	s.loss = s.rng.Float64() * 0.3
	s.crashOdds = s.rng.Float64() * 0.002
	s.group = make([]int, n)
	if s.rng.IntN(2) == 0 {
		for i := range s.group {
			s.group[i] = s.rng.IntN(2)
		}
	}
	s.faults = fmt.Sprintf("loss %.2f, groups %v, crash odds %.4f per step, healing at %v", s.loss, s.group, s.crashOdds, s.healAt.Sub(s.now))
	byz := s.rng.Perm(n)[:f]
	for i := range n {
		nd := &simNode{id: i, key: bed.trustees[i], forged: map[chain.Hash][]Outbound{}}
		if slices.Contains(byz, i) {
			nd.behave = behavior(1 + s.rng.IntN(int(behaviors)-1))
		}
		nd.cfg = Config{Key: nd.key, State: bed.state0, Mempool: &transferPool{users: bed.users}, Timeouts: simTimeouts}
		nd.cfg.Hooks = s.hooks(nd)
		m, err := New(nd.cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		nd.m = m
		nd.closeAt = s.now.Add(s.collect())
		s.nodes = append(s.nodes, nd)
	}
	return s
}

func (s *sim) fail(format string, a ...any) {
	s.t.Helper()
	var kinds []string
	for _, nd := range s.nodes {
		kinds = append(kinds, nd.behave.String())
	}
	s.t.Fatalf("seed %d (n=%d, %v, %s): %s", s.seed, len(s.nodes), kinds, s.faults, fmt.Sprintf(format, a...))
}

func (s *sim) collect() time.Duration {
	return simCollect + time.Duration(s.rng.IntN(40))*time.Millisecond
}

func (s *sim) faulty() bool { return s.now.Before(s.healAt) }

func (s *sim) run() {
	deadline := s.healAt.Add(simLiveness)
	for !s.now.After(deadline) {
		if !s.faulty() && !s.healedOnce {
			s.healedOnce = true
			s.heal()
		}
		s.step()
		if s.healedOnce && s.live() {
			break
		}
	}
	if f := uint32((len(s.nodes) - 1) / 3); s.maxRoundAfterHeal > f+1 {
		s.fail("an epoch after the healing took %d rounds; f+1 = %d Byzantine leaders in a row at most", s.maxRoundAfterHeal+1, f+1)
	}
	if !s.live() {
		var at []string
		for _, nd := range s.honest() {
			st := nd.m.Status()
			at = append(at, fmt.Sprintf("%d:e%d r%d %s", nd.id, st.Epoch, st.Round, st.Step))
		}
		s.fail("no liveness: %v after healing at epoch %d", at, s.healEpoch)
	}
	s.checkSafety()
}

// heal ends the faults: no more loss, partitions or crashes; crashed trustees restart.
func (s *sim) heal() {
	s.loss, s.crashOdds = 0, 0
	clear(s.group)
	for _, nd := range s.nodes {
		if nd.down {
			s.restart(nd)
		}
		if nd.behave == honest {
			s.healEpoch = max(s.healEpoch, nd.m.Status().Epoch)
		}
	}
}

// live reports whether every honest trustee has committed three epochs past the one
// being decided at the healing.
func (s *sim) live() bool {
	for _, nd := range s.honest() {
		if nd.m.Status().Epoch < s.healEpoch+3 {
			return false
		}
	}
	return true
}

func (s *sim) honest() []*simNode {
	var out []*simNode
	for _, nd := range s.nodes {
		if nd.behave == honest {
			out = append(out, nd)
		}
	}
	return out
}

func (s *sim) maxEpoch() uint64 {
	var e uint64
	for _, nd := range s.honest() {
		e = max(e, nd.m.State().Epoch())
	}
	return e
}

func (s *sim) step() {
	s.now = s.now.Add(simStep)
	for s.queue.Len() > 0 && !s.queue[0].at.After(s.now) {
		msg := heap.Pop(&s.queue).(simMsg)
		nd := s.nodes[msg.to]
		if nd.down {
			continue
		}
		decoded, err := DecodeMessage(msg.data)
		if err != nil {
			s.fail("undecodable message: %v", err)
		}
		_ = nd.m.Step(*decoded) // rejections are the machine's business
		s.handle(nd)
	}
	for _, nd := range s.nodes {
		if nd.down {
			if !nd.upAt.After(s.now) && !s.faulty() {
				s.restart(nd)
			}
			continue
		}
		if nd.behave == honest && s.faulty() && s.rng.Float64() < s.crashOdds {
			s.crash(nd)
			continue
		}
		if !nd.closeAt.IsZero() && !nd.closeAt.After(s.now) {
			nd.closeAt = time.Time{}
			st := nd.m.State()
			var kbs []chain.KeyBlock
			for _, kb := range s.bed.ticketsFor(st, len(s.bed.users)) {
				if s.rng.Float64() < 0.8 {
					kbs = append(kbs, kb)
				}
			}
			_ = nd.m.CloseEpoch(st.Epoch()+1, kbs, 0) // closed already after a restart: fine
		}
		nd.m.Tick(s.now)
		s.handle(nd)
	}
}

// handle plays the driver: save, commit, send, sync.
func (s *sim) handle(nd *simNode) {
	for nd.m.HasReady() {
		rd := nd.m.Ready()
		nd.wal = append(nd.wal, rd.Persist...)
		for _, c := range rd.Committed {
			s.noteCommit(nd, c)
		}
		for _, o := range rd.Messages {
			s.send(nd, o)
		}
		for _, ev := range rd.Evidence {
			s.checkEvidence(nd, ev)
		}
		nd.m.Advance()
		if rd.CatchUp != 0 {
			s.catchUp(nd)
		}
	}
}

func (s *sim) noteCommit(nd *simNode, c CommittedBlock) {
	nd.log = append(nd.log, c)
	nd.closeAt = s.now.Add(s.collect())
	if s.healedOnce && c.Block.Header.Epoch > s.healEpoch {
		s.maxRoundAfterHeal = max(s.maxRoundAfterHeal, c.Cert.Round)
	}
}

func (s *sim) send(nd *simNode, o Outbound) {
	data := EncodeMessage(&o.Message)
	for _, dst := range s.nodes {
		if dst == nd || !o.Broadcast() && dst.key.Public() != o.To {
			continue
		}
		if s.faulty() && (s.group[nd.id] != s.group[dst.id] || s.rng.Float64() < s.loss) {
			continue
		}
		delay := time.Millisecond + time.Duration(s.rng.Int64N(int64(simGoodLag)))
		if s.faulty() {
			delay = time.Millisecond + time.Duration(s.rng.Int64N(int64(simMaxDelay)))
		}
		s.seq++
		heap.Push(&s.queue, simMsg{at: s.now.Add(delay), seq: s.seq, from: nd.id, to: dst.id, data: data})
	}
}

// catchUp feeds a lagging trustee the certified blocks a reachable peer holds.
func (s *sim) catchUp(nd *simNode) {
	for _, i := range s.rng.Perm(len(s.nodes)) {
		peer := s.nodes[i]
		if peer == nd || s.faulty() && s.group[peer.id] != s.group[nd.id] {
			continue
		}
		for _, c := range peer.log {
			if c.Block.Header.Epoch == nd.m.Status().Epoch {
				if err := nd.m.Sync(c.Block, c.Cert); err != nil {
					s.fail("trustee %d: sync block %d from %d: %v", nd.id, c.Block.Header.Epoch, peer.id, err)
				}
				s.syncs++
			}
		}
	}
	s.handle(nd)
}

// crash drops a trustee's machine with whatever it had not yet handed to the driver.
func (s *sim) crash(nd *simNode) {
	nd.down = true
	nd.upAt = s.now.Add(time.Duration(200+s.rng.IntN(1000)) * time.Millisecond)
	s.crashes++
}

// restart rebuilds a trustee from its committed blocks and its write-ahead log.
func (s *sim) restart(nd *simNode) {
	m, err := New(restartConfig(nd.cfg, nd.log), nd.wal)
	if err != nil {
		s.fail("restart %d: %v", nd.id, err)
	}
	nd.m, nd.down = m, false
	nd.closeAt = s.now.Add(s.collect())
}

// checkEvidence checks that evidence is valid and accuses an equivocator: honest
// trustees, restarted ones included, and replayed old votes must never look like
// equivocation.
func (s *sim) checkEvidence(nd *simNode, ev chain.Evidence) {
	s.evidence++
	a, b := ev.A, ev.B
	if a.Kind != b.Kind || a.Epoch != b.Epoch || a.Round != b.Round || a.Trustee != b.Trustee || a.Block == b.Block {
		s.fail("trustee %d: evidence of two votes that do not conflict: %s, %s", nd.id, voteString(&a), voteString(&b))
	}
	if a.VerifySig() != nil || b.VerifySig() != nil {
		s.fail("trustee %d: evidence with a bad signature", nd.id)
	}
	if i := s.bed.trusteeIndex(a.Trustee); s.nodes[i].behave != equivocator {
		s.fail("trustee %d accuses trustee %d, a %s one", nd.id, i, s.nodes[i].behave)
	}
}

// checkSafety compares the honest trustees' logs epoch by epoch, checks each
// certificate against the set that certified the parent, and checks that no honest
// trustee signed two different votes for one kind, epoch and round.
func (s *sim) checkSafety() {
	blocks := map[uint64]chain.Hash{}
	for _, nd := range s.honest() {
		for i, c := range nd.log {
			e := c.Block.Header.Epoch
			if e != uint64(i+1) {
				s.fail("trustee %d: commit %d is of epoch %d", nd.id, i, e)
			}
			h := c.Block.Hash()
			if old, ok := blocks[e]; ok && old != h {
				s.fail("epoch %d certified twice: %s and %s", e, old.Short(), h.Short())
			}
			blocks[e] = h
			parent := s.bed.state0
			if i > 0 {
				parent = nd.log[i-1].State
			}
			if err := c.Cert.Verify(s.bed.genesis.ChainID, e, h, parent.Active()); err != nil {
				s.fail("trustee %d: certificate of epoch %d: %v", nd.id, e, err)
			}
		}
		signed := map[signedKey]chain.Hash{}
		for _, rec := range nd.wal {
			if v := rec.Vote; v != nil {
				k := signedKey{v.Epoch, v.Round, v.Kind}
				if old, ok := signed[k]; ok && old != v.Block {
					s.fail("honest trustee %d signed two votes for %v", nd.id, k)
				}
				signed[k] = v.Block
			}
		}
	}
}

// hooks makes a Byzantine trustee of its behavior; an honest one gets none.
func (s *sim) hooks(nd *simNode) Hooks {
	others := func() []*simNode {
		var out []*simNode
		for _, o := range s.nodes {
			if o != nd {
				out = append(out, o)
			}
		}
		return out
	}
	// split sends a to a random half of the others and b to the rest.
	split := func(a, b Message) []Outbound {
		var out []Outbound
		for _, o := range others() {
			msg := a
			if s.rng.IntN(2) == 0 {
				msg = b
			}
			out = append(out, Outbound{To: o.key.Public(), Message: msg})
		}
		return out
	}
	switch nd.behave {
	case equivocator:
		vote := func(h *chain.Vote) []Outbound {
			other := *h
			other.Block = chain.Hash{}
			if h.Block.IsZero() {
				other.Block = chain.Hash{0xee, byte(h.Round)}
			}
			other.Sign(nd.key)
			return split(Message{Vote: h}, Message{Vote: &other})
		}
		return Hooks{
			DoPrevote:   vote,
			DoPrecommit: vote,
			DecideProposal: func(parent *chain.State, p *Proposal) []Outbound {
				alt := s.forge(nd, parent, p, func(cp *chain.Proposal) { cp.Payload = nil })
				if alt == nil {
					return []Outbound{{Message: Message{Proposal: p}}}
				}
				return split(Message{Proposal: p}, Message{Proposal: alt})
			},
		}
	case wrongWinner:
		return Hooks{DecideProposal: func(parent *chain.State, p *Proposal) []Outbound {
			alt := s.forge(nd, parent, p, func(cp *chain.Proposal) {
				if len(cp.Payroll) > 0 {
					cp.Winner, cp.Payroll = &cp.Payroll[0], cp.Payroll[1:]
				} else {
					cp.Winner, cp.Tickets = nil, 0
				}
			})
			if alt == nil {
				return []Outbound{{Message: Message{Proposal: p}}}
			}
			return []Outbound{{Message: Message{Proposal: alt}}}
		}}
	case wrongState:
		return Hooks{DecideProposal: func(parent *chain.State, p *Proposal) []Outbound {
			alt := *p
			alt.Block.Header.StateRoot[0] ^= 0xff
			alt.Sign(nd.key)
			return []Outbound{{Message: Message{Proposal: &alt}}}
		}}
	case withholder:
		none := func(*chain.Vote) []Outbound { return nil }
		return Hooks{
			DoReport:       func(*Report) []Outbound { return nil },
			DecideProposal: func(*chain.State, *Proposal) []Outbound { return nil },
			DoPrevote:      none,
			DoPrecommit:    none,
		}
	case replayer:
		vote := func(h *chain.Vote) []Outbound {
			out := []Outbound{{Message: Message{Vote: h}}}
			if len(nd.sent) > 0 {
				for range 2 {
					old := nd.sent[s.rng.IntN(len(nd.sent))]
					out = append(out, Outbound{Message: Message{Vote: old}})
				}
			}
			nd.sent = append(nd.sent, h)
			return out
		}
		return Hooks{DoPrevote: vote, DoPrecommit: vote}
	}
	return Hooks{}
}

// forge builds and signs another block in place of the honest proposal p, with the
// change applied to what the honest block held; nil when the change makes no other
// block. It remembers its forgeries so that resending costs nothing.
func (s *sim) forge(nd *simNode, parent *chain.State, p *Proposal, change func(*chain.Proposal)) *Proposal {
	h := p.Block.Hash()
	if out, ok := nd.forged[h]; ok {
		if out == nil {
			return nil
		}
		return out[0].Message.Proposal
	}
	b := &p.Block
	cp := chain.Proposal{Time: parent.Params().GenesisTime, Winner: b.Winner, Payroll: slices.Clone(b.Payroll), Payload: b.Payload, LastCert: b.LastCert, Tickets: b.Header.Tickets}
	change(&cp)
	alt, _, _, err := chain.Propose(parent, cp)
	if err != nil || alt.Hash() == h {
		nd.forged[h] = nil
		return nil
	}
	fp := &Proposal{Epoch: p.Epoch, Round: p.Round, ValidRound: NoRound, Block: *alt, Reports: p.Reports}
	fp.Sign(nd.key)
	nd.forged[h] = []Outbound{{Message: Message{Proposal: fp}}}
	return fp
}
