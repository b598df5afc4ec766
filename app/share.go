package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/control"
)

const shareUsage = `Usage: daoli share on|off|status [--data DIR] [--json]
Turns sharing this computer's idle time (mining and jobs) on or off. A running node
follows at once; otherwise the choice is saved for the next start.
`

func cmdShare(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, shareUsage)
		return 2
	}
	sub := args[0]
	fs := flag.NewFlagSet("daoli share "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c cliFlags
	c.register(fs, false)
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage(err)
	}
	var on bool
	switch sub {
	case "on":
		on = true
	case "off":
	case "status":
	case "help", "-h", "--help":
		fmt.Fprint(stdout, shareUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "daoli share: unknown command %q\n%s", sub, shareUsage)
		return 2
	}
	st, err := share(&c, sub, on)
	if err != nil {
		fmt.Fprintln(stderr, "daoli share:", err)
		return 1
	}
	if c.json {
		if err := printJSON(stdout, st); err != nil {
			return 1
		}
		return 0
	}
	state := "off"
	if st.On {
		state = "on (" + st.Mode + ", " + st.Preset + ")"
	}
	fmt.Fprintf(stdout, "Sharing is %s.", state)
	if st.Reason != "" {
		fmt.Fprintf(stdout, " %s", st.Reason)
	}
	fmt.Fprintln(stdout)
	return 0
}

// share switches a running node's governor, or the saved settings when none runs.
func share(c *cliFlags, sub string, on bool) (control.SharingState, error) {
	dir, err := c.dataDir()
	if err != nil {
		return control.SharingState{}, err
	}
	ctx, cancel := cliContext()
	defer cancel()
	if cl, err := control.Dial(dir); err == nil {
		if sub == "status" {
			return cl.Sharing(ctx)
		}
		return cl.SetSharing(ctx, on)
	} else if !errors.Is(err, control.ErrNoNode) {
		return control.SharingState{}, err
	}
	store := capacity.FileSettingsStore{Path: filepath.Join(dir, sharingSettingsFile)}
	st, err := store.Load()
	if errors.Is(err, capacity.ErrNotFound) {
		st, err = loadSharingSettings(dir)
	}
	if err != nil {
		return control.SharingState{}, err
	}
	if sub != "status" {
		switchSharing(&st, on)
		if err := store.Save(st); err != nil {
			return control.SharingState{}, err
		}
	}
	return control.SharingState{On: st.Mode != capacity.Never, Mode: string(st.Mode), Preset: string(st.Preset),
		Reason: "No node is running; the node follows this when it starts."}, nil
}
