package ibft

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
)

// TestInteraction replays the scripts in testdata/ the way etcd's raft does: each
// command drives a small network of machines by hand and prints the whole message
// trace, which is compared with the script's expectation. Run with -rewrite to
// regenerate the expectations, then read the diff.
//
// Commands (trustees are numbered from 1 in lineup order, miners from m0):
//
//	init n=4 [miners=3] [equivocate=(4)] [mempool]
//	close [ids=(1,2)] [miners=(0,2)] [admitted=(9,40)]
//	                                   CloseEpoch with the tickets of these miners and
//	                                   the admitted counts the trustees state (one for
//	                                   all, or one per id; default the tickets handed in)
//	stabilize                          process Ready and deliver until quiet
//	process-ready [ids=(…)]            handle the nodes' Ready: save, commit, send
//	deliver [ids=(…)]                  step the nodes with the messages sent to them
//	tick d=500ms [ids=(…)]             advance the clock; prints round and step changes
//	status [ids=(…)]
//	drop [from=(1,2)] [to=3] [type=prevote] drop matching messages in flight
//	partition a=(1,2) b=(3,4) | isolate id=4 | heal
//	crash id=2 | restart id=2          restart replays the node's write-ahead log
//	sync id=4 from=1                   feed id the certified blocks it lacks
func TestInteraction(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		if !strings.HasSuffix(path, ".txt") {
			return
		}
		var e *env
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			if d.Cmd == "init" {
				e = newEnv(t, d)
				return e.flush()
			}
			if e == nil {
				d.Fatalf(t, "init first")
			}
			e.run(t, d)
			return e.flush()
		})
	})
}

type env struct {
	t     *testing.T
	bed   *testbed
	nodes []*envNode
	now   time.Time
	cut   map[[2]int]bool // links (from, to) that lose every message
	out   strings.Builder

	blockNames map[chain.Hash]string
	perEpoch   map[uint64]int
}

type envNode struct {
	id     int
	key    *keys.Key
	m      *Machine
	cfg    Config
	inbox  []envMsg
	wal    []Record
	log    []CommittedBlock
	down   bool
	status Status
}

type envMsg struct {
	from int
	data []byte // as on the wire
}

