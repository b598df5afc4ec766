package trustee

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/dcc"
	"github.com/daolicloud/daoli/node/ibft"
	"github.com/daolicloud/daoli/node/internal/skew"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/luck"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/store"
	"github.com/daolicloud/daoli/node/wire"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"
)

// Clock tells the time. The trustee reads it for every tick, so tests can inject one;
// readings must carry a monotonic component (as time.Now's do) or never go back.
type Clock interface {
	Now() time.Time
}

type wallClock struct{}

func (wallClock) Now() time.Time { return skew.Now() }

// Net is what the trustee needs of the network: node/p2p's Network plays every role.
type Net interface {
	p2p.Broadcaster
	p2p.Subscriber
	p2p.Sender
	p2p.DirectReceiver
	p2p.Responder
	p2p.Requester
	p2p.PeerManager
	Protocols() p2p.Protocols
}

// DefaultTickInterval is how often the machine is ticked: well under the consensus
// timeouts and the DCC windows, so neither fires late by more than a tick.
const DefaultTickInterval = 10 * time.Millisecond

// Options set up a Trustee.
type Options struct {
	Key   *keys.Key    // the trustee's signing key; required
	Store *store.Store // initialized with the chain's genesis; required
	Net   Net          // required
	Clock Clock        // default: the wall clock
	// Logger receives structured logs (default: discarded).
	Logger *slog.Logger
	// Registry receives the trustee's metrics (default: a new registry, see Registry).
	Registry     *prometheus.Registry
	TickInterval time.Duration // default DefaultTickInterval
	Timeouts     ibft.Timeouts // zero fields take ibft's defaults
	Mempool      MempoolLimits
	// Market, when set, makes the trustee a content directory cache and a mediator.
	Market *Market
	// MaxLights is how many light nodes the trustee admits (default
	// p2p.DefaultMaxLights); one more is refused with the reason (serveAdmit).
	MaxLights int
}

// input is one thing the reactors hand to the state goroutine.
type input struct {
	msg       *ibft.Message
	from      peer.ID // the peer that sent msg
	ticket    *chain.KeyBlock
	certified *wire.CertifiedBlock
	gossiped  bool // the certified block came on the blocks topic
	recv      time.Time
	reply     chan error // for a submitted ticket: the pool's verdict
}

// tip is the committed tip, shared with the reactors and services. Committed states
// are immutable, so readers need no lock.
type tip struct {
	state  *chain.State
	header chain.Header
	cert   *chain.Cert
}

// walMark remembers which epoch a WAL record belongs to, to prune it after commit.
type walMark struct {
	seq   uint64
	epoch uint64
}

// Trustee is one trustee process. Run drives it; the other methods are safe for
// concurrent use.
type Trustee struct {
	key     *keys.Key
	store   *store.Store
	net     Net
	protos  p2p.Protocols
	clock   Clock
	log     *slog.Logger
	tick    time.Duration
	mempool *Mempool
	metrics *metrics
	chainID string
	// sigs is shared by the reactors, the mempool, the ticket pool and the machine, so
	// each signature and VRF proof is checked once, wherever it is met first.
	sigs *keys.SigCache

	inbox   chan input
	done    chan struct{}
	running atomic.Bool
	tipv    atomic.Pointer[tip]
	// heardBlock is the latest height of which a copy of this trustee's own
	// committed block came on the blocks topic.
	heardBlock atomic.Uint64
	status     atomic.Pointer[Status]
	members    atomic.Pointer[map[peer.ID]keys.PublicKey]
	catchUp    atomic.Bool

	// Owned by the state goroutine.
	m        *ibft.Machine
	cal      *dcc.Calibrator
	pool     *luck.Pool
	base     time.Time // origin of the monotonic readings the DCC works in
	closed   uint64    // the latest epoch whose collect window this trustee closed
	closedAt map[uint64]time.Time
	marks    []walMark
	pruneTo  uint64 // WAL records below this sequence are obsolete; the next append deletes them
	taken    uint64 // the latest height committed from a block that came on the blocks topic
	peers    map[keys.PublicKey]peer.ID
	senders  map[peer.ID]chan []byte
	wg       sync.WaitGroup

	market    *Market
	mediating mediation
	lights    *admission

	// onCommit, when set before Run, hears of every block this trustee commits after
	// closing its epoch, with the readings at the close and at the commit: the
	// benchmarks measure certification latency by it.
	onCommit func(height uint64, closed, committed time.Time)
}

