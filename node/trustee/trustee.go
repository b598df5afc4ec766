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
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/luck"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/store"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"
)

// Clock tells the time. The trustee reads it for every tick, so tests can inject one;
// readings must carry a monotonic component (as time.Now's do) or never go back.
type Clock interface {
	Now() time.Time
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

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
}

// input is one thing the reactors hand to the state goroutine.
type input struct {
	msg       *ibft.Message
	ticket    *chain.KeyBlock
	certified *CertifiedBlock
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

	inbox   chan input
	done    chan struct{}
	running atomic.Bool
	tipv    atomic.Pointer[tip]
	status  atomic.Pointer[Status]
	members atomic.Pointer[map[peer.ID]keys.PublicKey]
	catchUp atomic.Bool

	// Owned by the state goroutine.
	m        *ibft.Machine
	cal      *dcc.Calibrator
	pool     *luck.Pool
	base     time.Time // origin of the monotonic readings the DCC works in
	closed   uint64    // the latest epoch whose collect window this trustee closed
	closedAt map[uint64]time.Time
	marks    []walMark
	peers    map[keys.PublicKey]peer.ID
	senders  map[peer.ID]chan []byte
	wg       sync.WaitGroup
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
	st, err := opts.Store.LoadState()
	if err != nil {
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
	t := &Trustee{
		key: opts.Key, store: opts.Store, net: opts.Net, protos: opts.Net.Protocols(), clock: opts.Clock,
		log: opts.Logger, tick: opts.TickInterval, chainID: st.Params().ChainID,
		mempool:  NewMempool(st, opts.Mempool),
		metrics:  newMetrics(opts.Registry),
		inbox:    make(chan input, 1024),
		done:     make(chan struct{}),
		closedAt: map[uint64]time.Time{},
		peers:    map[keys.PublicKey]peer.ID{},
		senders:  map[peer.ID]chan []byte{},
	}
	var restored []ibft.Record
	err = opts.Store.WAL().Range(0, func(seq uint64, raw []byte) error {
		rec, err := ibft.DecodeRecord(raw)
		if err != nil {
			return fmt.Errorf("WAL record %d: %w", seq, err)
		}
		restored = append(restored, *rec)
		t.marks = append(t.marks, walMark{seq: seq, epoch: recordEpoch(rec)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("new trustee: %w", err)
	}
	t.m, err = ibft.New(ibft.Config{
		Key: opts.Key, State: st, LastCert: lastCert, LastBlock: lastBlock,
		Mempool: t.mempool, Timeouts: opts.Timeouts,
	}, restored)
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

func recordEpoch(r *ibft.Record) uint64 {
	switch {
	case r.Report != nil:
		return r.Report.Epoch
	case r.Vote != nil:
		return r.Vote.Epoch
	case r.Proposal != nil:
		return r.Proposal.Epoch
	}
	return 0
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

	ticker := time.NewTicker(t.tick)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			t.log.Info("trustee stopped", "height", t.tipv.Load().header.Epoch)
			return nil
		case in := <-t.inbox:
			t.handle(ctx, in)
		case <-ticker.C:
		}
		if err := t.step(ctx); err != nil {
			t.log.Error("trustee halted", "err", err)
			return err
		}
	}
}

// handle steps one input into the machine or the ticket pool.
func (t *Trustee) handle(ctx context.Context, in input) {
	switch {
	case in.msg != nil:
		if err := t.m.Step(*in.msg); err != nil {
			t.log.Debug("message refused", "msg", in.msg.String(), "err", err)
		}
	case in.certified != nil:
		c := in.certified
		if c.Block.Header.Epoch != t.m.Status().Epoch {
			return
		}
		if err := t.m.Sync(&c.Block, &c.Cert); err != nil {
			t.log.Debug("certified block refused", "epoch", c.Block.Header.Epoch, "err", err)
		}
	case in.ticket != nil:
		err := t.admit(in.ticket, in.recv)
		if in.reply != nil {
			in.reply <- err
		}
	}
}

func (t *Trustee) admit(kb *chain.KeyBlock, recv time.Time) error {
	if t.pool == nil {
		return fmt.Errorf("%w: no open epoch", ErrBadRequest)
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
		if err := t.m.CloseEpoch(st.Epoch, kbs); err != nil && !errors.Is(err, ibft.ErrEpochClosed) {
			t.log.Warn("close epoch", "epoch", st.Epoch, "err", err)
		}
		t.closed = st.Epoch
		t.closedAt[st.Epoch] = now
		t.log.Debug("epoch closed", "epoch", st.Epoch, "tickets", len(kbs))
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
func (t *Trustee) ready(ctx context.Context, now time.Time) error {
	rd := t.m.Ready()
	if len(rd.Persist) > 0 {
		raw := make([][]byte, len(rd.Persist))
		for i := range rd.Persist {
			raw[i] = ibft.EncodeRecord(&rd.Persist[i])
			if v := rd.Persist[i].Vote; v != nil {
				t.metrics.votes.WithLabelValues(voteKind(v.Kind)).Inc()
			}
		}
		first, err := t.store.WAL().Append(raw...)
		if err != nil {
			return fmt.Errorf("persist votes: %w", err)
		}
		for i := range rd.Persist {
			t.marks = append(t.marks, walMark{seq: first + uint64(i), epoch: recordEpoch(&rd.Persist[i])})
		}
	}
	for _, c := range rd.Committed {
		if err := t.commit(ctx, c, now); err != nil {
			return err
		}
	}
	for i := range rd.Messages {
		t.send(ctx, &rd.Messages[i])
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
// WAL and publishes the block.
func (t *Trustee) commit(ctx context.Context, c ibft.CommittedBlock, now time.Time) error {
	parentSet := t.tipv.Load().header.TrusteeSetHash
	h := c.Block.Header.Epoch
	if err := t.store.CommitBlock(c.Block, c.Cert, c.State); err != nil {
		return fmt.Errorf("commit block: %w", err)
	}
	t.setTip(c.State, c.Block.Header, c.Cert)
	t.mempool.Update(c.State)
	t.observe(c.Block.Header, now.Sub(t.base))
	t.pruneWAL(h)

	t.metrics.height.Set(float64(h))
	t.metrics.mempool.Set(float64(t.mempool.Len()))
	if at, ok := t.closedAt[h]; ok {
		t.metrics.certification.Observe(now.Sub(at).Seconds())
	}
	for e := range t.closedAt {
		if e <= h {
			delete(t.closedAt, e)
		}
	}
	t.log.Info("block certified", "height", h, "hash", c.Block.Hash().Short(), "round", c.Cert.Round,
		"signers", len(c.Cert.Sigs), "txs", len(c.Block.Payload), "winner", c.Block.Winner != nil)

	cb := &CertifiedBlock{Block: *c.Block, Cert: *c.Cert}
	if c.Block.Header.TrusteeSetHash != parentSet {
		cb.Trustees = c.State.Registry().CertifiedBy // a membership boundary: light nodes need the new set
	}
	data := Encode(cb)
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		if err := t.net.Publish(ctx, t.protos.Blocks, data); err != nil && ctx.Err() == nil {
			t.log.Debug("publish block", "height", h, "err", err)
		}
	}()
	return nil
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
	pool, err := luck.NewPool(luck.LotteryAfter(&h, t.m.State().Params().KStar), w)
	if err != nil {
		panic(fmt.Sprintf("trustee: ticket pool of epoch %d: %v", h.Epoch+1, err))
	}
	t.pool = pool
}

// pruneWAL drops the records of epochs up to the committed height: the block they
// protected is final, so no vote of those epochs can be signed again.
func (t *Trustee) pruneWAL(height uint64) {
	keep := 0
	for keep < len(t.marks) && t.marks[keep].epoch <= height {
		keep++
	}
	if keep == 0 {
		return
	}
	before := t.marks[keep-1].seq + 1
	if err := t.store.WAL().Truncate(before); err != nil {
		t.log.Warn("prune WAL", "err", err)
		return
	}
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
