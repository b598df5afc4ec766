package main

import (
	"context"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/daolicloud/daoli/node/trustee"
)

func main() {
	// A GOMAXPROCS in the environment is the operator's choice.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(trustee.Procs(runtime.GOMAXPROCS(0)))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
