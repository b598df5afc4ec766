// Command precompile compiles a job module into a compilation cache directory, as a
// provider's first job with it does (node/compute's Sandbox, the same cache key), by
// running it once with the given arguments:
//
//	precompile MODULE CACHEDIR [ARG]...
//
// make interp runs it on the Ruby interpreter, so that the tests start it from the
// cache: compiling 30 MB takes a minute or two in a plain build, and over ten minutes
// in a test binary built with the race detector on a loaded machine.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/daolicloud/daoli/node/compute"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: precompile MODULE CACHEDIR [ARG]...")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], os.Args[3:]); err != nil {
		fmt.Fprintln(os.Stderr, "precompile:", err)
		os.Exit(1)
	}
}

func run(module, cache string, args []string) error {
	mod, err := os.ReadFile(module)
	if err != nil {
		return err
	}
	sb, err := compute.NewSandbox(cache)
	if err != nil {
		return err
	}
	defer sb.Close()
	start := time.Now()
	res, err := sb.Run(context.Background(), compute.Job{Module: mod, Args: args,
		Limits: compute.Limits{MemoryBytes: 1 << 30, WallTime: 5 * time.Minute, OutputBytes: 1 << 20}})
	if err != nil {
		return err
	}
	if res.Status != compute.StatusOK {
		return fmt.Errorf("%s: %v: %s", module, res.Status, res.Reason)
	}
	fmt.Fprintf(os.Stderr, "%s compiled into %s and run in %v\n", module, cache, time.Since(start).Round(time.Second))
	return nil
}
