package light

import (
	"cmp"
	"context"
	cryptorand "crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/dcc"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/luck"
	"github.com/daolicloud/daoli/node/network"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/store"
	"github.com/daolicloud/daoli/node/wire"
	"github.com/libp2p/go-libp2p/core/peer"
)

// DBFile is the light node's database in its data directory.
const DBFile = "light.db"

// Node is a running light node.
type Node struct {
	cfg    Config
	log    *slog.Logger
	store  *store.Store
	net    *p2p.Network
	rem    remote
	params chain.Params
	me     keys.Address // zero without a wallet
	start  uint64       // the wallet's genesis balance
	base   time.Time    // monotonic origin of the DCC's readings
	events broker

	mu   sync.Mutex // guards fol, cal, cert, the lottery's fields below and target
	fol  *Follower
	cal  *dcc.Calibrator
	cert *chain.Cert // the tip's certificate; nil at genesis
	// certSigned is how many of cert's signatures the follower verified.
	certSigned int
	// For the dashboard's lottery: the newest headers verified (up to recentHeaders),
	// the tip's draw as seen from this node, and the epoch of its last ticket.
	recent     []chain.Header
	won        []bool // parallel to recent: this node won that epoch
	draw       Draw
	ticketedAt uint64
	// target is the highest height the node knows the chain has reached: from a
	// certificate it verified, or claimed by enough trustees that one is honest.
	target uint64
	sigs   *keys.SigCache // signatures verified, shared by the gossip validator and fol

	miner  *luck.Miner
	gossip chan gossipBlock
	tips   chan chain.Header
	kick   chan struct{}
	status atomic.Pointer[Status]
	// proving is set while a balance proof is in flight; provenLedger is the ledger
	// sum when the last one was asked for.
	proving      atomic.Bool
	provenLedger atomic.Int64
	bg           sync.WaitGroup // background work that uses the store
	wallet       walletState
	book         *DealBook  // nil without a wallet
	mkt          *agent     // nil without a wallet or a market configuration
	txMu         sync.Mutex // one transaction signed and sent at a time, so nonces follow each other
	cancel       context.CancelFunc
	done         chan struct{}
	stopErr      error
}

type gossipBlock struct {
	cb   *wire.CertifiedBlock
	from peer.ID
	recv time.Duration
}

// Status is a snapshot of the node.
type Status struct {
	ChainID   string
	Height    uint64 // newest verified block
	Tip       chain.Hash
	Time      time.Time // BFT time of the tip
	Target    uint64    // highest height the node knows the chain has reached (see Node.target)
	Synced    bool
	Peers     int
	Trustees  int // trustees connected
	Address   keys.Address
	Balance   uint64 // last proven balance
	BalanceAt uint64 // height of that proof; 0 when none yet
	Ledger    int64  // the ledger's sum since genesis
	Wins      int
	Payrolls  int
	Earned    uint64
	Mining    bool
	Tickets   int // tickets submitted
	LastError string
	// The tip's certificate: its round, and how many of the set's signatures on it the
	// node verified.
	CertRound            uint32
	CertSigners, SetSize int
	// The DCC's calibration (docs/dcc.md): the global cycle and this computer's
	// private cycle, from CycleBlocks blocks (fewer than two: the genesis cycle).
	GlobalCycle, PrivateCycle time.Duration
	CycleBlocks               int
	HashRate                  float64 // the miner's attempts per second while it mines
}

