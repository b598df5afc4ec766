package light

import (
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/gpu"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/network"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/libp2p/go-libp2p/core/host"
)

// Config sets up a light node. Start takes every option as it is written: no zero
// value stands for a default. DefaultConfig gives a configuration with each option at
// its default, and Validate names the first option that is wrong.
type Config struct {
	Network *network.File // the chain to follow and the trustees to ask
	DataDir string
	// Wallet is the unlocked key whose balance, earnings and tickets the node keeps;
	// nil follows the chain without a wallet and does not mine.
	Wallet *keys.Key
	// Mine mines a ticket each epoch with Wallet. With a Gate, the miner's workers
	// hold the gate's throttles: they run on the cores and at the duty the governor
	// allows, and not at all while it pauses.
	Mine bool
	Gate *capacity.Gate
	// MinerWorkers is how many goroutines hash, at least one (default: one per core
	// the Go runtime uses), of which the gate lets work as many as its decision
	// allows.
	MinerWorkers int
	// Listen addresses of the node's libp2p host (default p2p.DefaultListenAddrs: TCP
	// and QUIC on every interface, ports chosen by the system). Unused with Host.
	Listen []string
	// Poll is how often the node asks trustees for their height when gossip is quiet
	// (default DefaultPoll: one genesis cycle).
	Poll   time.Duration
	Logger *slog.Logger // default: discards
	// MDNS finds trustees on the LAN (default off).
	MDNS bool
	// DHT puts the node on the DHT as a client (default on); a local demo network has
	// no use for it.
	DHT bool
	// Ping measures the round trip to peers, which the Network screen shows (default
	// on); a demo network's own miners have no screen.
	Ping bool
	// Market, with a wallet, makes the node a buyer and (while providing) a provider
	// in the compute market; nil takes no part in it.
	Market *MarketConfig
	// Trustees is how many trustees the node keeps connections with (default
	// p2p.LightTrustees), at least one; LightPeers is how many other light nodes it
	// dials to relay blocks with (default p2p.LightPeers). See links.go.
	Trustees, LightPeers int
	// Relays, when set, is bound to the node: give its Source to the Host's relay
	// client (p2p.HostConfig.RelaySource). Unused without Host, whose relays the
	// node names itself.
	Relays *Relays
	// Host, when set, is the libp2p host the node runs on instead of one of its own
	// (Listen is then unused; tests pass mocknet hosts). The node closes it on Stop.
	Host host.Host
}

// minPoll bounds DefaultPoll below, for test chains of very short cycles.
const minPoll = 50 * time.Millisecond

// DefaultPoll is how often a node of a chain of parameters p asks trustees for their
// height: gossip brings each block as it is certified, and asking trustees is the
// fallback for a node that missed some, so once a genesis cycle is enough.
func DefaultPoll(p chain.Params) time.Duration {
	return max(time.Duration(p.CycleMs)*time.Millisecond, minPoll)
}

// DefaultConfig is the configuration of a light node following nf with its data in
// dataDir, every other option at its default: no wallet, not mining, no market, on
// the DHT, pinging its peers.
func DefaultConfig(nf *network.File, dataDir string) Config {
	c := Config{
		Network:      nf,
		DataDir:      dataDir,
		MinerWorkers: runtime.GOMAXPROCS(0),
		Listen:       slices.Clone(p2p.DefaultListenAddrs),
		Poll:         minPoll,
		Logger:       slog.New(slog.DiscardHandler),
		DHT:          true,
		Ping:         true,
		Trustees:     p2p.LightTrustees,
		LightPeers:   p2p.LightPeers,
	}
	if nf != nil && nf.Genesis != nil {
		c.Poll = DefaultPoll(nf.Genesis.Params)
	}
	return c
}

