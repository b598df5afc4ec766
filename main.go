// Command daoli is the Daoli desktop app: it measures the machine, mines with the
// Consensus of Luck, sells idle cycles and buys compute, following the chain as a light
// node. With a subcommand it is the command-line client (daoli status, …). main only
// hands the arguments to package app.
package main

import (
	"os"

	// First, so Fyne finds a locale it can parse while it initializes.
	_ "github.com/daolicloud/daoli/app/posixlocale"

	"github.com/daolicloud/daoli/app"
)

func main() {
	// On Windows, a command run from a console writes to it (app/console_windows.go).
	app.AttachConsole(os.Args[1:])
	os.Exit(app.Main(os.Args[1:], os.Stdout, os.Stderr))
}
