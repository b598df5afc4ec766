package devnet

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/network"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/trustee"
)

// Options shape a devnet. Zero fields take the demo defaults.
type Options struct {
	ChainID string
	Name    string
	// Phi, Delta and Cycle are the genesis timing (defaults 1 s, 0.5 s, 2 s). Tests
	// use far shorter ones.
	Phi, Delta, Cycle time.Duration
	// Users is the number of funded demo users (default 4), each with Balance.
	Users   int
	Balance uint64
	// Accounts are funded besides the demo users, with no key files: load tests bring
	// their own keys.
	Accounts []chain.GenesisAccount
	// Metrics gives every trustee a metrics server on a free loopback port.
	Metrics bool
	// Time is the genesis time (default now).
	Time time.Time
	// Hosts, when set, holds one IPv4 address per trustee: trustee i listens on
	// Hosts[i] at HostPort (and serves metrics there at HostMetricsPort, with Metrics)
	// instead of on a free loopback port, as when each trustee runs in a network
	// namespace of its own.
	Hosts []string
}

// The ports of a trustee given a host address of its own (Options.Hosts).
const (
	HostPort        = 4001
	HostMetricsPort = 9100
)

// Demo defaults.
const (
	DefaultChainID = "daoli-devnet"
	DefaultPhi     = time.Second
	DefaultDelta   = 500 * time.Millisecond
	DefaultCycle   = 2 * time.Second
	DefaultUsers   = 4
	DefaultBalance = 1_000_000_000
	DefaultBond    = 5000
	DefaultReward  = 1000
)

func (o Options) withDefaults() Options {
	if o.ChainID == "" {
		o.ChainID = DefaultChainID
	}
	if o.Name == "" {
		o.Name = "Local demo network"
	}
	if o.Phi == 0 {
		o.Phi = DefaultPhi
	}
	if o.Delta == 0 {
		o.Delta = DefaultDelta
	}
	if o.Cycle == 0 {
		o.Cycle = max(DefaultCycle, o.Phi+o.Delta)
	}
	if o.Users == 0 {
		o.Users = DefaultUsers
	}
	if o.Balance == 0 {
		o.Balance = DefaultBalance
	}
	if o.Time.IsZero() {
		o.Time = time.Now().UTC().Truncate(time.Millisecond)
	}
	return o
}

// File names inside a devnet directory.
const (
	NetworkFile = "network.json"
	ConfigFile  = "config.json"
	KeyFile     = "key.json"
)

// TrusteeDir is the directory of trustee i.
func TrusteeDir(dir string, i int) string { return filepath.Join(dir, fmt.Sprintf("trustee-%d", i)) }

// UserKeyFile is the key file of demo user i.
func UserKeyFile(dir string, i int) string {
	return filepath.Join(dir, "users", fmt.Sprintf("user-%d.json", i))
}

// easyTarget admits about one attempt in 16, so a laptop mines a ticket at once.
func easyTarget() chain.Hash { return chain.TargetOneIn(16) }

