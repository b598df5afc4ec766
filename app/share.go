package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/control"
)

const shareUsage = `Usage: daoli share on|off|now|pause|rules|status [--for D] [--data DIR] [--json]
       daoli share price [N [--slots K]] [--data DIR] [--json]
Turns sharing this computer's idle time (mining and jobs) on or off, or makes one of
the dashboard's choices:
  now    share at once for --for (default 1h, from 1m to 24h), in use or not; it
         still pauses on battery, heat and for the exclusive programs, and ends by itself
  pause  pause until "on" or "rules"
  rules  back to the preferences: ends a share-now, a pause or a snooze
  price  without N, show the price and slots this computer asks as a provider and
         the suggested price; with N, ask N coins a second of a job's time limit
         (at least 1) and, with --slots, run K jobs at once (1 to 64)
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
	if sub == "price" {
		return cmdSharePrice(args[1:], stdout, stderr)
	}
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

// cmdSharePrice is `daoli share price [N [--slots K]]`: it shows or sets the price and
// slots, through a running node (which registers them at once) or in the saved file
// for the next start. Bad input exits 2 and changes nothing.
func cmdSharePrice(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("daoli share price", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c cliFlags
	c.register(fs, false)
	slots := fs.String("slots", "", "jobs run at once, 1 to 64 (default: the slots in force)")
	// The price comes first or after the flags: `daoli share price 3 --slots 2`.
	var priceArg string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		priceArg, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage(err)
	}
	if priceArg == "" && fs.NArg() > 0 {
		priceArg = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil { // flags after the price
			return exitUsage(err)
		}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "daoli share price: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	req, set, err := parsePriceArgs(priceArg, *slots)
	if err != nil {
		fmt.Fprintln(stderr, "daoli share price:", err)
		return 2
	}
	st, err := sharePrice(&c, req, set)
	if err != nil {
		fmt.Fprintln(stderr, "daoli share price:", err)
		if errors.Is(err, control.ErrBadRequest) {
			return 2
		}
		return 1
	}
	if c.json {
		if err := printJSON(stdout, st); err != nil {
			return 1
		}
		return 0
	}
	fmt.Fprint(stdout, pricingText(st))
	return 0
}

// parsePriceArgs reads the price and --slots as typed; set is false when there is
// nothing to change (no price given).
func parsePriceArgs(price, slots string) (req control.PricingRequest, set bool, err error) {
	if price == "" {
		if slots != "" {
			return req, false, errors.New("give the price with the slots: daoli share price N --slots K")
		}
		return req, false, nil
	}
	if req.Price, err = strconv.ParseUint(price, 10, 64); err != nil || req.Price == 0 {
		return req, false, fmt.Errorf("price %q: want a whole number of coins, at least 1", price)
	}
	if slots != "" {
		k, err := strconv.ParseUint(slots, 10, 32)
		if err != nil || k == 0 || k > chain.MaxSlots {
			return req, false, fmt.Errorf("--slots %q: want a whole number from 1 to %d", slots, chain.MaxSlots)
		}
		req.Slots = uint32(k)
	}
	return req, true, req.Check()
}

// sharePrice asks a running node, or reads and writes the saved file when none runs.
func sharePrice(c *cliFlags, req control.PricingRequest, set bool) (control.PricingState, error) {
	dir, err := c.dataDir()
	if err != nil {
		return control.PricingState{}, err
	}
	ctx, cancel := cliContext()
	defer cancel()
	if cl, err := control.Dial(dir); err == nil {
		if set {
			return cl.SetPricing(ctx, req)
		}
		return cl.Pricing(ctx)
	} else if !errors.Is(err, control.ErrNoNode) {
		return control.PricingState{}, err
	}
	p, ok, err := loadPricing(dir)
	if err != nil {
		return control.PricingState{}, err
	}
	if !ok {
		p = savedPricing{Price: DefaultProviderPrice, Slots: 1}
	}
	if set {
		p.Price = req.Price
		if req.Slots != 0 {
			p.Slots = req.Slots
		}
		if err := savePricing(dir, p); err != nil {
			return control.PricingState{}, err
		}
	}
	return control.PricingState{Price: p.Price, Slots: p.Slots,
		Reason: "No node is running; the node asks this when it starts."}, nil
}

// pricingText is `daoli share price`'s answer in words.
func pricingText(st control.PricingState) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Price: %d %s a second of a job's time limit, %d %s at once.\n", st.Price, plural(int(min(st.Price, 2)), "coin", "coins"), st.Slots, plural(int(st.Slots), "job", "jobs"))
	switch {
	case st.Reason != "":
		fmt.Fprintln(&b, st.Reason)
	case st.Registered == nil:
		fmt.Fprintln(&b, "Not registered on chain yet: the node registers while sharing is on and its balance covers a deposit.")
	default:
		fmt.Fprintf(&b, "On chain: %d a second, %d %s.\n", st.Registered.Price, st.Registered.Slots, plural(int(st.Registered.Slots), "slot", "slots"))
	}
	if st.Suggested != nil {
		fmt.Fprintln(&b, st.Suggested.Reason)
	}
	return b.String()
}