// Start opens the light node of cfg and runs it until ctx ends or Stop.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("light node: %w", err)
	}
	log := cfg.Logger
	g := cfg.Network.Genesis
	gst, err := g.State()
	if err != nil {
		return nil, fmt.Errorf("light node: genesis: %w", err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("light node: data dir: %w", err)
	}
	st, err := store.Open(filepath.Join(cfg.DataDir, DBFile), nil)
	if err != nil {
		return nil, fmt.Errorf("light node: %w", err)
	}
	n := &Node{cfg: cfg, log: log, store: st, params: gst.Params(), base: time.Now(),
		gossip: make(chan gossipBlock, 16), tips: make(chan chain.Header, 1), kick: make(chan struct{}, 1), done: make(chan struct{})}
	fail := func(err error) (*Node, error) {
		if n.net != nil {
			n.net.Close()
			n.net.Host().Close()
		}
		st.Close()
		return nil, fmt.Errorf("light node: %w", err)
	}
	if err := st.InitLight(g); err != nil {
		return fail(err)
	}
	tip, set, err := st.LightTip()
	if err != nil {
		return fail(err)
	}
	if n.fol, err = ResumeFollower(tip, set, n.params.MembershipInterval); err != nil {
		return fail(err)
	}
	n.sigs = keys.NewSigCache(sigCacheSize)
	n.fol.UseCache(n.sigs)
	if n.cal, err = dcc.New(dcc.ConfigOf(&n.params)); err != nil {
		return fail(err)
	}
	if cfg.Wallet != nil {
		n.me = cfg.Wallet.Address()
		n.start = gst.Account(n.me).Balance
		if err := n.wallet.load(st); err != nil {
			return fail(err)
		}
		if n.book, err = loadDealBook(st, n.me); err != nil {
			return fail(err)
		}
	}
	boot, err := p2p.ParseAddrInfos(cfg.Network.BootstrapAddrs())
	if err != nil {
		return fail(err)
	}
	box := p2p.NewPenaltyBox(p2p.PenaltyConfig{})
	h := cfg.Host
	if h == nil {
		hostKey, err := keys.Generate(cryptorand.Reader)
		if err != nil {
			return fail(err)
		}
		h, err = p2p.NewHost(p2p.HostConfig{Key: hostKey, ListenAddrs: cfg.Listen, Gater: box,
			RelayClient: true, StaticRelays: boot, UserAgent: "daoli"})
		if err != nil {
			return fail(err)
		}
	}
	dht := p2p.DHTOff
	if cfg.DHT {
		dht = p2p.DHTClient
	}
	ping := p2p.DefaultPingInterval
	if !cfg.Ping {
		ping = -1
	}
	n.net, err = p2p.New(h, p2p.Config{ChainID: g.ChainID, Logger: log, Penalties: box, DHT: dht, Bootstrap: boot, MDNS: cfg.MDNS, PingInterval: ping})
	if err != nil {
		h.Close()
		return fail(err)
	}
	n.rem = remote{req: n.net, protos: n.net.Protocols()}
	if err := n.net.Subscribe(n.rem.protos.Blocks, n.validateBlock, n.onBlock); err != nil {
		return fail(err)
	}
	if cfg.Mine && cfg.Wallet != nil {
		n.miner = newMiner(cfg)
	}
	if cfg.Market != nil && cfg.Wallet != nil {
		if n.mkt, err = newMarket(n, *cfg.Market); err != nil {
			return fail(err)
		}
	}
	n.publishStatus("")
	ctx, n.cancel = context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = n.net.Bootstrap(ctx) })
	wg.Go(func() { n.syncLoop(ctx) })
	if n.miner != nil {
		wg.Go(func() { n.mineLoop(ctx) })
		if cfg.Gate != nil {
			wg.Go(func() { cfg.Gate.Follow(ctx, n.miner) })
		}
	}
	if cfg.Gate != nil {
		wg.Go(func() { n.watchGate(ctx, cfg.Gate) })
	}
	if n.mkt != nil {
		wg.Go(func() { n.mkt.loop(ctx) })
	}
	go func() {
		defer close(n.done)
		wg.Wait()
		n.bg.Wait()
		n.events.close()
		n.net.Close()
		h.Close()
		if err := st.Close(); err != nil {
			n.stopErr = err
		}
	}()
	return n, nil
}

// newMiner makes the node's miner. With a gate, each worker slot holds its throttle
// of the gate, so the miner runs on the gate's cores at its duty; Start also has the
// gate pause it (Follow), which keeps its hash rate to the time it may work.
func newMiner(cfg Config) *luck.Miner {
	mc := luck.MinerConfig{Workers: cfg.MinerWorkers}
	if g := cfg.Gate; g != nil {
		mc.Throttle = func(slot int) luck.Throttle { return g.Throttle(slot) }
	}
	return luck.NewMiner(mc)
}

