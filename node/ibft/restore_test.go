package ibft

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/keys"
)

// TestRestoreNeverConflicts crashes one trustee again and again at random points of
// its driver's work (before saving a Ready, after saving it but before sending, after
// sending) on a network that loses and delays messages, and restores it from the
// records it saved. Across all its lives it must never sign two different votes for one
// kind, epoch and round, never send a vote it had not saved, and come back with the
// lock its saved precommits give.
func TestRestoreNeverConflicts(t *testing.T) {
	seeds := 12
	if testing.Short() || raceEnabled {
		seeds = 5
	}
	bed := newTestbed(t, 4, 3)
	var crashes, locks int
	for seed := range seeds {
		n := runCrashes(t, bed, uint64(seed))
		crashes += n.crashes
		locks += n.locks
	}
	if locks == 0 {
		t.Fatal("no restart came back locked: the lock was never restored")
	}
	t.Logf("%d seeds, %d crashes, %d restores with a lock", seeds, crashes, locks)
}

type crashNet struct {
	t      *testing.T
	bed    *testbed
	rng    *rand.Rand
	now    time.Time
	ms     []*Machine
	logs   [][]CommittedBlock
	wal    []Record // the victim's saved records
	queue  []pending
	closes []time.Time

	saved   map[signedKey]chain.Hash // every vote the victim saved, across lives
	sent    map[signedKey]chain.Hash // every vote the victim sent
	crashes int
	locks   int // restores that came back locked
}

type pending struct {
	at   time.Time
	to   int
	data []byte
}

const victim = 0

func runCrashes(t *testing.T, bed *testbed, seed uint64) *crashNet {
	n := &crashNet{t: t, bed: bed, rng: rand.New(rand.NewPCG(seed, 7)), now: bed.start(),
		saved: map[signedKey]chain.Hash{}, sent: map[signedKey]chain.Hash{}}
	n.logs = make([][]CommittedBlock, len(bed.trustees))
	for _, k := range bed.trustees {
		m, err := New(Config{Key: k, State: bed.state0, Timeouts: simTimeouts}, nil)
		if err != nil {
			t.Fatal(err)
		}
		n.ms = append(n.ms, m)
		n.closes = append(n.closes, n.now.Add(simCollect))
	}
	for n.now.Before(bed.start().Add(20*time.Second)) && n.ms[1].State().Epoch() < 12 {
		n.step()
	}
	if n.crashes == 0 || n.ms[victim].State().Epoch() < 3 {
		t.Fatalf("seed %d: %d crashes, the victim reached epoch %d: the test did not test", seed, n.crashes, n.ms[victim].State().Epoch())
	}
	return n
}

func (n *crashNet) step() {
	n.now = n.now.Add(simStep)
	var later []pending
	for _, p := range n.queue {
		if p.at.After(n.now) {
			later = append(later, p)
			continue
		}
		msg, err := DecodeMessage(p.data)
		if err != nil {
			n.t.Fatal(err)
		}
		_ = n.ms[p.to].Step(*msg)
		n.handle(p.to)
	}
	n.queue = later
	for i, m := range n.ms {
		if !n.closes[i].IsZero() && !n.closes[i].After(n.now) {
			n.closes[i] = time.Time{}
			st := m.State()
			_ = m.CloseEpoch(st.Epoch()+1, n.bed.ticketsFor(st, 3), 0)
		}
		m.Tick(n.now)
		n.handle(i)
	}
}

func (n *crashNet) handle(i int) {
	m := n.ms[i]
	for m.HasReady() {
		rd := m.Ready()
		crash := i == victim && n.rng.IntN(8) == 0
		point := n.rng.IntN(3) // 0: before saving, 1: after saving, 2: after sending
		if crash && point == 0 {
			n.restart()
			return
		}
		for _, rec := range rd.Persist {
			if i == victim {
				n.wal = append(n.wal, rec)
				if v := rec.Vote; v != nil {
					n.note(n.saved, v, "saved")
				}
			}
		}
		n.logs[i] = append(n.logs[i], rd.Committed...)
		for range rd.Committed {
			n.closes[i] = n.now.Add(simCollect)
		}
		if crash && point == 1 {
			n.restart()
			return
		}
		for _, o := range rd.Messages {
			if v := o.Message.Vote; i == victim && v != nil && v.Trustee == n.bed.trustees[victim].Public() {
				k := signedKey{v.Epoch, v.Round, v.Kind}
				if h, ok := n.saved[k]; !ok || h != v.Block {
					n.t.Fatalf("the victim sent %s before saving it", voteString(v))
				}
				n.note(n.sent, v, "sent")
			}
			n.send(i, o)
		}
		if rd.CatchUp != 0 {
			n.catchUp(i)
		}
		m.Advance()
		if crash {
			n.restart()
			return
		}
	}
}

