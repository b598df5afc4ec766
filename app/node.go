package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/control"
	"github.com/daolicloud/daoli/node/devnet"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/light"
	"github.com/daolicloud/daoli/node/network"
	"github.com/daolicloud/daoli/node/trustee"
)

// DemoDir is where the embedded local demo network lives in the data directory.
const DemoDir = "demo-network"

// demoTrustees is the size of the embedded demo network.
const demoTrustees = 4

// demoTiming is the embedded network's epoch: five seconds, so that a new user sees
// blocks and earnings within seconds while four trustees, three miners and the app
// stay light on a laptop when idle. An epoch lasts Φ + Δ from the parent block (a
// trustee closes it then and commits the next block at once; docs/dcc.md), so Φ + Δ
// is the epoch, and the genesis cycle the same.
var demoTiming = devnet.Options{Phi: 4 * time.Second, Delta: time.Second, Cycle: 5 * time.Second}

// Network is the chain a node follows, and for the demo network the trustees this
// process runs.
type Network struct {
	File   *network.File
	Demo   bool
	Path   string
	devnet *devnet.Devnet
}

// Stop stops the demo trustees, if this process runs them.
func (n *Network) Stop() error {
	if n.devnet == nil {
		return nil
	}
	return n.devnet.Stop()
}

// openNetwork loads the network file at path, or, with none, starts the embedded local
// demo network of dataDir (making it on first use).
func openNetwork(ctx context.Context, path, dataDir string, log *slog.Logger) (*Network, error) {
	if path != "" {
		f, err := network.Load(path)
		if err != nil {
			return nil, err
		}
		return &Network{File: f, Path: path}, nil
	}
	dir := filepath.Join(dataDir, DemoDir)
	d, err := devnet.Ensure(ctx, dir, demoTrustees, demoTiming, trustee.NodeOptions{Logger: log.With("demo", "trustee")})
	if err != nil {
		return nil, fmt.Errorf("start the local demo network: %w", err)
	}
	nf := filepath.Join(dir, devnet.NetworkFile)
	f, err := network.Load(nf)
	if err != nil {
		d.Stop()
		return nil, err
	}
	return &Network{File: f, Demo: true, Path: nf, devnet: d}, nil
}

const nodeUsage = `Usage: daoli node [--data DIR] [--network FILE] [--mine=false] [--passphrase-file F]
Runs the light node without a window: follows the chain, mines when allowed, keeps the
wallet's ledger and serves the control API the other commands use. Without --network
it joins the network chosen in the app's Settings, and with none chosen it runs the
embedded local demo network too.
`

// nodeTestFlags, when set, registers flags of `daoli node` that only this package's
// tests have (a provider that cheats, in fault_test.go) and returns the check of their
// values after parsing. It is nil in the daoli binary, which has no such flag.
var nodeTestFlags func(fs *flag.FlagSet, mc *light.MarketConfig) func() error

