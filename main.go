// Command daoli is the Daoli desktop app: it measures the machine, mines with the
// Consensus of Luck, sells idle cycles and buys compute, following the chain as a light
// node. main only parses flags and hands over to package app.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/daolicloud/daoli/app"
	"github.com/daolicloud/daoli/node/version"
)

func main() {
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println("daoli", version.String())
		return
	}
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "daoli: unknown command %q (try: daoli -help)\n", flag.Arg(0))
		os.Exit(2)
	}
	if err := app.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "daoli:", err)
		os.Exit(1)
	}
}