// Genesis makes n trustee keys and the demo users, a genesis listing the trustees at
// free loopback ports, and writes the devnet directory dir. It refuses a directory
// that already holds a network file.
func Genesis(dir string, n int, opts Options) (*network.File, error) {
	opts = opts.withDefaults()
	if n < 1 || n > chain.MaxTrusteesCap {
		return nil, fmt.Errorf("%w: %d trustees", ErrBadOptions, n)
	}
	if _, err := os.Stat(filepath.Join(dir, NetworkFile)); err == nil {
		return nil, fmt.Errorf("devnet %s: %w", dir, trustee.ErrExists)
	}
	if opts.Hosts != nil && len(opts.Hosts) != n {
		return nil, fmt.Errorf("%w: %d hosts for %d trustees", ErrBadOptions, len(opts.Hosts), n)
	}
	listen := make([]string, n)
	metrics := make([]string, n)
	if opts.Hosts != nil {
		for i, h := range opts.Hosts {
			if ip := net.ParseIP(h); ip == nil || ip.To4() == nil {
				return nil, fmt.Errorf("%w: host %q is not an IPv4 address", ErrBadOptions, h)
			}
			listen[i] = fmt.Sprintf("/ip4/%s/tcp/%d", h, HostPort)
			metrics[i] = fmt.Sprintf("%s:%d", h, HostMetricsPort)
		}
	} else {
		ports, err := freePorts(2 * n)
		if err != nil {
			return nil, err
		}
		for i := range n {
			listen[i] = fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", ports[i])
			metrics[i] = fmt.Sprintf("127.0.0.1:%d", ports[n+i])
		}
	}
	g := &chain.Genesis{
		ChainID: opts.ChainID,
		Time:    opts.Time,
		Params: chain.Params{
			CycleMs: ms(opts.Cycle), PhiMs: ms(opts.Phi), DeltaMs: ms(opts.Delta),
			KStar: 4, Payroll: 3, Reward: DefaultReward, MinBond: DefaultBond,
			MembershipInterval: 10, MaxTrustees: uint32(max(n, 7)), UnbondDelay: 3,
			InitialTarget: easyTarget(),
		},
	}
	tkeys := make([]*keys.Key, n)
	var err error
	for i := range n {
		if tkeys[i], err = keys.Generate(rand.Reader); err != nil {
			return nil, err
		}
		id, err := p2p.PeerID(tkeys[i].Public())
		if err != nil {
			return nil, err
		}
		g.Trustees = append(g.Trustees, chain.GenesisTrustee{
			Key: tkeys[i].Public(), Payout: tkeys[i].Address(), Bond: DefaultBond,
			Addrs: []string{fmt.Sprintf("%s/p2p/%s", listen[i], id)},
		})
	}
	for i := range opts.Users {
		k, err := keys.Generate(rand.Reader)
		if err != nil {
			return nil, err
		}
		if err := keys.SaveKeyFile(UserKeyFile(dir, i), k); err != nil {
			return nil, err
		}
		g.Accounts = append(g.Accounts, chain.GenesisAccount{Address: k.Address(), Balance: opts.Balance})
	}
	g.Accounts = append(g.Accounts, opts.Accounts...)
	nf := &network.File{Name: opts.Name, ChainID: opts.ChainID, Genesis: g}
	for _, t := range g.Trustees {
		nf.Bootstrap = append(nf.Bootstrap, t.Addrs...)
	}
	if err := nf.Validate(); err != nil {
		return nil, err
	}
	for i := range n {
		d := TrusteeDir(dir, i)
		if err := keys.SaveKeyFile(filepath.Join(d, KeyFile), tkeys[i]); err != nil {
			return nil, err
		}
		cfg := &trustee.Config{
			KeyFile: KeyFile, DataDir: "data", NetworkFile: filepath.Join("..", NetworkFile),
			Listen: []string{listen[i]},
		}
		if opts.Metrics {
			cfg.Metrics = metrics[i]
		}
		if err := trustee.SaveConfig(filepath.Join(d, ConfigFile), cfg); err != nil {
			return nil, err
		}
	}
	if err := network.Save(filepath.Join(dir, NetworkFile), nf); err != nil {
		return nil, err
	}
	return nf, nil
}

func ms(d time.Duration) uint64 { return uint64(d / time.Millisecond) }

// freePorts finds k distinct free TCP ports on loopback. All listeners stay open until
// every port is chosen, so no port is handed out twice.
func freePorts(k int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, 0, k)
	for range k {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Configs returns the paths of the trustee configurations in dir, in trustee order.
func Configs(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "trustee-*", ConfigFile))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoTrustees, dir)
	}
	index := func(p string) int {
		var i int
		fmt.Sscanf(filepath.Base(filepath.Dir(p)), "trustee-%d", &i)
		return i
	}
	sort.Slice(paths, func(a, b int) bool { return index(paths[a]) < index(paths[b]) })
	return paths, nil
}

// Devnet is a demo network running in this process.
type Devnet struct {
	Nodes []*trustee.Node
}

// Start runs every trustee of the devnet directory dir in this process until ctx ends
// or Stop.
func Start(ctx context.Context, dir string, opts trustee.NodeOptions) (*Devnet, error) {
	paths, err := Configs(dir)
	if err != nil {
		return nil, err
	}
	opts.NoDHT = true  // every trustee is a bootstrap peer of every other
	opts.NoPing = true // and the round trips between them, in one process, interest no one
	d := &Devnet{}
	for _, p := range paths {
		cfg, err := trustee.LoadConfig(p)
		if err != nil {
			d.Stop()
			return nil, err
		}
		n, err := trustee.Start(ctx, cfg, opts)
		if err != nil {
			d.Stop()
			return nil, fmt.Errorf("start %s: %w", p, err)
		}
		d.Nodes = append(d.Nodes, n)
	}
	return d, nil
}

// Stop stops every trustee and waits for them; it returns the first error.
func (d *Devnet) Stop() error {
	var errs []error
	for _, n := range d.Nodes {
		errs = append(errs, n.Stop())
	}
	return errors.Join(errs...)
}

// Ensure starts the devnet in dir, first making one of n trustees there if dir holds
// none: what the desktop app runs when no network is configured.
func Ensure(ctx context.Context, dir string, n int, opts Options, nodeOpts trustee.NodeOptions) (*Devnet, error) {
	if _, err := os.Stat(filepath.Join(dir, NetworkFile)); errors.Is(err, os.ErrNotExist) {
		if _, err := Genesis(dir, n, opts); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	return Start(ctx, dir, nodeOpts)
}