func cmdNode(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("daoli node", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, nodeUsage); fs.PrintDefaults() }
	var c cliFlags
	c.register(fs, true)
	mine := fs.Bool("mine", true, "mine a ticket each epoch")
	listen := fs.String("listen", "", "libp2p listen address (default: all interfaces, a free port; loopback for the demo network)")
	verbose := fs.Bool("v", false, "debug logs")
	var mc light.MarketConfig
	fs.Uint64Var(&mc.Price, "price", DefaultProviderPrice, "what this node asks per second of a deal's time limit, while sharing, for this run (without it: the price daoli share price or the Share screen saved, else the default)")
	slots := fs.Uint("slots", 1, "deals this node runs at once while sharing, for this run (without it: the saved slots, else the default)")
	recheck := fs.Float64("recheck", light.DefaultRecheck().Probability(), "probability of re-executing a bought job's result before paying (0 checks none, 1 checks every one)")
	maxTime := fs.Duration("max-time", chain.MaxDealWallTimeMs*time.Millisecond, "the longest running-time cap of a deal this node takes while sharing, advertised with its registration")
	fs.StringVar(&mc.CacheDir, "wasm-cache", "", "directory of compiled job modules (default: in the data directory); nodes of one user may share one")
	var testFlags func() error
	if nodeTestFlags != nil {
		testFlags = nodeTestFlags(fs, &mc)
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage(err)
	}
	mc.Slots = uint32(min(*slots, chain.MaxSlots))
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if testFlags != nil {
		if err := testFlags(); err != nil {
			fmt.Fprintln(stderr, "daoli node:", err)
			return 2
		}
	}
	if *maxTime < time.Second || *maxTime > chain.MaxDealWallTimeMs*time.Millisecond || *maxTime%time.Millisecond != 0 {
		fmt.Fprintf(stderr, "daoli node: --max-time %v: give whole milliseconds from 1s to %v\n", *maxTime, chain.MaxDealWallTimeMs*time.Millisecond)
		return 2
	}
	mc.Spec.MaxWallTimeMs = uint64(*maxTime / time.Millisecond)
	if mc.Recheck = light.RecheckWith(*recheck); mc.Recheck.Validate() != nil {
		fmt.Fprintf(stderr, "daoli node: --recheck %v: want a probability from 0 to 1\n", *recheck)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "daoli node: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runNode(ctx, &c, *mine, *listen, &mc, given, log, stderr); err != nil {
		fmt.Fprintln(stderr, "daoli node:", err)
		return 1
	}
	return 0
}

// runNode runs the node until ctx ends. The price and slots saved by the Share screen
// or `daoli share price` apply but for those given on the command line (given).
func runNode(ctx context.Context, c *cliFlags, mine bool, listen string, mc *light.MarketConfig, given map[string]bool, log *slog.Logger, stderr io.Writer) error {
	dir, err := c.dataDir()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if _, err := control.Dial(dir); err == nil {
		return fmt.Errorf("%w (%s)", control.ErrRunning, dir)
	}
	wallet, err := openWallet(c, dir, stderr)
	if err != nil {
		return err
	}
	if err := applySavedPricing(dir, mc, given["price"], given["slots"]); err != nil {
		return err
	}
	if mc.CacheDir == "" { // --wasm-cache's default
		mc.CacheDir = nodeCacheDir(dir)
	}
	sess, err := StartSession(ctx, SessionConfig{DataDir: dir, NetworkFile: networkFileOf(dir, c.network), Wallet: wallet, Mine: mine, Listen: listen, Logger: log,
		Market: mc, Worker: selfWorker(mc.CacheDir),
		OnDecision: func(d capacity.Decision) { log.Info("sharing", "run", d.Run, "reason", d.Reason) }})
	if err != nil {
		return err
	}
	nw := sess.Network
	log.Info("node running", "network", nw.File.Name, "chain", nw.File.ChainID, "address", wallet.Address().String(), "control", sess.Control.Path())
	<-ctx.Done()
	log.Info("stopping")
	if err := sess.Stop(); err != nil {
		return err
	}
	log.Info("node stopped")
	return nil
}

// openWallet unlocks the data directory's wallet.
func openWallet(c *cliFlags, dir string, stderr io.Writer) (*keys.Key, error) {
	path := filepath.Join(dir, WalletFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no wallet in %s; make one with `daoli wallet new --data %s`", dir, dir)
	}
	pass, err := readPassphrase(c, stderr, false)
	if err != nil {
		return nil, err
	}
	k, err := keys.LoadKeystore(path, pass)
	if err != nil {
		return nil, fmt.Errorf("unlock the wallet: %w", err)
	}
	return k, nil
}

// selfWorker runs provider jobs in `daoli worker` subprocesses of this executable, at
// the lowest priority, kept between jobs for a while; nil (jobs in this process) when
// the executable cannot be found.
func selfWorker(cacheDir string) *compute.Worker {
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	return &compute.Worker{Exe: exe, Args: []string{"worker", "--cache", cacheDir}}
}
