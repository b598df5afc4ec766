package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/version"
)

// Main runs the daoli binary: the desktop app without a subcommand, a CLI command with
// one. It returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		return runCommand(args[0], args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("daoli", flag.ContinueOnError)
	fs.SetOutput(stderr)
	showVersion := fs.Bool("version", false, "print the version and exit")
	dataDir := fs.String("data", "", "data directory (default: the per-user data directory)")
	network := fs.String("network", "", "network file to join (default: the one chosen in Settings, else the embedded local demo network)")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage(err)
	}
	if *showVersion {
		fmt.Fprintln(stdout, "daoli", version.String())
		_, loop := mainLoop()
		fmt.Fprintln(stdout, loop)
		return 0
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "daoli: unexpected argument %q (try: daoli -help)\n", fs.Arg(0))
		return 2
	}
	if err := Run(RunOptions{DataDir: *dataDir, Network: *network}); err != nil {
		fmt.Fprintln(stderr, "daoli:", err)
		return 1
	}
	return 0
}

const usage = `Usage:
  daoli [flags]            open the desktop app
  daoli status [--json]    the machine, the sharing decision and the node's state
  daoli check [--force]    measure this machine's throughput for mining and jobs
  daoli node               run the light node without a window
  daoli wallet ...         make, back up and use the wallet (daoli wallet help)
  daoli share on|off       share this computer's idle time, or stop
  daoli share price [N]    the price this computer asks for jobs, and the suggested one
  daoli job ...            buy compute: run a job on other machines (daoli job help)

Flags:
`

func runCommand(name string, args []string, stdout, stderr io.Writer) int {
	switch name {
	case "status":
		return cmdStatus(args, stdout, stderr)
	case "check":
		return cmdCheck(args, stdout, stderr)
	case "node":
		return cmdNode(args, stdout, stderr)
	case "wallet":
		return cmdWallet(args, stdout, stderr)
	case "share":
		return cmdShare(args, stdout, stderr)
	case "job":
		return cmdJob(args, stdout, stderr)
	case "worker":
		return cmdWorker(args, stdout, stderr)
	case "gpu-worker":
		return cmdGPUWorker(args, stdout, stderr)
	case "help":
		fmt.Fprint(stderr, usage)
		return 0
	}
	fmt.Fprintf(stderr, "daoli: unknown command %q (try: daoli help)\n", name)
	return 2
}

func cmdStatus(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("daoli status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "machine-readable output")
	dataDir := fs.String("data", "", "data directory (default: the per-user data directory)")
	if err := fs.Parse(args); err != nil {
		return exitUsage(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "daoli status: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	dir, err := dataDirOrDefault(*dataDir)
	if err != nil {
		fmt.Fprintln(stderr, "daoli status:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	st, err := collectStatus(ctx, dir)
	if err == nil {
		if *asJSON {
			err = writeStatusJSON(stdout, st)
		} else {
			err = writeStatusText(stdout, st)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "daoli status:", err)
		return 1
	}
	return 0
}

// exitUsage is the exit code after a flag error; -help is not an error.
func exitUsage(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// cmdWorker is the job worker subprocess the node runs jobs in: jobs come on standard
// input and results leave on standard output, until the input ends (see node/compute).
func cmdWorker(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("daoli worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cache := fs.String("cache", "", "compilation cache directory")
	if err := fs.Parse(args); err != nil {
		return exitUsage(err)
	}
	return compute.WorkerMain(os.Stdin, stdout, stderr, *cache)
}
