package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/daolicloud/daoli/node/devnet/nemesis"
)

// run executes one command line and returns the exit code: 0 when every run held, 1
// when a property broke or a run failed, 2 for a bad command line.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("daoli-nemesis", flag.ContinueOnError)
	fs.SetOutput(stderr)
	trustees := fs.Int("trustees", 4, "trustee processes")
	lights := fs.Int("lights", 3, "light node processes (`daoli node`); the last one buys jobs")
	seeds := fs.String("seed", "1", "seed of the fault schedule; several, comma-separated, run one after another")
	duration := fs.Duration("duration", 2*time.Minute, "how long faults are injected, per seed")
	phi := fs.Duration("phi", 600*time.Millisecond, "Φ, the mining window")
	delta := fs.Duration("delta", 400*time.Millisecond, "Δ, the communication window")
	sk := fs.Bool("skew", false, "skewed clocks: trustees 10 % fast and 2 min behind, light nodes 10 % slow, 10 % fast and jumping 5 min")
	disk := fs.Int("disk-trustee", 1, "the trustee whose data directory is a small tmpfs the nemesis fills (-1: none)")
	dir := fs.String("dir", "", "output directory (default: a new one in the system's temporary directory)")
	bins := fs.String("bin", "", "directory holding daoli-trustee and daoli built with -tags nemesis (default: build them)")
	epochs := fs.Int("recover-epochs", 60, "epochs after the last heal within which blocks must certify again and light nodes catch up")
	clean := fs.Bool("clean", false, "remove what runs killed before their teardown left (namespaces and their processes, links, tmpfs mounts), then exit; only while no run is going")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "daoli-nemesis: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	var list []uint64
	for s := range strings.SplitSeq(*seeds, ",") {
		v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			fmt.Fprintf(stderr, "daoli-nemesis: --seed %q: %v\n", s, err)
			return 2
		}
		list = append(list, v)
	}
	if err := nemesis.CheckPrivileges(); err != nil {
		fmt.Fprintln(stderr, "daoli-nemesis:", err)
		return 1
	}
	if *clean {
		done, err := nemesis.CleanAll()
		for _, d := range done {
			fmt.Fprintln(stdout, "removed", d)
		}
		if err != nil {
			fmt.Fprintln(stderr, "daoli-nemesis:", err)
			return 1
		}
		return 0
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "daoli-nemesis-")
		if err != nil {
			fmt.Fprintln(stderr, "daoli-nemesis:", err)
			return 1
		}
		*dir = d
	}
	var b nemesis.Binaries
	if *bins != "" {
		b = nemesis.Binaries{Trustee: filepath.Join(*bins, "daoli-trustee"), Daoli: filepath.Join(*bins, "daoli")}
	} else {
		fmt.Fprintln(stderr, "building daoli-trustee and daoli with -tags nemesis")
		var err error
		if b, err = nemesis.Build(filepath.Join(*dir, "bin")); err != nil {
			fmt.Fprintln(stderr, "daoli-nemesis:", err)
			return 1
		}
	}
	code := 0
	for _, seed := range list {
		cfg := nemesis.Config{Trustees: *trustees, Lights: *lights, Seed: seed, Duration: *duration, Phi: *phi, Delta: *delta,
			Dir: filepath.Join(*dir, fmt.Sprintf("seed-%d", seed)), Bins: b, Skew: *sk, DiskTrustee: *disk, RecoverEpochs: *epochs,
			Logf: func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }}
		// A replay of a seed starts afresh.
		if err := os.RemoveAll(cfg.Dir); err != nil {
			fmt.Fprintln(stderr, "daoli-nemesis:", err)
			return 1
		}
		res, err := nemesis.Run(ctx, cfg)
		if res != nil {
			fmt.Fprint(stdout, res.Summary)
			fmt.Fprintf(stdout, "history, logs and stores in %s\n\n", cfg.Dir)
			if len(res.Findings) > 0 {
				code = 1
			}
		}
		if err != nil {
			fmt.Fprintln(stderr, "daoli-nemesis:", err)
			code = 1
		}
		if ctx.Err() != nil {
			break
		}
	}
	return code
}