// watchGate turns the governor's decisions into events, so the app shows why sharing
// runs or rests.
func (n *Node) watchGate(ctx context.Context, g *capacity.Gate) {
	for {
		changed := g.Changed()
		n.events.publish(Event{Kind: EventGovernor, Gate: g.State()})
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
	}
}

// Stop shuts the node down and waits until its store is closed.
func (n *Node) Stop() error {
	n.cancel()
	<-n.done
	return n.stopErr
}

// Done is closed once the node has stopped.
func (n *Node) Done() <-chan struct{} { return n.done }

// Subscribe returns a stream of events and a function that ends it.
func (n *Node) Subscribe() (<-chan Event, func()) { return n.events.subscribe() }

// Status returns the latest snapshot.
func (n *Node) Status() Status {
	s := *n.status.Load()
	peers := n.net.Peers()
	s.Peers = len(peers)
	s.Trustees = len(n.trusteePeers())
	if n.miner != nil {
		ms := n.miner.Stats()
		s.Mining = ms.Mining && !n.miner.Paused()
		s.HashRate = ms.Rate
	}
	return s
}

// Address is the wallet's address (zero without a wallet).
func (n *Node) Address() keys.Address { return n.me }

// Network is the network file the node follows.
func (n *Node) Network() *network.File { return n.cfg.Network }

func (n *Node) publishStatus(lastErr string) {
	n.mu.Lock()
	tip, tipHash, target := n.fol.Tip(), n.fol.TipHash(), n.target
	cert, certSigned, setSize := n.cert, n.certSigned, len(n.fol.Set())
	gc, pc, blocks := n.cal.GlobalCycle(), n.cal.PrivateCycle(), len(n.cal.Samples())
	n.mu.Unlock()
	w := n.wallet.snapshot()
	s := &Status{ChainID: tip.ChainID, Height: tip.Epoch, Tip: tipHash, Time: time.Unix(0, tip.Time).UTC(),
		Target: max(target, tip.Epoch), Synced: target > 0 && tip.Epoch >= target,
		Address: n.me, Balance: w.balance, BalanceAt: w.balanceAt, Ledger: w.ledger,
		Wins: w.wins, Payrolls: w.payrolls, Earned: w.earned, Tickets: w.tickets, LastError: lastErr,
		SetSize: setSize, GlobalCycle: gc, PrivateCycle: pc, CycleBlocks: blocks}
	if cert != nil {
		s.CertRound, s.CertSigners = cert.Round, certSigned
	}
	old := n.status.Load()
	if old != nil && lastErr == "" {
		s.LastError = old.LastError
	}
	n.status.Store(s)
	if old != nil && old.Synced != s.Synced {
		n.events.publish(Event{Kind: EventSync, Height: s.Height})
	}
}

// recentHeaders is how many headers the expected wins are estimated from.
const recentHeaders = 32

// Draw is one epoch's lottery as this node saw it.
type Draw struct {
	Epoch   uint64       // 0: no block verified since the node started
	Winner  keys.Address // zero when the epoch had no valid ticket
	Tickets uint32       // admitted tickets of the epoch: the header's count, the median of the trustees' counts
	// Mine: this node sent a ticket for the epoch. Rank is its place by luck when the
	// block pays it: 1 the winner, 2… the payroll; 0 when it was not paid.
	Mine bool
	Rank int
}

// Lottery is the Consensus of Luck for this node: the last draw, the epoch drawn now,
// and the wins to expect.
type Lottery struct {
	Last    Draw
	Current uint64 // the epoch whose tickets are being collected
	Odds    luck.Odds
	// Won of Epochs: this node's wins in the epochs the odds are estimated from.
	Won, Epochs int
}

// Lottery reports the last draw and this node's expected wins (the Dashboard's lottery,
// docs/app.md): its ticket's chance to be admitted at its measured hash rate, and to be
// the luckiest among as many tickets as recent blocks admitted.
func (n *Node) Lottery() Lottery {
	var rate float64
	if n.miner != nil {
		rate = n.miner.Stats().Rate
	}
	n.mu.Lock()
	tip := n.fol.Tip()
	l := Lottery{Last: n.draw, Current: tip.Epoch + 1, Epochs: len(n.recent)}
	for _, w := range n.won {
		if w {
			l.Won++
		}
	}
	in := luck.OddsInput{Recent: slices.Clone(n.recent), Target: luck.NextTarget(&tip, n.params.KStar), HashRate: rate,
		Phi: time.Duration(n.params.PhiMs) * time.Millisecond, Cycle: n.cal.GlobalCycle(), KStar: n.params.KStar, Payroll: n.params.Payroll}
	n.mu.Unlock()
	l.Odds = luck.ExpectedWins(in)
	return l
}

