package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/daolicloud/daoli/node/capacity"
)

// cmdCheck runs the capacity check: single-core and all-core throughput of the miner's
// and the jobs' workloads. A stored result for the same hardware is reused unless
// --force is given.
func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("daoli check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "", "data directory (default: the per-user data directory)")
	force := fs.Bool("force", false, "measure again even if this hardware was measured before")
	each := fs.Duration("each", time.Second, "length of each of the four measurements")
	if err := fs.Parse(args); err != nil {
		return exitUsage(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "daoli check: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *each < 50*time.Millisecond || *each > time.Minute {
		fmt.Fprintln(stderr, "daoli check: --each must be between 50ms and 1m")
		return 2
	}
	dir, err := dataDirOrDefault(*dataDir)
	if err == nil {
		err = os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		fmt.Fprintln(stderr, "daoli check:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	store := capacity.FileCheckStore{Path: filepath.Join(dir, capacityCheckFile)}
	fp := capacity.DetectHardware(ctx, nil).Fingerprint()
	opts := capacity.CheckOptions{Duration: *each}
	fmt.Fprintf(stderr, "Measuring %s (about %s)…\n", fp, 4**each)
	var res capacity.CheckResult
	ran := true
	if *force {
		res, err = capacity.RunCheck(ctx, fp, opts)
		if err == nil {
			err = store.SaveCheck(res)
		}
	} else {
		res, ran, err = capacity.EnsureCheck(ctx, store, fp, opts)
	}
	if err != nil {
		fmt.Fprintln(stderr, "daoli check:", err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if !ran {
		fmt.Fprintf(tw, "This hardware was measured on %s (use --force to measure again).\n", res.At.Local().Format(time.DateTime))
	}
	fmt.Fprintf(tw, "  Miner\t%s\n", throughputText(res.Miner))
	fmt.Fprintf(tw, "  Jobs\t%s\n", throughputText(res.Job))
	if err := tw.Flush(); err != nil {
		fmt.Fprintln(stderr, "daoli check:", err)
		return 1
	}
	return 0
}

func dataDirOrDefault(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	return DefaultDataDir()
}