func (n *crashNet) note(seen map[signedKey]chain.Hash, v *chain.Vote, what string) {
	k := signedKey{v.Epoch, v.Round, v.Kind}
	if h, ok := seen[k]; ok && h != v.Block {
		n.t.Fatalf("the victim %s two votes for %+v: %s and %s", what, k, h.Short(), v.Block.Short())
	}
	seen[k] = v.Block
}

func (n *crashNet) send(from int, o Outbound) {
	data := EncodeMessage(&o.Message)
	for to := range n.ms {
		if to == from || !o.Broadcast() && n.bed.trustees[to].Public() != o.To || n.rng.Float64() < 0.15 {
			continue
		}
		n.queue = append(n.queue, pending{at: n.now.Add(time.Duration(1+n.rng.IntN(60)) * time.Millisecond), to: to, data: data})
	}
}

func (n *crashNet) catchUp(i int) {
	for _, c := range n.logs[(i+1)%len(n.ms)] {
		if c.Block.Header.Epoch == n.ms[i].Status().Epoch {
			if err := n.ms[i].Sync(c.Block, c.Cert); err != nil {
				n.t.Fatal(err)
			}
			n.logs[i] = append(n.logs[i], c)
		}
	}
}

// restart replaces the victim with a machine restored from its committed blocks and
// saved records, and checks the lock it comes back with.
func (n *crashNet) restart() {
	n.crashes++
	cfg := Config{Key: n.bed.trustees[victim], State: n.bed.state0, Timeouts: simTimeouts}
	if log := n.logs[victim]; len(log) > 0 {
		last := log[len(log)-1]
		cfg.State, cfg.LastCert, cfg.LastBlock = last.State, last.Cert, last.Block
	}
	m, err := New(cfg, n.wal)
	if err != nil {
		n.t.Fatalf("restore: %v", err)
	}
	n.ms[victim] = m
	n.closes[victim] = n.now.Add(simCollect)
	// The lock is the latest saved precommit for a block in the epoch being decided.
	wantRound, wantBlock := int64(NoRound), chain.Hash{}
	for _, rec := range n.wal {
		if v := rec.Vote; v != nil && v.Kind == chain.Precommit && !v.Block.IsZero() && v.Epoch == cfg.State.Epoch()+1 && int64(v.Round) > wantRound {
			wantRound, wantBlock = int64(v.Round), v.Block
		}
	}
	if st := m.Status(); st.LockedRound != wantRound || st.LockedBlock != wantBlock {
		n.t.Fatalf("restored lock %d/%s, the log says %d/%s", st.LockedRound, st.LockedBlock.Short(), wantRound, wantBlock.Short())
	}
	if wantRound != NoRound {
		n.locks++
	}
}

// TestRestoreRejects checks that New refuses a log it cannot trust.
func TestRestoreRejects(t *testing.T) {
	bed := newTestbed(t, 4, 1)
	k := bed.trustees[0]
	vote := func(key *keys.Key, block chain.Hash) *chain.Vote {
		v := &chain.Vote{Kind: chain.Prevote, ChainID: bed.genesis.ChainID, Epoch: 1, Block: block}
		v.Sign(key)
		return v
	}
	damaged := vote(k, chain.Hash{1})
	damaged.Block[0] ^= 1
	lock := &Record{Vote: vote(k, chain.Hash{1})}
	lock.Vote.Kind = chain.Precommit
	lock.Vote.Sign(k)
	lock.Proposal = &Proposal{Epoch: 1, ValidRound: NoRound, Sig: make([]byte, 64)}
	tests := []struct {
		name string
		recs []Record
	}{
		{"another trustee's vote", []Record{{Vote: vote(bed.trustees[1], chain.Hash{1})}}},
		{"two votes for one round", []Record{{Vote: vote(k, chain.Hash{1})}, {Vote: vote(k, chain.Hash{2})}}},
		{"a damaged signature", []Record{{Vote: damaged}}},
		{"an empty record", []Record{{}}},
		{"a precommit beside another block", []Record{*lock}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Config{Key: k, State: bed.state0}, tc.recs)
			if !errors.Is(err, ErrBadRecord) {
				t.Fatalf("New: %v, want ErrBadRecord", err)
			}
		})
	}
	// Records of decided epochs are history: they neither restore nor conflict.
	net, err := chaintest.New(chaintest.Config{Trustees: 4, Users: 1})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Next(chaintest.Step{})
	if err != nil {
		t.Fatal(err)
	}
	old := []Record{{Vote: vote(k, chain.Hash{1})}, {Vote: vote(k, chain.Hash{2})}}
	m, err := New(Config{Key: k, State: c.State, LastCert: c.Cert}, old)
	if err != nil {
		t.Fatalf("records of a decided epoch: %v", err)
	}
	if st := m.Status(); st.Epoch != 2 || st.Step != StepCollect {
		t.Fatalf("restored from history: %+v", st)
	}
}