// noteDraw records a verified block's draw; n.mu is held.
func (n *Node) noteDraw(b *chain.Block) {
	h := b.Header
	drop := max(len(n.recent)+1-recentHeaders, 0)
	n.recent = append(slices.Clip(n.recent[drop:]), h)
	d := Draw{Epoch: h.Epoch, Tickets: h.Tickets, Mine: n.ticketedAt == h.Epoch}
	if b.Winner != nil {
		d.Winner = b.Winner.Payout
	}
	if n.cfg.Wallet != nil {
		me := n.cfg.Wallet.Public()
		if b.Winner != nil && b.Winner.Miner == me {
			d.Rank = 1
		}
		for i := range b.Payroll {
			if b.Payroll[i].Miner == me {
				d.Rank = i + 2
			}
		}
	}
	n.won = append(slices.Clip(n.won[drop:]), d.Rank == 1)
	n.draw = d
}

// TrusteeInfo is one trustee of the set that certifies the chain's next block, as
// this node sees it.
type TrusteeInfo struct {
	chain.Trustee
	Connected bool
	Latency   time.Duration // round trip measured to it; 0 when not measured yet
	// Signed of Of: the certificates this node verified last (up to 100) that carry
	// this trustee's precommit.
	Signed, Of int
}

// Trustees lists the trustee set in its lineup order (by seniority).
func (n *Node) Trustees() []TrusteeInfo {
	peers := map[peer.ID]p2p.PeerInfo{}
	for _, p := range n.net.Peers() {
		peers[p.ID] = p
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	set := n.fol.Set()
	out := make([]TrusteeInfo, 0, len(set))
	for _, t := range set {
		ti := TrusteeInfo{Trustee: t}
		if id, err := p2p.PeerID(t.Key); err == nil {
			p, ok := peers[id]
			ti.Connected, ti.Latency = ok, p.Latency
		}
		ti.Signed, ti.Of = n.fol.Signed(t.Key)
		out = append(out, ti)
	}
	slices.SortFunc(out, func(a, b TrusteeInfo) int { return cmp.Compare(a.Seniority, b.Seniority) })
	return out
}

// trusteePeers lists the connected peers that are trustees of the set the node
// trusts, in random order so that requests spread over them.
func (n *Node) trusteePeers() []peer.ID {
	n.mu.Lock()
	set := n.fol.Set()
	n.mu.Unlock()
	var ids []peer.ID
	connected := map[peer.ID]bool{}
	for _, p := range n.net.Peers() {
		connected[p.ID] = true
	}
	for _, t := range set {
		id, err := p2p.PeerID(t.Key)
		if err == nil && connected[id] {
			ids = append(ids, id)
		}
	}
	rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	return ids
}

// sigCacheSize is how many verified signatures the node remembers: those of the
// certificates the gossip validator checked, until their blocks are applied.
const sigCacheSize = 1 << 12

// validateBlock is the blocks topic's validator. The node relays only what it
// verified: a block whose certificate a quorum of the trustee set it trusts signed
// (Follower.VerifyCert) is accepted; a forged one is rejected, which penalizes the
// peer that sent it; one at or below the tip, or too far ahead to check yet, is
// ignored: neither relayed nor taken as a sync target.
func (n *Node) validateBlock(_ context.Context, from peer.ID, data []byte) (any, p2p.ValidationResult) {
	cb := new(wire.CertifiedBlock)
	if err := wire.Decode(data, cb, p2p.BlockTopicLimit); err != nil {
		return nil, p2p.Reject
	}
	if err := cb.ValidateBasic(); err != nil {
		return nil, p2p.Reject
	}
	n.mu.Lock()
	fol := *n.fol
	n.mu.Unlock()
	err := fol.VerifyCert(&Link{Block: &cb.Block, Cert: &cb.Cert, Trustees: cb.Trustees})
	switch {
	case err == nil:
		return cb, p2p.Accept
	case errors.Is(err, ErrStale), errors.Is(err, ErrUnverifiable), errors.Is(err, ErrNotNext):
		return nil, p2p.Ignore
	default:
		n.log.Warn("gossiped block rejected", "from", from.String(), "height", cb.Block.Header.Epoch, "err", err)
		return nil, p2p.Reject
	}
}

func (n *Node) onBlock(ctx context.Context, msg p2p.Message) {
	cb, ok := msg.Value.(*wire.CertifiedBlock)
	if !ok {
		return
	}
	select {
	case n.gossip <- gossipBlock{cb: cb, from: msg.From, recv: time.Since(n.base)}:
	case <-ctx.Done():
	}
}

// syncLoop owns the follower's progress: it takes gossiped blocks at the tip and,
// when behind, fetches the missing ones from trustees in runs.
func (n *Node) syncLoop(ctx context.Context) {
	t := time.NewTicker(n.cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case gb := <-n.gossip:
			n.onGossip(ctx, gb)
		case <-t.C:
			n.catchUp(ctx)
			n.refreshBalance(ctx)
		case <-n.kick:
			n.catchUp(ctx)
		}
	}
}

