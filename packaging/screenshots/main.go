// Command screenshots renders every screen of the app, running on a fresh local demo
// network, into docs/screenshots (make screenshots).
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/daolicloud/daoli/app"
)

func main() {
	out := flag.String("out", "docs/screenshots", "directory for the PNG files")
	earn := flag.Duration("earn", 30*time.Second, "how long the node earns before the screens are drawn")
	flag.Parse()
	if err := app.Screenshots(*out, *earn); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
	fmt.Println("screenshots in", *out)
}