func newEnv(t *testing.T, d *datadriven.TestData) *env {
	n, miners := 4, 3
	maybeScan(t, d, "n", &n)
	maybeScan(t, d, "miners", &miners)
	e := &env{t: t, bed: newTestbed(t, n, max(miners, 1)), cut: map[[2]int]bool{}, blockNames: map[chain.Hash]string{}, perEpoch: map[uint64]int{}}
	e.now = e.bed.start()
	e.blockNames[forgedBlock] = "forged"
	equivocators := intsArg(t, d, "equivocate")
	for i := range n {
		nd := &envNode{id: i + 1, key: e.bed.trustees[i]}
		nd.cfg = Config{Key: nd.key, State: e.bed.state0}
		if d.HasArg("mempool") {
			nd.cfg.Mempool = &transferPool{users: e.bed.users}
		}
		if slices.Contains(equivocators, nd.id) {
			nd.cfg.Hooks = e.equivocate(nd)
		}
		m, err := New(nd.cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		nd.m = m
		m.Tick(e.now)
		nd.status = m.Status()
		e.nodes = append(e.nodes, nd)
	}
	fmt.Fprintf(&e.out, "%d trustees, quorum %d, %d miners\n", n, e.nodes[0].m.quorum, miners)
	return e
}

// equivocate makes a trustee send its honest prevotes and precommits to everyone and a
// conflicting one (nil for a block, a made-up block for nil) to the upper half of the
// others, who then hold both.
func (e *env) equivocate(nd *envNode) Hooks {
	split := func(honest *chain.Vote) []Outbound {
		other := *honest
		other.Block = chain.Hash{}
		if honest.Block.IsZero() {
			other.Block = forgedBlock
		}
		other.Sign(nd.key)
		out := []Outbound{{Message: Message{Vote: honest}}}
		for _, o := range e.nodes {
			if o.id != nd.id && o.id > len(e.nodes)/2 {
				out = append(out, Outbound{To: o.key.Public(), Message: Message{Vote: &other}})
			}
		}
		return out
	}
	return Hooks{DoPrevote: split, DoPrecommit: split}
}

// forgedBlock is the hash an equivocating trustee votes for instead of nil.
var forgedBlock = chain.Hash{0xee}

func (e *env) run(t *testing.T, d *datadriven.TestData) {
	ids := intsArg(t, d, "ids")
	if len(ids) == 0 {
		for _, nd := range e.nodes {
			ids = append(ids, nd.id)
		}
	}
	switch d.Cmd {
	case "close":
		miners := intsArg(t, d, "miners")
		admitted := intsArg(t, d, "admitted")
		if len(admitted) > 1 && len(admitted) != len(ids) {
			d.Fatalf(t, "%d admitted counts for %d trustees", len(admitted), len(ids))
		}
		for k, id := range ids {
			nd := e.node(id)
			st := nd.m.State()
			all := e.bed.ticketsFor(st, len(e.bed.users))
			var kbs []chain.KeyBlock
			for i, kb := range all {
				if len(miners) == 0 && !d.HasArg("miners") || slices.Contains(miners, i) {
					kbs = append(kbs, kb)
				}
			}
			count := 0
			if len(admitted) > 0 {
				count = admitted[min(k, len(admitted)-1)]
			}
			if err := nd.m.CloseEpoch(st.Epoch()+1, kbs, count); err != nil {
				fmt.Fprintf(&e.out, "%d close: %v\n", id, err)
			}
		}
	case "stabilize":
		e.stabilize()
	case "process-ready":
		for _, id := range ids {
			if nd := e.node(id); !nd.down && nd.m.HasReady() {
				e.handleReady(nd)
			}
		}
	case "deliver":
		for _, id := range ids {
			e.deliverAll(e.node(id))
		}
	case "tick":
		var ds string
		d.ScanArgs(t, "d", &ds)
		dur, err := time.ParseDuration(ds)
		if err != nil {
			d.Fatalf(t, "d: %v", err)
		}
		e.now = e.now.Add(dur)
		for _, id := range ids {
			nd := e.node(id)
			if nd.down {
				continue
			}
			nd.m.Tick(e.now)
			e.noteStatus(nd)
		}
	case "status":
		for _, id := range ids {
			e.printStatus(e.node(id))
		}
	case "drop":
		e.drop(t, d)
	case "partition":
		a, b := intsArg(t, d, "a"), intsArg(t, d, "b")
		for _, x := range a {
			for _, y := range b {
				e.cut[[2]int{x, y}], e.cut[[2]int{y, x}] = true, true
			}
		}
	case "isolate":
		var id int
		d.ScanArgs(t, "id", &id)
		for _, o := range e.nodes {
			if o.id != id {
				e.cut[[2]int{id, o.id}], e.cut[[2]int{o.id, id}] = true, true
			}
		}
	case "heal":
		clear(e.cut)
	case "crash":
		var id int
		d.ScanArgs(t, "id", &id)
		nd := e.node(id)
		nd.down, nd.inbox = true, nil
	case "restart":
		var id int
		d.ScanArgs(t, "id", &id)
		e.restart(e.node(id))
	case "sync":
		var id, from int
		d.ScanArgs(t, "id", &id)
		d.ScanArgs(t, "from", &from)
		e.sync(e.node(id), e.node(from))
	default:
		d.Fatalf(t, "unknown command %q", d.Cmd)
	}
}

func (e *env) node(id int) *envNode {
	if id < 1 || id > len(e.nodes) {
		e.t.Fatalf("no trustee %d", id)
	}
	return e.nodes[id-1]
}

// stabilize handles every Ready and delivers every message until nothing moves.
func (e *env) stabilize() {
	for {
		moved := false
		for _, nd := range e.nodes {
			if !nd.down && nd.m.HasReady() {
				e.handleReady(nd)
				moved = true
			}
		}
		for _, nd := range e.nodes {
			if e.deliverAll(nd) {
				moved = true
			}
		}
		if !moved {
			return
		}
	}
}

func (e *env) handleReady(nd *envNode) {
	rd := nd.m.Ready()
	for _, rec := range rd.Persist {
		nd.wal = append(nd.wal, rec)
		lock := ""
		if rec.Vote != nil && rec.Proposal != nil {
			lock = " +block"
		}
		fmt.Fprintf(&e.out, "%d wal %s%s\n", nd.id, e.recordString(rec), lock)
	}
	for _, c := range rd.Committed {
		nd.log = append(nd.log, c)
		fmt.Fprintf(&e.out, "%d commit %s\n", nd.id, e.commitString(c))
	}
	dropped := 0
	for _, o := range rd.Messages {
		to := "all"
		if !o.Broadcast() {
			to = strconv.Itoa(e.bed.trusteeIndex(o.To) + 1)
		}
		relayed := ""
		if v := o.Message.Vote; v != nil && v.Trustee != nd.key.Public() {
			relayed = fmt.Sprintf(" (of %d)", e.bed.trusteeIndex(v.Trustee)+1)
		}
		fmt.Fprintf(&e.out, "%d → %s %s%s\n", nd.id, to, e.msgString(&o.Message), relayed)
		data := EncodeMessage(&o.Message)
		for _, dst := range e.nodes {
			if dst.id == nd.id || !o.Broadcast() && dst.key.Public() != o.To {
				continue
			}
			if dst.down || e.cut[[2]int{nd.id, dst.id}] {
				dropped++
				continue
			}
			dst.inbox = append(dst.inbox, envMsg{from: nd.id, data: data})
		}
	}
	if dropped > 0 {
		fmt.Fprintf(&e.out, "%d   (%d lost to down or cut links)\n", nd.id, dropped)
	}
	for _, ev := range rd.Evidence {
		fmt.Fprintf(&e.out, "%d evidence against %d: %s and %s\n", nd.id, e.bed.trusteeIndex(ev.A.Trustee)+1, e.voteString(&ev.A), e.voteString(&ev.B))
	}
	if rd.CatchUp != 0 {
		fmt.Fprintf(&e.out, "%d catch up to epoch %d\n", nd.id, rd.CatchUp)
	}
	nd.m.Advance()
}

// deliverAll steps a node with every message in its inbox.
func (e *env) deliverAll(nd *envNode) bool {
	if nd.down || len(nd.inbox) == 0 {
		return false
	}
	msgs := nd.inbox
	nd.inbox = nil
	for _, msg := range msgs {
		e.deliver(nd, msg)
	}
	e.noteStatus(nd)
	return true
}

func (e *env) deliver(nd *envNode, in envMsg) {
	msg, err := DecodeMessage(in.data)
	if err != nil {
		e.t.Fatalf("a machine sent what does not decode: %v", err)
	}
	if err := nd.m.Step(*msg); err != nil {
		fmt.Fprintf(&e.out, "%d ✗ %s from %d: %s\n", nd.id, e.msgString(msg), in.from, errName(err))
	}
}

// errName is the sentinel an error wraps, so traces do not depend on error wording.
func errName(err error) string {
	for _, s := range []struct {
		err  error
		name string
	}{
		{ErrPastEpoch, "past epoch"}, {ErrFutureEpoch, "future epoch"}, {ErrNotLeader, "not the leader"},
		{ErrNotTrustee, "not a trustee"}, {ErrBadSignature, "bad signature"}, {ErrBadReport, "bad report"},
		{ErrConflict, "conflict"}, {ErrTooMany, "too many"}, {ErrBadMessage, "malformed"},
		{ErrEpochClosed, "epoch closed"}, {ErrBadSync, "does not sync"},
	} {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	return err.Error()
}

func (e *env) drop(t *testing.T, d *datadriven.TestData) {
	var to int
	var kind string
	from := intsArg(t, d, "from")
	maybeScan(t, d, "to", &to)
	maybeScan(t, d, "type", &kind)
	n := 0
	for _, nd := range e.nodes {
		if to != 0 && nd.id != to {
			continue
		}
		nd.inbox = slices.DeleteFunc(nd.inbox, func(in envMsg) bool {
			msg, _ := DecodeMessage(in.data)
			if len(from) > 0 && !slices.Contains(from, in.from) || kind != "" && msgKind(msg) != kind {
				return false
			}
			n++
			return true
		})
	}
	fmt.Fprintf(&e.out, "dropped %d\n", n)
}

func msgKind(m *Message) string {
	switch {
	case m.Report != nil:
		return "report"
	case m.Proposal != nil:
		return "proposal"
	case m.Certified != nil:
		return "certified"
	case m.Vote.Kind == chain.Prevote:
		return "prevote"
	}
	return "precommit"
}

// restart builds the node's machine again from its last committed block and its
// write-ahead log, as a trustee does after a crash.
func (e *env) restart(nd *envNode) {
	m, err := New(restartConfig(nd.cfg, nd.log), nd.wal)
	if err != nil {
		e.t.Fatalf("restart %d: %v", nd.id, err)
	}
	nd.m, nd.down = m, false
	m.Tick(e.now)
	fmt.Fprintf(&e.out, "%d restarted from %d records\n", nd.id, len(nd.wal))
	nd.status = Status{}
	e.noteStatus(nd)
}

func (e *env) sync(nd, from *envNode) {
	for _, c := range from.log {
		if c.Block.Header.Epoch < nd.m.Status().Epoch {
			continue
		}
		if err := nd.m.Sync(c.Block, c.Cert); err != nil {
			fmt.Fprintf(&e.out, "%d sync %s: %s\n", nd.id, e.blockName(c.Block.Hash(), c.Block.Header.Epoch), errName(err))
			return
		}
	}
}

// noteStatus prints a node's round and step when they changed.
func (e *env) noteStatus(nd *envNode) {
	s := nd.m.Status()
	if s.Epoch == nd.status.Epoch && s.Round == nd.status.Round && s.Step == nd.status.Step {
		return
	}
	nd.status = s
	e.printStatus(nd)
}

func (e *env) printStatus(nd *envNode) {
	s := nd.m.Status()
	lock, valid := "-", "-"
	if s.LockedRound != NoRound {
		lock = fmt.Sprintf("%s@r%d", e.blockName(s.LockedBlock, s.Epoch), s.LockedRound)
	}
	if s.ValidRound != NoRound {
		valid = fmt.Sprintf("%s@r%d", e.blockName(s.ValidBlock, s.Epoch), s.ValidRound)
	}
	deadline := "-"
	if !s.Deadline.IsZero() {
		deadline = "+" + s.Deadline.Sub(e.now).String()
	}
	fmt.Fprintf(&e.out, "%d is e%d r%d %s, leader %d, lock %s, valid %s, timeout %s\n",
		nd.id, s.Epoch, s.Round, s.Step, e.bed.trusteeIndex(s.Leader)+1, lock, valid, deadline)
}

func (e *env) flush() string {
	s := e.out.String()
	e.out.Reset()
	return s
}

// blockName names blocks by epoch and order of appearance: 1a, 1b, 2a, …
func (e *env) blockName(h chain.Hash, epoch uint64) string {
	if h.IsZero() {
		return "nil"
	}
	if n, ok := e.blockNames[h]; ok {
		return n
	}
	n := fmt.Sprintf("%d%c", epoch, 'a'+e.perEpoch[epoch])
	e.perEpoch[epoch]++
	e.blockNames[h] = n
	return n
}

func (e *env) tickets(kbs []chain.KeyBlock) string {
	names := make([]string, len(kbs))
	for i := range kbs {
		names[i] = fmt.Sprintf("m%d", e.bed.minerIndex(kbs[i].Miner))
	}
	return "[" + strings.Join(names, " ") + "]"
}

func (e *env) trustees(ks []keys.PublicKey) string {
	ids := make([]int, len(ks))
	for i, k := range ks {
		ids[i] = e.bed.trusteeIndex(k) + 1
	}
	slices.Sort(ids)
	return strings.Trim(fmt.Sprint(ids), "")
}

func (e *env) msgString(m *Message) string {
	switch {
	case m.Report != nil:
		return fmt.Sprintf("Report e%d %s of %d", m.Report.Epoch, e.tickets(m.Report.Tickets), m.Report.Admitted)
	case m.Proposal != nil:
		p := m.Proposal
		var by []keys.PublicKey
		for _, r := range p.Reports {
			by = append(by, r.Trustee)
		}
		winner := "none"
		if p.Block.Winner != nil {
			winner = e.tickets([]chain.KeyBlock{*p.Block.Winner})
			winner = winner[1 : len(winner)-1]
		}
		return fmt.Sprintf("Proposal e%d r%d %s vr=%d winner %s payroll %s tickets %d txs %d reports %s",
			p.Epoch, p.Round, e.blockName(p.Block.Hash(), p.Epoch), p.ValidRound, winner,
			e.tickets(p.Block.Payroll), p.Block.Header.Tickets, len(p.Block.Payload), e.trustees(by))
	case m.Certified != nil:
		c := m.Certified
		return fmt.Sprintf("Certified e%d %s r%d signers %s", c.Block.Header.Epoch,
			e.blockName(c.Block.Hash(), c.Block.Header.Epoch), c.Cert.Round, e.trustees(c.Cert.Signers()))
	}
	return e.voteString(m.Vote)
}

func (e *env) voteString(v *chain.Vote) string {
	kind := "Prevote"
	if v.Kind == chain.Precommit {
		kind = "Precommit"
	}
	return fmt.Sprintf("%s e%d r%d %s", kind, v.Epoch, v.Round, e.blockName(v.Block, v.Epoch))
}

func (e *env) recordString(r Record) string {
	switch {
	case r.Report != nil:
		return e.msgString(&Message{Report: r.Report})
	case r.Vote != nil:
		return e.voteString(r.Vote)
	}
	return e.msgString(&Message{Proposal: r.Proposal})
}

func (e *env) commitString(c CommittedBlock) string {
	b := c.Block
	winner := "none"
	if b.Winner != nil {
		winner = e.tickets([]chain.KeyBlock{*b.Winner})
		winner = winner[1 : len(winner)-1]
	}
	return fmt.Sprintf("e%d %s r%d signers %s winner %s payroll %s tickets %d txs %d time +%s",
		b.Header.Epoch, e.blockName(b.Hash(), b.Header.Epoch), c.Cert.Round, e.trustees(c.Cert.Signers()),
		winner, e.tickets(b.Payroll), b.Header.Tickets, len(b.Payload), time.Duration(c.Cert.MedianTime()-e.bed.start().UnixNano()))
}

func intsArg(t *testing.T, d *datadriven.TestData, key string) []int {
	var out []int
	for _, a := range d.CmdArgs {
		if a.Key != key {
			continue
		}
		for _, v := range a.Vals {
			if strings.TrimSpace(v) == "" {
				continue
			}
			i, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				d.Fatalf(t, "%s: %v", key, err)
			}
			out = append(out, i)
		}
	}
	return out
}

func maybeScan(t *testing.T, d *datadriven.TestData, key string, dest any) {
	if d.HasArg(key) {
		d.ScanArgs(t, key, dest)
	}
}