// refreshBalance proves the wallet's balance again, in the background, when the
// ledger moved past the last proof or none was made yet, so the status always shows a
// balance read from the chain.
func (n *Node) refreshBalance(ctx context.Context) {
	if n.me == (keys.Address{}) || !n.proving.CompareAndSwap(false, true) {
		return
	}
	w := n.wallet.snapshot()
	if w.balanceAt != 0 && w.ledger == n.provenLedger.Load() {
		n.proving.Store(false)
		return
	}
	n.bg.Go(func() {
		defer n.proving.Store(false)
		if _, err := n.Balance(ctx); err != nil {
			n.log.Debug("prove balance", "err", err)
			return
		}
		n.provenLedger.Store(w.ledger)
	})
}

// onGossip takes a block the validator accepted: the next one is applied; one further
// ahead, verified against the trusted set again (the signatures come from the cache),
// raises the sync target and starts a catch-up. Only a verified certificate moves the
// target, so a header claiming any height cannot leave the node "not synced".
func (n *Node) onGossip(ctx context.Context, gb gossipBlock) {
	h := gb.cb.Block.Header.Epoch
	link := Link{Block: &gb.cb.Block, Cert: &gb.cb.Cert, Trustees: gb.cb.Trustees}
	n.mu.Lock()
	fol := *n.fol
	n.mu.Unlock()
	switch {
	case h <= fol.Height():
		return
	case h == fol.Height()+1:
		if _, err := n.apply([]Link{link}, gb.recv); err != nil {
			n.refused(gb.from, err)
			return
		}
		n.raiseTarget(h)
		return
	}
	if err := fol.VerifyCert(&link); err != nil {
		if errors.Is(err, ErrUnverifiable) {
			n.log.Debug("block not verifiable yet", "height", h, "err", err)
			return
		}
		n.refused(gb.from, err)
		return
	}
	n.raiseTarget(h)
	n.catchUp(ctx)
}

// raiseTarget raises the sync target to h, a height the node knows the chain reached.
func (n *Node) raiseTarget(h uint64) {
	n.mu.Lock()
	raised := h > n.target
	n.target = max(n.target, h)
	n.mu.Unlock()
	if raised {
		n.publishStatus("")
	}
}

// runLength is how many verified blocks a catch-up stores in one transaction.
const runLength = 64

// catchUp asks trustees for their height and fetches what the node lacks.
func (n *Node) catchUp(ctx context.Context) {
	ids := n.trusteePeers()
	if len(ids) == 0 {
		n.publishStatus("no trustee connected yet")
		return
	}
	n.mu.Lock()
	setSize, height := len(n.fol.Set()), n.fol.Height()
	n.mu.Unlock()
	claims := n.askHeights(ctx, ids, setSize)
	n.raiseTarget(vouchedHeight(claims, setSize))
	// Fetching up to the highest claim costs little when it is a lie: every block is
	// verified as it arrives, and the first that does not come ends the run.
	if len(claims) > 0 && slices.Max(claims) > height {
		n.fetchRun(ctx, ids, height+1, slices.Max(claims))
	}
	n.publishStatus("")
}