// Validate reports the first option of c that Start cannot run with, as an error that
// is ErrConfig and the option's own sentinel.
func (c *Config) Validate() error {
	bad := func(sentinel error, format string, args ...any) error {
		return fmt.Errorf("%w: %w: "+format, append([]any{ErrConfig, sentinel}, args...)...)
	}
	switch {
	case c.Network == nil || c.Network.Genesis == nil:
		return bad(ErrNoNetwork, "no network")
	case c.DataDir == "":
		return bad(ErrNoDataDir, "no data directory")
	case c.MinerWorkers < 1:
		return bad(ErrMinerWorkers, "%d miner workers", c.MinerWorkers)
	case c.Host == nil && len(c.Listen) == 0:
		return bad(ErrNoListen, "no listen address and no host")
	case c.Poll <= 0:
		return bad(ErrPoll, "poll interval %v", c.Poll)
	case c.Logger == nil:
		return bad(ErrNoLogger, "no logger")
	case c.Trustees < 1:
		return bad(ErrLinks, "%d trustees", c.Trustees)
	case c.LightPeers < 0:
		return bad(ErrLinks, "%d light peers", c.LightPeers)
	}
	if c.Market != nil {
		if err := c.Market.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Recheck is how often a buyer re-executes a bought job's result itself before
// accepting it. The zero Recheck is no policy at all, which Validate refuses: a
// market configuration says whether its node re-checks.
type Recheck struct {
	p   float64 // the probability of re-checking a result
	set bool
}

// RecheckNever accepts every result without re-executing it.
func RecheckNever() Recheck { return Recheck{p: 0, set: true} }

// RecheckAlways re-executes every result.
func RecheckAlways() Recheck { return Recheck{p: 1, set: true} }

// RecheckWith re-executes each result with probability p: 0 is RecheckNever, 1 is
// RecheckAlways. A p outside [0, 1] makes a policy Validate refuses.
func RecheckWith(p float64) Recheck { return Recheck{p: p, set: true} }

// DefaultRecheck is the buyer's default policy: with a deposit of 8 × the price, a
// cheating provider loses money in expectation when one result in ten is re-checked.
func DefaultRecheck() Recheck { return RecheckWith(0.1) }

// Probability is the chance that a result is re-executed.
func (r Recheck) Probability() float64 { return r.p }

// Never reports whether no result is re-executed.
func (r Recheck) Never() bool { return r.p == 0 }

// String is the policy in words.
func (r Recheck) String() string {
	switch {
	case !r.set:
		return "unset"
	case r.p == 0:
		return "never"
	case r.p == 1:
		return "always"
	}
	return "with probability " + strconv.FormatFloat(r.p, 'g', -1, 64)
}

// Validate reports whether r is a policy: set, with a probability in [0, 1].
func (r Recheck) Validate() error {
	switch {
	case !r.set:
		return fmt.Errorf("%w: %w: no re-check policy", ErrConfig, ErrRecheck)
	case math.IsNaN(r.p) || r.p < 0 || r.p > 1:
		return fmt.Errorf("%w: %w: probability %v outside [0, 1]", ErrConfig, ErrRecheck, r.p)
	}
	return nil
}

// DefaultMarketConfig is the market part of a node whose machine is spec and whose
// data is in dataDir: one deal at a time at a price of 1 per core-second, jobs run in
// this process, compiled modules kept in the data directory, DefaultRecheck.
func DefaultMarketConfig(dataDir string, spec chain.ProviderSpec) MarketConfig {
	return MarketConfig{Spec: spec, Price: 1, Slots: 1, Recheck: DefaultRecheck(),
		CacheDir: DefaultCacheDir(dataDir)}
}

// DefaultCacheDir is where a node whose data is in dataDir keeps compiled modules.
func DefaultCacheDir(dataDir string) string { return filepath.Join(dataDir, "wasm-cache") }

// Validate reports the first option of c that the market cannot run with, as an
// error that is ErrConfig and the option's own sentinel.
func (c *MarketConfig) Validate() error {
	if err := checkTerms(c.Price, c.Slots); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	switch {
	case c.CacheDir == "":
		return fmt.Errorf("%w: %w: no module cache directory", ErrConfig, ErrNoCacheDir)
	case c.Fault > FaultSilent:
		return fmt.Errorf("%w: %w: provider fault %d", ErrConfig, ErrFault, c.Fault)
	}
	for i, e := range c.Executors {
		if e != chain.ExecutorWebGPU || slices.Contains(c.Executors[:i], e) {
			return fmt.Errorf("%w: %w: %q: besides %s a provider registers only %s, once", ErrConfig, ErrExecutor, e, chain.ExecutorWASI, chain.ExecutorWebGPU)
		}
		if c.GPU == nil {
			return fmt.Errorf("%w: %w: %s without a GPU runner to run its deals", ErrConfig, ErrExecutor, e)
		}
	}
	if c.GPULimits != (gpu.Limits{}) {
		if err := c.GPULimits.Validate(); err != nil {
			return fmt.Errorf("%w: GPU limits: %w", ErrConfig, err)
		}
	}
	return c.Recheck.Validate()
}