// New restores a trustee from its store: the committed tip, and the votes it signed
// from the write-ahead log, so that it never signs one that conflicts.
func New(opts Options) (*Trustee, error) {
	switch {
	case opts.Key == nil || opts.Store == nil || opts.Net == nil:
		return nil, fmt.Errorf("%w: key, store and network are required", ErrBadConfig)
	}
	if opts.Clock == nil {
		opts.Clock = wallClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if opts.TickInterval <= 0 {
		opts.TickInterval = DefaultTickInterval
	}
	if opts.MaxLights <= 0 {
		opts.MaxLights = p2p.DefaultMaxLights
	}
	// The log first: commit records of blocks the database lacks go in before the
	// state is loaded.
	var (
		signed  []ibft.Record
		commits []*wire.CertifiedBlock
		marks   []walMark
	)
	err := opts.Store.WAL().Range(0, func(seq uint64, raw []byte) error {
		rec, err := DecodeWALRecord(raw)
		if err != nil {
			return fmt.Errorf("WAL record %d: %w", seq, err)
		}
		switch {
		case rec.Commit != nil:
			commits = append(commits, rec.Commit)
		case rec.Signed != nil:
			signed = append(signed, *rec.Signed)
		}
		marks = append(marks, walMark{seq: seq, epoch: rec.Epoch()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("new trustee: %w", err)
	}
	st, err := opts.Store.LoadState()
	if err != nil {
		return nil, fmt.Errorf("new trustee: %w", err)
	}
	if st, err = replayCommits(opts.Store, st, commits); err != nil {
		return nil, fmt.Errorf("new trustee: %w", err)
	}
	height := st.Epoch()
	last, err := opts.Store.Block(height)
	if err != nil {
		return nil, fmt.Errorf("new trustee: tip block: %w", err)
	}
	var lastCert *chain.Cert
	var lastBlock *chain.Block
	if height > 0 {
		if lastCert, err = opts.Store.Cert(height); err != nil {
			return nil, fmt.Errorf("new trustee: tip certificate: %w", err)
		}
		lastBlock = last
	}
	sigs := keys.NewSigCache(keys.DefaultSigCacheSize)
	t := &Trustee{
		key: opts.Key, store: opts.Store, net: opts.Net, protos: opts.Net.Protocols(), clock: opts.Clock,
		log: opts.Logger, tick: opts.TickInterval, chainID: st.Params().ChainID, sigs: sigs,
		mempool:   newMempool(st, opts.Mempool, sigs),
		metrics:   newMetrics(opts.Registry),
		inbox:     make(chan input, 1024),
		done:      make(chan struct{}),
		closedAt:  map[uint64]time.Time{},
		peers:     map[keys.PublicKey]peer.ID{},
		senders:   map[peer.ID]chan []byte{},
		market:    opts.Market,
		mediating: mediation{deals: map[chain.Hash]*mediationState{}},
		lights:    newAdmission(opts.MaxLights),
	}
	t.marks = marks
	t.m, err = ibft.New(ibft.Config{
		Key: opts.Key, State: st, LastCert: lastCert, LastBlock: lastBlock,
		Mempool: t.mempool, Timeouts: opts.Timeouts, SigCache: sigs,
	}, signed)
	if err != nil {
		return nil, fmt.Errorf("new trustee: %w", err)
	}
	params := st.Params()
	if t.cal, err = dcc.New(dcc.ConfigOf(&params)); err != nil {
		return nil, fmt.Errorf("new trustee: %w", err)
	}
	t.setTip(st, last.Header, lastCert)
	t.publishStatus()
	return t, nil
}

// Key is the trustee's public key.
func (t *Trustee) Key() keys.PublicKey { return t.key.Public() }

// Mempool is the trustee's mempool.
func (t *Trustee) Mempool() *Mempool { return t.mempool }

// Registry is the registry the trustee's metrics are on.
func (t *Trustee) Registry() *prometheus.Registry { return t.metrics.reg }

func (t *Trustee) setTip(st *chain.State, h chain.Header, cert *chain.Cert) {
	t.tipv.Store(&tip{state: st, header: h, cert: cert})
	members := map[peer.ID]keys.PublicKey{}
	for _, tr := range st.Active() {
		if id, err := p2p.PeerID(tr.Key); err == nil {
			members[id] = tr.Key
		}
	}
	t.members.Store(&members)
}

// Run drives the trustee until ctx ends. It returns nil on a clean shutdown and an
// error when the trustee cannot go on safely (its store failed).
func (t *Trustee) Run(ctx context.Context) error {
	if !t.running.CompareAndSwap(false, true) {
		return fmt.Errorf("%w: Run called twice", ErrBadConfig)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		close(t.done)
		t.wg.Wait()
	}()
	if err := t.startReactors(ctx); err != nil {
		return err
	}
	t.wg.Add(1)
	go t.connectLoop(ctx)

	t.base = t.clock.Now()
	tp := t.tipv.Load()
	// The window of the first epoch opens now: this is when the trustee received its tip.
	t.observe(tp.header, 0)
	t.log.Info("trustee started", "key", t.key.Public().String()[:8], "height", tp.header.Epoch, "chain", t.chainID)

	wake := time.NewTimer(t.tick)
	defer wake.Stop()
	for {
		select {
		case <-ctx.Done():
			t.log.Info("trustee stopped", "height", t.tipv.Load().header.Epoch)
			return nil
		case in := <-t.inbox:
			t.handleAll(ctx, t.gather(in))
		case <-wake.C:
		}
		if err := t.step(ctx); err != nil {
			t.log.Error("trustee halted", "err", err)
			return err
		}
		wake.Reset(skew.Real(t.nextWake()))
	}
}

// idleTick is how often a trustee that is only collecting tickets steps with no input:
// the end of the window and the machine's timeouts wake it on time, inputs at once,
// and what remains on the clock, noticing that it lags the other trustees, waits
// seconds anyway. Ticking every TickInterval through the window instead kept an idle
// trustee waking a hundred times a second.
const idleTick = 500 * time.Millisecond

// nextWake is how long the trustee may wait for an input before it steps again: a
// tick, or less to close its window on time (a trustee that closed late would hold up
// the others, who wait for its report) or to meet the machine's earliest timeout.
func (t *Trustee) nextWake() time.Duration {
	st := t.m.Status()
	d := t.tick
	if st.Step == ibft.StepCollect {
		d = max(d, idleTick)
	}
	now := t.clock.Now()
	if !st.Deadline.IsZero() {
		d = min(d, max(st.Deadline.Sub(now), 0))
	}
	if t.pool != nil && st.Member && t.closed < t.pool.Window().Epoch() {
		if in := t.pool.Window().AdmitUntil() + 1 - now.Sub(t.base); in > 0 {
			d = min(d, in)
		}
	}
	return d
}

// maxBatch bounds the inputs handled between two steps, so that ticks and the
// machine's output are never held up for long.
const maxBatch = 256

// gather returns in and the inputs already waiting behind it, up to maxBatch.
func (t *Trustee) gather(in input) []input {
	batch := []input{in}
	for len(batch) < maxBatch {
		select {
		case in := <-t.inbox:
			batch = append(batch, in)
		default:
			return batch
		}
	}
	return batch
}

// handleAll handles a batch of inputs before the next step, so that one Ready, and
// one write to the log, answers them all: a burst of votes costs one fsync, not one
// each. The batch's signatures are checked together first, which costs less per
// signature than checking them one by one.
func (t *Trustee) handleAll(ctx context.Context, batch []input) {
	var msgs []ibft.Message
	for _, in := range batch {
		if in.msg != nil {
			msgs = append(msgs, *in.msg)
		}
	}
	if len(msgs) > 1 {
		t.m.Preverify(msgs)
	}
	for _, in := range batch {
		t.handle(ctx, in)
	}
}

// handle steps one input into the machine or the ticket pool.
func (t *Trustee) handle(ctx context.Context, in input) {
	switch {
	case in.msg != nil:
		if err := t.m.Step(*in.msg); err != nil {
			t.log.Debug("message refused", "msg", in.msg.String(), "err", err)
			// A refused Step changes nothing, so the epoch is the one it was judged in.
			if invalidMessage(err, in.msg.Epoch(), t.m.Status().Epoch) {
				t.net.Penalize(in.from, p2p.PenaltyBadInput, "consensus: "+err.Error())
			}
		}
	case in.certified != nil:
		c := in.certified
		if c.Block.Header.Epoch != t.m.Status().Epoch {
			return
		}
		if err := t.m.Sync(&c.Block, &c.Cert); err != nil {
			t.log.Debug("certified block refused", "epoch", c.Block.Header.Epoch, "err", err)
		} else if in.gossiped {
			t.taken = c.Block.Header.Epoch
		}
	case in.ticket != nil:
		err := t.admit(in.ticket, in.recv)
		if in.reply != nil {
			in.reply <- err
		}
	}
}

// invalidMessage reports whether the machine refused a consensus message of epoch
// msgEpoch, at epoch, for what it is rather than for when it came: no honest trustee
// sends one with a bad signature, of another chain, with a report or certificate that
// cannot verify, or, for an epoch this trustee has reached, signed outside that
// epoch's set or proposed out of turn. A message of a later epoch may come from a
// trustee the current set lacks, and messages that come late or too often cost
// nothing: honest trustees send those too.
func invalidMessage(err error, msgEpoch, epoch uint64) bool {
	switch {
	case errors.Is(err, ibft.ErrBadSignature), errors.Is(err, ibft.ErrWrongChain),
		errors.Is(err, ibft.ErrBadReport), errors.Is(err, ibft.ErrBadSync):
		return true
	case errors.Is(err, ibft.ErrNotTrustee), errors.Is(err, ibft.ErrNotLeader):
		return msgEpoch <= epoch
	}
	return false
}

func (t *Trustee) admit(kb *chain.KeyBlock, recv time.Time) error {
	if t.pool == nil {
		return fmt.Errorf("%w: no open epoch", wire.ErrBadRequest)
	}
	if _, err := t.pool.Add(kb, recv.Sub(t.base)); err != nil {
		return err
	}
	return nil
}

// step ticks the machine, closes the epoch when its window ends and acts on Ready.
func (t *Trustee) step(ctx context.Context) error {
	now := t.clock.Now()
	t.m.Tick(now)
	st := t.m.Status()
	if st.Member && st.Epoch > t.closed && t.pool != nil && t.pool.Window().Epoch() == st.Epoch &&
		!t.pool.Window().MayAdmit(now.Sub(t.base)) {
		var kbs []chain.KeyBlock
		for _, tk := range t.pool.Best(int(t.m.State().Params().Payroll) + 1) {
			kbs = append(kbs, *tk.KeyBlock)
		}
		// Certification is timed from here, not from the tick: ticking may have worked.
		closedAt := t.clock.Now()
		if err := t.m.CloseEpoch(st.Epoch, kbs, t.pool.Len()); err != nil && !errors.Is(err, ibft.ErrEpochClosed) {
			t.log.Warn("close epoch", "epoch", st.Epoch, "err", err)
		}
		t.closed = st.Epoch
		t.closedAt[st.Epoch] = closedAt
		t.log.Debug("epoch closed", "epoch", st.Epoch, "tickets", len(kbs), "admitted", t.pool.Len())
	}
	for t.m.HasReady() {
		if err := t.ready(ctx, now); err != nil {
			return err
		}
	}
	t.publishStatus()
	return nil
}

// ready acts on the machine's Ready in the order it requires: persist, commit, send.
// Reports and proposals go first (Outbound.Early), so that the others work on them
// while this trustee's log write runs; votes wait for it.
func (t *Trustee) ready(ctx context.Context, now time.Time) error {
	rd := t.m.Ready()
	early := len(rd.Persist) > 0
	if early {
		for i := range rd.Messages {
			if rd.Messages[i].Early() {
				t.send(ctx, &rd.Messages[i])
			}
		}
	}
	committed := make([][]byte, len(rd.Committed)) // their commit records
	if len(rd.Persist) > 0 || len(rd.Committed) > 0 {
		// What it committed and what it signed, in one write and one sync. The
		// commits go first: a Ready that commits epoch h may sign in h+1 too, and
		// pruning deletes records only below the first one still needed.
		raw := make([][]byte, 0, len(rd.Persist)+len(rd.Committed))
		marks := make([]uint64, 0, cap(raw))
		for i, c := range rd.Committed {
			committed[i] = encodeCommitRecord(c.Block, c.Cert)
			raw = append(raw, committed[i])
			marks = append(marks, c.Block.Header.Epoch)
		}
		for i := range rd.Persist {
			raw = append(raw, ibft.EncodeRecord(&rd.Persist[i]))
			marks = append(marks, rd.Persist[i].Epoch())
			if v := rd.Persist[i].Vote; v != nil {
				t.metrics.votes.WithLabelValues(voteKind(v.Kind)).Inc()
			}
		}
		first, err := t.store.WAL().AppendTruncate(t.pruneTo, raw...)
		if err != nil {
			return fmt.Errorf("write the WAL: %w", err)
		}
		t.pruneTo = 0
		for i, e := range marks {
			t.marks = append(t.marks, walMark{seq: first + uint64(i), epoch: e})
		}
	}
	for i, c := range rd.Committed {
		if err := t.commit(ctx, c, committed[i], now); err != nil {
			return err
		}
	}
	for i := range rd.Messages {
		if !early || !rd.Messages[i].Early() {
			t.send(ctx, &rd.Messages[i])
		}
	}
	for i := range rd.Evidence {
		t.reportEvidence(ctx, &rd.Evidence[i])
	}
	if rd.CatchUp > 0 {
		t.startCatchUp(ctx, rd.CatchUp)
	}
	t.m.Advance()
	return nil
}

// reportEvidence turns proof of an equivocation into an Evidence transaction signed by
// this trustee, for its mempool and the other trustees'.
func (t *Trustee) reportEvidence(ctx context.Context, ev *chain.Evidence) {
	t.log.Warn("equivocation", "trustee", ev.A.Trustee.String()[:8], "epoch", ev.A.Epoch, "round", ev.A.Round)
	tx := chain.NewTx(t.key, t.chainID, t.mempool.NextNonce(t.key.Address()), 0, ev)
	if err := t.mempool.Add(tx); err != nil {
		t.log.Warn("evidence transaction", "err", err)
		return
	}
	data := chain.EncodeTx(tx)
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		t.relay(ctx, t.protos.Txs, data)
	}()
}

func voteKind(k chain.VoteKind) string {
	if k == chain.Precommit {
		return "precommit"
	}
	return "prevote"
}

// commit stores a certified block, moves the mempool and the DCC to it, prunes the
// WAL and publishes the block. Its commit record, rec, is in the WAL already (ready
// wrote it), so the block is committed when commit begins: certification is timed to
// here.
func (t *Trustee) commit(ctx context.Context, c ibft.CommittedBlock, rec []byte, now time.Time) error {
	parent := t.tipv.Load()
	parentSet := parent.header.TrusteeSetHash
	h := c.Block.Header.Epoch
	if at, ok := t.closedAt[h]; ok {
		done := t.clock.Now()
		t.metrics.certification.Observe(done.Sub(at).Seconds())
		if t.onCommit != nil {
			t.onCommit(h, at, done)
		}
	}
	for e := range t.closedAt {
		if e <= h {
			delete(t.closedAt, e)
		}
	}
	if err := t.store.CommitBlock(c.Block, c.Cert, c.State); err != nil {
		return fmt.Errorf("commit block: %w", err)
	}
	t.setTip(c.State, c.Block.Header, c.Cert)
	t.mempool.Update(c.State)
	t.mediate(ctx, h, c.State)
	t.observe(c.Block.Header, now.Sub(t.base))
	t.pruneWAL(h)

	t.metrics.height.Set(float64(h))
	t.metrics.mempool.Set(float64(t.mempool.Len()))
	t.log.Info("block certified", "height", h, "hash", c.Block.Hash().Short(), "round", c.Cert.Round,
		"signers", len(c.Cert.Sigs), "txs", len(c.Block.Payload), "winner", c.Block.Winner != nil)

	if h == t.taken {
		// It is on the topic already, and this trustee passed it on when it took it:
		// publishing its own copy, under another certificate, would only make every
		// node decode and check the block once more.
		t.metrics.blocks.WithLabelValues("left").Inc()
		return nil
	}
	data := certifiedBlockOf(rec)
	if c.Block.Header.TrusteeSetHash != parentSet {
		// A membership boundary: light nodes need the new set.
		data = wire.Encode(&wire.CertifiedBlock{Block: *c.Block, Cert: *c.Cert, Trustees: c.State.Registry().CertifiedBy})
	}
	publisher := blockPublisher(parent.state.Active(), h, c.Cert.Round)
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		if publisher != t.key.Public() {
			// The round's proposer publishes the block; the others only if no copy
			// came within blockRelayWait. Every trustee publishing its own copy (under
			// its own certificate, so a message of its own) made every node receive,
			// decode and check the block once per trustee.
			timer := time.NewTimer(blockRelayWait)
			defer timer.Stop()
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			}
			if t.heardBlock.Load() >= h {
				t.metrics.blocks.WithLabelValues("left").Inc()
				return
			}
		}
		if err := t.net.Publish(ctx, t.protos.Blocks, data); err != nil && ctx.Err() == nil {
			t.log.Debug("publish block", "height", h, "err", err)
			return
		}
		t.metrics.blocks.WithLabelValues("published").Inc()
	}()
	return nil
}

// blockRelayWait is how long a trustee other than the round's proposer waits for the
// proposer's copy of a committed block before publishing its own: long enough for a
// message to cross the network, short against the epoch's throttle window.
const blockRelayWait = 250 * time.Millisecond

// blockPublisher is the trustee that publishes the block of epoch h certified in
// round r: the round's proposer, lineup[(h + r) mod n] of the set that certified it.
func blockPublisher(set []chain.Trustee, h uint64, r uint32) keys.PublicKey {
	if len(set) == 0 {
		return keys.PublicKey{}
	}
	return set[(h+uint64(r))%uint64(len(set))].Key
}

// observe feeds a committed block, received at the monotonic reading recv, to the DCC
// and opens the ticket pool of the next epoch.
func (t *Trustee) observe(h chain.Header, recv time.Duration) {
	if err := t.cal.Observe(h.Epoch, h.Time, recv); err != nil {
		// A block that does not extend the samples (a restart, a clock step) starts
		// the calibration afresh rather than stall the epoch.
		t.cal.Reset()
		if err := t.cal.Observe(h.Epoch, h.Time, recv); err != nil {
			panic(fmt.Sprintf("trustee: a reset calibrator refused block %d: %v", h.Epoch, err))
		}
	}
	w, err := t.cal.Window()
	if err != nil {
		panic(fmt.Sprintf("trustee: no window after observing block %d: %v", h.Epoch, err))
	}
	lot := luck.LotteryAfter(&h, t.m.State().Params().KStar)
	lot.Sigs = t.sigs
	pool, err := luck.NewPool(lot, w)
	if err != nil {
		panic(fmt.Sprintf("trustee: ticket pool of epoch %d: %v", h.Epoch+1, err))
	}
	t.pool = pool
}

// pruneWAL drops the records of epochs up to the committed height: the block they
// protected is final, so no vote of those epochs can be signed again. The deletion
// rides on the next append (the next epoch's report), which costs no fsync of its
// own; until then, or if the trustee stops first, the records stay, and a restart
// skips records of committed epochs.
func (t *Trustee) pruneWAL(height uint64) {
	keep := 0
	for keep < len(t.marks) && t.marks[keep].epoch <= height {
		keep++
	}
	if keep == 0 {
		return
	}
	t.pruneTo = t.marks[keep-1].seq + 1
	t.marks = append(t.marks[:0], t.marks[keep:]...)
}

// Status is a snapshot of the trustee for logs, the status page and tests.
type Status struct {
	ChainID  string
	Self     keys.PublicKey
	Height   uint64
	Tip      chain.Hash
	Time     time.Time // BFT time of the tip
	Epoch    uint64
	Round    uint32
	Step     string
	Leader   keys.PublicKey
	Member   bool
	Trustees []keys.PublicKey
	LastCert *chain.Cert
	Mempool  int
	Peers    int
}

func (t *Trustee) publishStatus() {
	st := t.m.Status()
	tp := t.tipv.Load()
	s := &Status{
		ChainID: t.chainID, Self: t.key.Public(), Height: tp.header.Epoch, Tip: tp.state.Tip(),
		Time: time.Unix(0, tp.header.Time).UTC(), Epoch: st.Epoch, Round: st.Round, Step: st.Step.String(),
		Leader: st.Leader, Member: st.Member, LastCert: tp.cert, Mempool: t.mempool.Len(),
	}
	for _, tr := range tp.state.Active() {
		s.Trustees = append(s.Trustees, tr.Key)
	}
	t.status.Store(s)
	t.metrics.round.Set(float64(st.Round))
}

// Status returns the latest snapshot.
func (t *Trustee) Status() Status {
	s := *t.status.Load()
	s.Peers = len(t.net.Peers())
	t.metrics.peers.Set(float64(s.Peers))
	return s
}