// askHeights asks some of the trustees ids, at once, for their certified height: enough
// of them that the answers can outvote the faulty ones a set of setSize tolerates.
func (n *Node) askHeights(ctx context.Context, ids []peer.ID, setSize int) []uint64 {
	ask := ids[:min(len(ids), max(3, (setSize-1)/3+2))]
	heights := make([]uint64, len(ask))
	answered := make([]bool, len(ask))
	var wg sync.WaitGroup
	for i, id := range ask {
		wg.Go(func() {
			s, err := n.rem.clock(ctx, id)
			if err != nil {
				n.log.Debug("clock", "trustee", id.String(), "err", err)
				return
			}
			heights[i], answered[i] = s.Height, true
		})
	}
	wg.Wait()
	var out []uint64
	for i, ok := range answered {
		if ok {
			out = append(out, heights[i])
		}
	}
	return out
}

// vouchedHeight is the highest height that at least f+1 of the claims reach, f being
// how many faulty trustees a set of setSize tolerates: at least one honest trustee
// has certified it. 0 when fewer than f+1 answered.
func vouchedHeight(claims []uint64, setSize int) uint64 {
	f := max(setSize-1, 0) / 3
	if len(claims) <= f {
		return 0
	}
	sorted := slices.Clone(claims)
	slices.SortFunc(sorted, func(a, b uint64) int { return cmp.Compare(b, a) })
	return sorted[f]
}

// fetched is a block as the sync protocol brought it, not verified yet.
type fetched struct {
	cb   *wire.CertifiedBlock
	from peer.ID
	recv time.Duration
}

// fetchRun fetches the blocks from..to from trustees and verifies each as it arrives:
// the fetcher runs at most one block ahead of the verifier (one block waiting, one
// being fetched), so a trustee that sends junk costs a couple of blocks of memory,
// never a run. Verified blocks are stored runLength at a time; the first block that
// does not come, or does not verify, ends the run.
func (n *Node) fetchRun(ctx context.Context, ids []peer.ID, from, to uint64) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	arrived := make(chan fetched, 1)
	go func() {
		defer close(arrived)
		for h := from; h <= to; h++ {
			cb, id, err := n.fetch(ctx, ids, h)
			if err != nil {
				n.log.Debug("fetch block", "height", h, "err", err)
				return
			}
			select {
			case arrived <- fetched{cb: cb, from: id, recv: time.Since(n.base)}:
			case <-ctx.Done():
				return
			}
		}
	}()
	n.mu.Lock()
	next := *n.fol
	n.mu.Unlock()
	var (
		run  []Link
		last fetched
	)
	save := func(recv time.Duration) bool {
		if len(run) == 0 {
			return true
		}
		if err := n.commit(next, run, recv); err != nil {
			n.log.Warn("store blocks", "err", err)
			n.publishStatus(err.Error())
			return false
		}
		run = nil
		return true
	}
	for f := range arrived {
		link := Link{Block: &f.cb.Block, Cert: &f.cb.Cert, Trustees: f.cb.Trustees}
		if _, err := next.Verify([]Link{link}); err != nil {
			n.refused(f.from, err)
			if errors.Is(err, ErrNotNext) {
				// Asked for the block after a verified tip, a trustee has no excuse
				// for one that does not extend it.
				n.net.Penalize(f.from, penaltyBadBlock, "sent a block that does not extend the verified tip")
			}
			break
		}
		run, last = append(run, link), f
		if len(run) == runLength && !save(-1) {
			break
		}
	}
	cancel()
	for range arrived {
		// Wait for the fetcher to stop; what it still brings is dropped.
	}
	// Only the block at the network's tip, fetched now, times the clock: the height
	// the trustees vouch for or, without one, the highest they claim.
	tipAt := to
	n.mu.Lock()
	if t := n.target; t > 0 && t < to {
		tipAt = t
	}
	n.mu.Unlock()
	recv := time.Duration(-1)
	if len(run) > 0 && run[len(run)-1].Block.Header.Epoch >= tipAt {
		recv = last.recv
	}
	save(recv)
}

