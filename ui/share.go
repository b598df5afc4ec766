package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Share is the sharing switch, the preset, the governor's reason and rules, the price
// and slots this computer asks, what runs now and what this computer sold.
type Share struct {
	b        Backend
	toggle   *widget.Check
	presets  *widget.RadioGroup
	reason   *widget.Label
	message  *widget.Label
	now      *widget.Label // the miner and the jobs run for buyers
	rules    *widget.Label
	sales    *widget.Label
	detail   detailForm
	price    priceForm
	updating bool
	Content  fyne.CanvasObject
	// Sales are read from the ledger again only when a block arrived.
	salesHeight uint64
	salesRead   bool
	detailShown bool // the detail form holds the settings in force
}

// maxSales is how many of the latest sales the screen lists.
const maxSales = 20

// NewShare builds the sharing screen.
func NewShare(b Backend) *Share {
	s := &Share{b: b, reason: widget.NewLabel(""), message: widget.NewLabel(""), now: widget.NewLabel(""),
		rules: widget.NewLabel(""), sales: widget.NewLabel("")}
	for _, l := range []*widget.Label{s.reason, s.now, s.rules, s.sales, s.message} {
		l.Wrapping = fyne.TextWrapWord
	}
	s.message.Hide()
	s.toggle = widget.NewCheck("Share this computer's idle time (mine and run jobs)", func(on bool) {
		if s.updating {
			return
		}
		if err := s.b.SetSharing(on); err != nil {
			s.say("Not changed: " + err.Error())
		}
		s.detailShown = false
		s.Refresh()
	})
	s.presets = widget.NewRadioGroup(b.Sharing().Presets, func(p string) {
		if s.updating || p == "" {
			return
		}
		if err := s.b.SetPreset(p); err != nil {
			s.say("Not changed: " + err.Error())
		}
		s.detailShown = false
		s.Refresh()
	})
	s.Content = container.NewVScroll(container.NewVBox(
		widget.NewCard("Sharing", "", container.NewVBox(s.toggle, s.reason)),
		widget.NewCard("How much", "Quiet keeps the fans down; Max uses what the rules allow", s.presets),
		s.message,
		widget.NewCard("Price", "what buyers pay this computer for a job, which the chain offers to the cheapest provider that fits", s.price.build(s)),
		widget.NewCard("Now", "", s.now),
		widget.NewCard("Rules", "the governor's settings in force", container.NewVBox(s.rules,
			widget.NewAccordion(widget.NewAccordionItem("Change the detail", s.detail.build(s))))),
		widget.NewCard("Sales", "jobs this computer ran and was paid for, newest first", s.sales)))
	s.Refresh()
	return s
}

// Refresh reads the backend again.
func (s *Share) Refresh() {
	v := s.b.Sharing()
	s.updating = true
	s.toggle.SetChecked(v.SwitchedOn())
	s.presets.SetSelected(v.Preset)
	s.updating = false
	setText(s.reason, v.Reason)
	a := s.b.Activity()
	setText(s.now, nowText(v, a))
	setText(s.rules, strings.Join(a.Rules, "\n"))
	if !s.detailShown {
		// Filled once, and again after a save: a refresh must not undo typing.
		s.detail.fill(s.b.SharingDetail())
		s.detailShown = true
	}
	s.price.refresh(s.b.Pricing())
	if h := s.b.Node().Height; !s.salesRead || h != s.salesHeight {
		s.salesHeight, s.salesRead = h, true
		setText(s.sales, s.salesText())
	}
}

// nowText says whether the miner works and which jobs run for buyers.
func nowText(v SharingView, a ActivityView) string {
	mining := "Not mining: sharing is off."
	switch {
	case v.On && !v.Running:
		mining = "Not mining: sharing is paused (see above)."
	case v.On:
		mining = "The miner waits for the next epoch: it works at the start of each until its ticket is found."
	}
	if a.Mining {
		mining = fmt.Sprintf("Mining this epoch's ticket at %s hashes a second.", coins(uint64(a.HashRate)))
	}
	if len(a.Runs) == 0 {
		return mining + " No job running for a buyer."
	}
	lines := []string{mining, fmt.Sprintf("Running %s for buyers:", count(len(a.Runs), "job", "jobs"))}
	for _, r := range a.Runs {
		line := "deal " + short(r.Deal) + ", module " + short(r.Module)
		if r.Price > 0 {
			line += ", for " + coins(r.Price) + " coins"
		}
		if r.Paused {
			line += " (paused)"
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// salesText lists the latest sales from the ledger: compute sales, and deposits won
// from buyers who stalled or were found wrong.
func (s *Share) salesText() string {
	lines, err := s.b.Ledger()
	if err != nil {
		return "The ledger cannot be read: " + err.Error()
	}
	var out []string
	for i := len(lines) - 1; i >= 0 && len(out) < maxSales; i-- {
		l := lines[i]
		what := strings.Fields(l.What)
		if len(what) == 0 || (what[0] != "sale" && what[0] != "fine") {
			continue
		}
		kind := "sale"
		if what[0] == "fine" {
			kind = "deposit won"
		}
		out = append(out, fmt.Sprintf("block %d · %s · %s · %s coins", l.Height, l.Time.Local().Format(time.DateTime), kind, signed(l.Amount)))
	}
	if len(out) == 0 {
		return "No sales yet: with sharing on, this computer runs buyers' jobs when the market offers it one."
	}
	return strings.Join(out, "\n")
}

// saveDetail saves the form, or says why not.
func (s *Share) saveDetail() {
	d, err := s.detail.read()
	if err == nil {
		err = s.b.SetSharingDetail(d)
	}
	if err != nil {
		s.detail.note.SetText("Not saved: " + err.Error())
		return
	}
	s.detail.note.SetText("Saved: the preset is now custom.")
	s.detailShown = false
	s.Refresh()
}

// savePrice saves the price and slots, or says why not.
func (s *Share) savePrice() {
	price, slots, err := s.price.read()
	if err == nil {
		err = s.b.SetPricing(price, slots)
	}
	if err != nil {
		showLine(s.price.note, "Not saved: "+err.Error())
		return
	}
	showLine(s.price.note, fmt.Sprintf("Saved: %s a second, %s at once; the node registers it on chain.", coinCount(price), count(slots, "job", "jobs")))
	s.price.shown = false
	s.Refresh()
}

// say shows what a change did, or hides the line when there is nothing to say.
func (s *Share) say(text string) { showLine(s.message, text) }
