package light

import (
	"context"
	cryptorand "crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/dcc"
	"github.com/daolicloud/daoli/node/internal/skew"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/luck"
	"github.com/daolicloud/daoli/node/network"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/store"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
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
	boot   []peer.AddrInfo // the network file's bootstrap peers: the trustees' addresses
	links  linkState
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
	book         *DealBook    // nil without a wallet
	mkt          *agent       // nil without a wallet or a market configuration
	bat          *batchRunner // the buyer's batches; nil when mkt is
	txMu         sync.Mutex   // one transaction signed and sent at a time, so nonces follow each other
	cancel       context.CancelFunc
	done         chan struct{}
	stopErr      error
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
	// private cycle over the same CycleBlocks blocks, received live at a plausible
	// rate (dcc.Calibrator.Cycles; fewer than two: both the global cycle, the clock
	// counted as exact), so that their ratio is this computer's clock rate.
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
	n := &Node{cfg: cfg, log: log, store: st, params: gst.Params(), base: skew.Now(),
		gossip: make(chan gossipBlock, 16), tips: make(chan chain.Header, 1), kick: make(chan struct{}, 1), done: make(chan struct{}),
		links: linkState{admitted: map[peer.ID]bool{}, refused: map[peer.ID]refusal{}, asking: map[peer.ID]bool{}}}
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
	if n.boot, err = p2p.ParseAddrInfos(cfg.Network.BootstrapAddrs()); err != nil {
		return fail(err)
	}
	box := p2p.NewPenaltyBox(p2p.PenaltyConfig{})
	h := cfg.Host
	relays := cfg.Relays
	if h == nil {
		hostKey, err := keys.Generate(cryptorand.Reader)
		if err != nil {
			return fail(err)
		}
		relays = new(Relays)
		h, err = p2p.NewHost(p2p.HostConfig{Key: hostKey, ListenAddrs: cfg.Listen, Gater: box,
			RelayClient: true, RelaySource: relays.Source, UserAgent: "daoli"})
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
	// The network dials only the node's first trustees (the DHT's seeds); linkLoop
	// keeps its trustees from then on, and no reconnect loop dials them all.
	n.net, err = p2p.New(h, p2p.Config{ChainID: g.ChainID, Logger: log, Penalties: box, DHT: dht,
		Bootstrap: firstTrustees(h.ID(), n.boot, cfg.Trustees), MDNS: cfg.MDNS, PingInterval: ping, ReconnectInterval: -1})
	if err != nil {
		h.Close()
		return fail(err)
	}
	n.rem = remote{req: n.net, protos: n.net.Protocols()}
	if relays != nil {
		relays.n.Store(n)
	}
	// The trustees' addresses, so that a request to one not connected dials it.
	for _, b := range n.boot {
		h.Peerstore().AddAddrs(b.ID, b.Addrs, peerstore.PermanentAddrTTL)
	}
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
		if n.bat, err = loadBatches(n); err != nil {
			return fail(err)
		}
	}
	n.publishStatus("")
	ctx, n.cancel = context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { n.linkLoop(ctx) })
	if cfg.DHT {
		wg.Go(func() { _ = n.net.Bootstrap(ctx) })
	}
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
		wg.Go(func() { n.bat.loop(ctx) })
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
	gc, pc, blocks := n.cal.Cycles()
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