func (n *Node) fetch(ctx context.Context, ids []peer.ID, h uint64) (*wire.CertifiedBlock, peer.ID, error) {
	var last error
	for _, id := range ids {
		cb, err := n.rem.block(ctx, id, h)
		if err == nil {
			return cb, id, nil
		}
		last = err
	}
	return nil, "", last
}

// penaltyBadBlock is what sending a forged certified block costs a peer: two get it
// banned.
const penaltyBadBlock = 50

// refused logs why a block was not accepted and penalizes the peer that sent it when
// the block was invalid rather than merely not next.
func (n *Node) refused(from peer.ID, err error) {
	n.log.Warn("block refused", "from", from.String(), "err", err)
	if from != "" && !errors.Is(err, ErrNotNext) {
		n.net.Penalize(from, penaltyBadBlock, "invalid certified block")
	}
	n.events.publish(Event{Kind: EventRefused, Err: err})
	n.publishStatus(err.Error())
}

// apply verifies links, stores those that extend the chain with the wallet's ledger
// entries, and tells the app. recv ≥ 0 is the receipt time of the last link when it is
// the network's newest block, which calibrates the DCC and starts the next epoch's
// mining.
func (n *Node) apply(links []Link, recv time.Duration) (int, error) {
	n.mu.Lock()
	next := *n.fol
	n.mu.Unlock()
	accepted, verr := next.Verify(links)
	if accepted == 0 {
		return 0, verr
	}
	if accepted < len(links) {
		recv = -1
	}
	if err := n.commit(next, links[:accepted], recv); err != nil {
		return 0, err
	}
	return accepted, verr
}

// commit stores links, which next verified from the node's tip, with the wallet's
// ledger entries, moves the tip to next and tells the app; recv is as for apply.
func (n *Node) commit(next Follower, links []Link, recv time.Duration) error {
	n.mu.Lock()
	parentSet := n.fol.Set()
	n.mu.Unlock()
	accepted := len(links)
	fs := make([]store.Followed, accepted)
	var entries [][]Entry
	for i, l := range links {
		set := parentSet
		if l.Trustees != nil {
			set = l.Trustees
		}
		fs[i] = store.Followed{Header: l.Block.Header, Cert: l.Cert, Set: l.Trustees}
		if n.me != (keys.Address{}) {
			es, err := Entries(&n.params, l.Block, parentSet, n.me, n.book)
			if err != nil {
				n.book.discard()
				return fmt.Errorf("ledger of block %d: %w", l.Block.Header.Epoch, err)
			}
			for j := range es {
				fs[i].Earnings = append(fs[i].Earnings, EncodeEntry(&es[j]))
			}
			entries = append(entries, es)
		}
		parentSet = set
	}
	if n.book != nil {
		fs[accepted-1].Deals = n.book.writes()
	}
	if err := n.store.Follow(fs); err != nil {
		if n.book != nil {
			n.book.discard()
		}
		return err
	}
	if n.book != nil {
		n.book.commit()
	}
	n.mu.Lock()
	*n.fol = next
	n.target = max(n.target, next.Height()) // a verified block: the chain reached it
	n.cert = links[accepted-1].Cert
	n.certSigned = next.TipSigners()
	for _, l := range links {
		n.noteDraw(l.Block)
	}
	n.mu.Unlock()
	for _, es := range entries {
		n.wallet.add(es)
	}
	last := links[accepted-1].Block.Header
	for _, es := range entries {
		for _, e := range es {
			switch e.Source {
			case SourceWin:
				n.events.publish(Event{Kind: EventWon, Height: e.Height, Amount: e.Amount, Balance: n.wallet.snapshot().ledger})
			case SourcePayroll:
				n.events.publish(Event{Kind: EventPayroll, Height: e.Height, Amount: e.Amount, Balance: n.wallet.snapshot().ledger})
			case SourceReceived:
				n.events.publish(Event{Kind: EventPayment, Height: e.Height, Amount: e.Amount, Balance: n.wallet.snapshot().ledger})
			}
		}
		if len(es) > 0 {
			n.events.publish(Event{Kind: EventBalance, Height: es[0].Height, Balance: n.wallet.snapshot().ledger})
		}
	}
	n.events.publish(Event{Kind: EventBlock, Height: last.Epoch})
	if n.mkt != nil {
		n.mkt.poke()
	}
	if recv >= 0 {
		n.observe(last, recv)
	}
	n.publishStatus("")
	return nil
}

