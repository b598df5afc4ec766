package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/control"
)

const shareUsage = `Usage: daoli share on|off|now|pause|rules|status [--for D] [--data DIR] [--json]
Turns sharing this computer's idle time (mining and jobs) on or off, or makes one of
the dashboard's choices:
  now    share at once for --for (default 1h, from 1m to 24h), in use or not; it
         still pauses on battery, heat and for the exclusive programs, and ends by itself
  pause  pause until "on" or "rules"
  rules  back to the preferences: ends a share-now, a pause or a snooze
On ends a pause. A running node follows at once; otherwise the choice is saved for
the next start.
`

// shareChoices maps the subcommands to the control API's one-click choices.
var shareChoices = map[string]string{"now": control.ChoiceShareNow, "pause": control.ChoicePause, "rules": control.ChoiceRules}

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
	forFlag := fs.String("for", "", "with now: how long to share, e.g. 30m or 2h (default 1h)")
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage(err)
	}
	req := shareRequest{sub: sub}
	switch sub {
	case "on":
		req.on = true
	case "off", "status":
	case "now", "pause", "rules":
		d, err := control.SharingChoiceRequest{Choice: shareChoices[sub], For: *forFlag}.Parse()
		if err != nil {
			fmt.Fprintln(stderr, "daoli share:", err)
			return 2
		}
		req.choice, req.d = shareChoices[sub], d
	case "help", "-h", "--help":
		fmt.Fprint(stdout, shareUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "daoli share: unknown command %q\n%s", sub, shareUsage)
		return 2
	}
	if *forFlag != "" && req.choice != control.ChoiceShareNow {
		fmt.Fprintf(stderr, "daoli share: --for goes with now, not %s\n", sub)
		return 2
	}
	st, err := share(&c, req)
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

// shareRequest is what `daoli share` asks: the switch (on), a one-click choice
// (choice, with a share-now's duration d), or the state (status).
type shareRequest struct {
	sub    string
	on     bool
	choice string
	d      time.Duration
}

// share switches a running node's governor, or the saved settings when none runs.
func share(c *cliFlags, req shareRequest) (control.SharingState, error) {
	dir, err := c.dataDir()
	if err != nil {
		return control.SharingState{}, err
	}
	ctx, cancel := cliContext()
	defer cancel()
	if cl, err := control.Dial(dir); err == nil {
		switch {
		case req.sub == "status":
			return cl.Sharing(ctx)
		case req.choice != "":
			return cl.ChooseSharing(ctx, req.choice, req.d)
		}
		return cl.SetSharing(ctx, req.on)
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
	if req.sub != "status" {
		if req.choice != "" {
			change, err := sharingChoice(req.choice, time.Now().Add(req.d))
			if err != nil {
				return control.SharingState{}, err
			}
			change(&st)
		} else {
			switchSharing(&st, req.on)
		}
		if err := store.Save(st); err != nil {
			return control.SharingState{}, err
		}
	}
	return control.SharingState{On: st.Mode != capacity.Never, Mode: string(st.Mode), Preset: string(st.Preset),
		Reason: "No node is running; the node follows this when it starts."}, nil
}
