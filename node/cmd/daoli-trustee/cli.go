package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"crypto/rand"
	"github.com/daolicloud/daoli/node/devnet"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/trustee"
	"github.com/daolicloud/daoli/node/version"
)

const usage = `usage:
  daoli-trustee init --dir D [--network FILE] [--listen ADDR]...
  daoli-trustee devnet --trustees N --dir D [--start]
  daoli-trustee run --config FILE [--metrics ADDR]
  daoli-trustee bond --config FILE [--amount N] [--addr MULTIADDR]...   join the trustee set
  daoli-trustee unbond --config FILE                                  leave it
  daoli-trustee --version
`

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "--version", "-version", "version":
		fmt.Fprintln(stdout, "daoli-trustee", version.String())
		return 0
	case "init":
		err = cmdInit(args[1:], stdout, stderr)
	case "devnet":
		err = cmdDevnet(ctx, args[1:], stdout, stderr)
	case "run":
		err = cmdRun(ctx, args[1:], stderr)
	case "bond":
		err = cmdBond(ctx, args[1:], stdout, stderr, false)
	case "unbond":
		err = cmdBond(ctx, args[1:], stdout, stderr, true)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "daoli-trustee: unknown command %q\n%s", args[0], usage)
		return 2
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case err != nil:
		fmt.Fprintln(stderr, "daoli-trustee:", err)
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func parse(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %v\n", fs.Args())
		return errUsage
	}
	return nil
}

func cmdInit(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("daoli-trustee init", flag.ContinueOnError)
	dir := fs.String("dir", "", "trustee directory to create")
	nf := fs.String("network", "network.json", "network file (relative to the directory)")
	metrics := fs.String("metrics", "", "metrics and status address, e.g. 127.0.0.1:9100")
	var listen listFlag
	fs.Var(&listen, "listen", "libp2p listen multiaddr (repeatable)")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "init: --dir is required")
		return errUsage
	}
	if len(listen) == 0 {
		listen = listFlag{"/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic-v1"}
	}
	k, err := keys.Generate(rand.Reader)
	if err != nil {
		return err
	}
	if err := keys.SaveKeyFile(filepath.Join(*dir, devnet.KeyFile), k); err != nil {
		return err
	}
	cfg := &trustee.Config{KeyFile: devnet.KeyFile, DataDir: "data", Listen: listen, NetworkFile: *nf, Metrics: *metrics}
	if err := trustee.SaveConfig(filepath.Join(*dir, devnet.ConfigFile), cfg); err != nil {
		return err
	}
	id, err := p2p.PeerID(k.Public())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "trustee key  %s\npeer ID      %s\npayout       %s\nconfig       %s\n",
		k.Public(), id, k.Address(), filepath.Join(*dir, devnet.ConfigFile))
	return nil
}

func cmdDevnet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("daoli-trustee devnet", flag.ContinueOnError)
	n := fs.Int("trustees", 4, "number of trustees")
	dir := fs.String("dir", "", "devnet directory to create")
	start := fs.Bool("start", false, "run every trustee in this process until interrupted")
	phi := fs.Duration("phi", devnet.DefaultPhi, "Φ, the mining window")
	delta := fs.Duration("delta", devnet.DefaultDelta, "Δ, the communication window")
	cycle := fs.Duration("cycle", 0, "genesis cycle length (default max(2s, Φ+Δ))")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "devnet: --dir is required")
		return errUsage
	}
	nf, err := devnet.Genesis(*dir, *n, devnet.Options{Phi: *phi, Delta: *delta, Cycle: *cycle, Metrics: true})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "devnet %s: %d trustees in %s\n", nf.ChainID, *n, *dir)
	paths, err := devnet.Configs(*dir)
	if err != nil {
		return err
	}
	for _, p := range paths {
		fmt.Fprintf(stdout, "  daoli-trustee run --config %s\n", p)
	}
	if !*start {
		return nil
	}
	d, err := devnet.Start(ctx, *dir, trustee.NodeOptions{Logger: newLogger(stderr)})
	if err != nil {
		return err
	}
	<-ctx.Done()
	return d.Stop()
}

func cmdRun(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("daoli-trustee run", flag.ContinueOnError)
	path := fs.String("config", "", "trustee configuration file")
	metrics := fs.String("metrics", "", "metrics and status address (overrides the configuration)")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if *path == "" {
		fmt.Fprintln(stderr, "run: --config is required")
		return errUsage
	}
	cfg, err := trustee.LoadConfig(*path)
	if err != nil {
		return err
	}
	if *metrics != "" {
		cfg.Metrics = *metrics
	}
	log := newLogger(stderr)
	log.Info("daoli-trustee", "version", version.String(), "config", *path)
	n, err := trustee.Start(ctx, cfg, trustee.NodeOptions{Logger: log})
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		// The stop must not hang the operator: a trustee stops within a tick.
		done := make(chan error, 1)
		go func() { done <- n.Wait() }()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return errors.New("shutdown timed out")
		}
	case <-n.Done():
		return n.Wait()
	}
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