// observe calibrates the DCC with the network's newest block and hands it to the miner.
func (n *Node) observe(h chain.Header, recv time.Duration) {
	n.mu.Lock()
	if err := n.cal.Observe(h.Epoch, h.Time, recv); err != nil {
		n.cal.Reset()
		if err := n.cal.Observe(h.Epoch, h.Time, recv); err != nil {
			n.mu.Unlock()
			n.log.Warn("calibrate", "height", h.Epoch, "err", err)
			return
		}
	}
	n.mu.Unlock()
	select {
	case <-n.tips:
	default:
	}
	n.tips <- h
}

// mineLoop mines one ticket per epoch: for each new tip it mines until the DCC's
// mining window closes and submits the ticket to several trustees.
func (n *Node) mineLoop(ctx context.Context) {
	for {
		var h chain.Header
		select {
		case <-ctx.Done():
			return
		case h = <-n.tips:
		}
		n.mu.Lock()
		w, err := n.cal.Window()
		n.mu.Unlock()
		if err != nil || w.Epoch() != h.Epoch+1 {
			continue
		}
		until := n.base.Add(w.MineUntil())
		if !time.Now().Before(until) {
			continue
		}
		mctx, cancel := context.WithDeadline(ctx, until)
		lottery := luck.LotteryAfter(&h, n.params.KStar)
		tk, err := n.miner.MineTicket(mctx, n.cfg.Wallet, lottery, n.me)
		cancel()
		if err != nil {
			n.log.Debug("no ticket", "epoch", lottery.Epoch, "err", err)
			continue
		}
		n.submitTicket(ctx, tk.KeyBlock)
	}
}

// submitFanout is how many trustees a ticket or transaction goes to directly; they
// relay it to the rest.
const submitFanout = 3

func (n *Node) submitTicket(ctx context.Context, kb *chain.KeyBlock) {
	ok, _ := n.submit(ctx, &wire.SubmitRequest{KeyBlock: kb})
	if ok == 0 {
		n.log.Info("ticket not taken", "epoch", kb.Epoch)
		return
	}
	n.wallet.ticket()
	n.mu.Lock()
	n.ticketedAt = kb.Epoch
	n.mu.Unlock()
	n.events.publish(Event{Kind: EventTicket, Height: kb.Epoch})
	n.log.Debug("ticket submitted", "epoch", kb.Epoch, "trustees", ok)
}

// submit sends req to up to submitFanout trustees at once and returns how many took it,
// and when none did, the last refusal.
func (n *Node) submit(ctx context.Context, req *wire.SubmitRequest) (int, error) {
	ids := n.trusteePeers()
	ids = ids[:min(len(ids), submitFanout)]
	var wg sync.WaitGroup
	var took atomic.Int32
	var lastErr atomic.Value
	for _, id := range ids {
		wg.Go(func() {
			if _, err := n.rem.submit(ctx, id, req); err != nil {
				lastErr.Store(err.Error())
				return
			}
			took.Add(1)
		})
	}
	wg.Wait()
	if took.Load() == 0 {
		if e, ok := lastErr.Load().(string); ok {
			n.log.Debug("submit refused", "err", e)
			return 0, errors.New(e)
		}
		return 0, ErrNoTrustees
	}
	return int(took.Load()), nil
}

// Height is the newest verified height.
func (n *Node) Height() uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.fol.Height()
}

// Target is the highest height the node knows the chain has reached: from a
// certificate it verified, or claimed by enough trustees that one of them is honest.
func (n *Node) Target() uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return max(n.target, n.fol.Height())
}

// Kick asks the node to check the trustees' height now.
func (n *Node) Kick() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}
