package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Dashboard shows the balance, the earnings with a chart, the chain and sharing.
type Dashboard struct {
	b       Backend
	balance *widget.Label
	proof   *widget.Label
	chain   *widget.Label
	sharing *widget.Label
	// choices holds a button for each of the one-click sharing choices; shown are
	// the labels it holds now.
	choices      *fyne.Container
	choicesShown []string
	choiceError  *widget.Label
	sharingCard  *widget.Card
	use          *widget.Label // what Daoli uses of the machine
	wins         *widget.Label
	draw         *widget.Label // the last epoch's draw
	odds         *widget.Label // expected wins against actual ones
	chart        *earningsChart
	totals       *widget.Label
	Content      fyne.CanvasObject
	// The earnings are read again when a block arrives, which is when the ledger
	// changes, and at least every earningsMaxAge for the windows that move with time.
	earnedHeight uint64
	earnedAt     time.Time
	earnedOK     bool
	// The lottery is read again when a block arrives.
	lotteryHeight uint64
	lotteryOK     bool
	// The sample the machine-use line shows.
	useShown time.Time
}

// useEvery is how much newer a governor sample must be than the one shown before the
// machine-use line shows it. The governor samples every second; rewriting a wrapped
// line that often re-lays and repaints the window every second, for figures that
// hardly move.
const useEvery = 10 * time.Second

// earningsMaxAge bounds how long the earnings windows go without being summed again.
const earningsMaxAge = time.Minute

// NewDashboard builds the dashboard; Refresh fills it.
func NewDashboard(b Backend) *Dashboard {
	d := &Dashboard{b: b,
		balance: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		proof:   widget.NewLabel(""), chain: widget.NewLabel(""), sharing: widget.NewLabel(""),
		wins: widget.NewLabel(""), totals: widget.NewLabel(""), chart: newEarningsChart(),
		draw: widget.NewLabel(""), odds: widget.NewLabel(""), use: widget.NewLabel("")}
	d.use.Wrapping = fyne.TextWrapWord
	d.draw.Wrapping = fyne.TextWrapWord
	d.odds.Wrapping = fyne.TextWrapWord
	d.sharing.Wrapping = fyne.TextWrapWord
	d.sharing.TextStyle.Bold = true
	d.choices = container.NewHBox()
	d.choiceError = widget.NewLabel("")
	d.choiceError.Wrapping = fyne.TextWrapWord
	d.choiceError.Hide()
	d.sharingCard = widget.NewCard("Sharing", "", container.NewVBox(d.sharing, d.choices, d.choiceError, d.use))
	// Sharing comes right under the balance: it says why the balance grows or not.
	d.Content = container.NewVScroll(container.NewVBox(
		widget.NewCard("Balance", "", container.NewVBox(d.balance, d.proof)),
		d.sharingCard,
		widget.NewCard("Earnings", "by source, per day and per hour today", container.NewVBox(d.chart, d.totals, d.wins)),
		widget.NewCard("Lottery", "one ticket per epoch; the luckiest wins, the next are paid wages", container.NewVBox(d.draw, d.odds)),
		widget.NewCard("Chain", "", d.chain),
	))
	d.Refresh()
	return d
}

// Refresh reads the backend again. It runs on the UI goroutine.
func (d *Dashboard) Refresh() {
	n := d.b.Node()
	if n.BalanceAt == 0 {
		setText(d.balance, "—")
		setText(d.proof, "Waiting for the first proof of the balance from a trustee.")
	} else {
		setText(d.balance, coins(n.Balance)+" coins")
		setText(d.proof, fmt.Sprintf("Proven against block %d.", n.BalanceAt))
	}
	sync := "catching up"
	if n.Synced {
		sync = "in sync"
	}
	setText(d.chain, fmt.Sprintf("Block %d of %d, %s · %d peers, %d trustees", n.Height, n.Target, sync, n.Peers, n.Trustees))
	setText(d.wins, count(n.Wins, "epoch won", "epochs won")+", "+count(n.Payrolls, "payroll wage", "payroll wages")+", "+count(n.Tickets, "ticket sent", "tickets sent"))
	if !d.lotteryOK || n.Height != d.lotteryHeight {
		// The lottery changes with blocks only.
		l := d.b.Lottery()
		d.lotteryHeight, d.lotteryOK = n.Height, true
		setText(d.draw, drawText(l))
		setText(d.odds, oddsText(l))
	}
	sv := d.b.Sharing()
	setText(d.sharing, sv.Reason)
	d.showChoices(SharingChoices(sv, time.Now()))
	if d.useShown.IsZero() || sv.SampledAt.Sub(d.useShown) >= useEvery {
		d.useShown = sv.SampledAt
		setText(d.use, useText(sv))
	}
	now := time.Now()
	if d.earnedOK && n.Height == d.earnedHeight && now.Sub(d.earnedAt) < earningsMaxAge {
		return
	}
	e, err := d.b.Earnings()
	d.earnedHeight, d.earnedAt, d.earnedOK = n.Height, now, err == nil
	if err != nil {
		setText(d.totals, "The ledger cannot be read: "+err.Error())
		return
	}
	d.chart.set(e)
	sum := func(m map[string]uint64) uint64 {
		var t uint64
		for _, src := range earningSources {
			t += m[src]
		}
		return t
	}
	setText(d.totals, fmt.Sprintf("Today %s · 7 days %s · 30 days %s", coins(sum(e.Today)), coins(sum(e.Week)), coins(sum(e.Month))))
}

// showChoices puts a button for each choice beside the governor's line, rebuilt only
// when the choices change.
func (d *Dashboard) showChoices(choices []SharingChoice) {
	labels := make([]string, len(choices))
	for i, c := range choices {
		labels[i] = c.Label
	}
	if slices.Equal(labels, d.choicesShown) {
		return
	}
	d.choicesShown = labels
	d.choices.RemoveAll()
	for _, c := range choices {
		b := widget.NewButton(c.Label, func() {
			if err := c.Do(d.b); err != nil {
				d.choiceError.SetText("Not changed: " + err.Error())
				d.choiceError.Show()
			} else {
				d.choiceError.Hide()
			}
			d.Refresh()
		})
		if c.Label == ChoiceShareNow {
			b.Importance = widget.HighImportance
		}
		d.choices.Add(b)
	}
}

// drawText tells the last epoch's draw and this node's part in it.
func drawText(l LotteryView) string {
	if l.LastEpoch == 0 {
		return fmt.Sprintf("Collecting tickets for epoch %d; the first block since the app started will show who won.", l.Current)
	}
	winner := "nobody: no valid ticket"
	if l.Winner != "" {
		winner = shortAddress(l.Winner) + " of " + count(int(l.Tickets), "ticket", "tickets")
		if l.MyRank == 1 {
			winner = "you, the luckiest of " + count(int(l.Tickets), "ticket", "tickets")
		}
	}
	mine := " You sent no ticket for it."
	switch {
	case l.MyRank == 1:
		mine = ""
	case l.MyRank > 1:
		mine = fmt.Sprintf(" Your ticket was %s luckiest: paid wages.", ordinal(uint64(l.MyRank)))
	case l.MyTicket:
		mine = " Your ticket was not among the paid ones."
	}
	return fmt.Sprintf("Epoch %d won by %s.%s Now collecting tickets for epoch %d.", l.LastEpoch, winner, mine, l.Current)
}

// oddsText sets the wins to expect beside the actual ones.
func oddsText(l LotteryView) string {
	if l.Epochs == 0 {
		return "Expected wins appear once blocks have arrived."
	}
	if l.Admission == 0 {
		return fmt.Sprintf("Not mining, so no wins to expect. In the last %s: won %d.", count(l.Epochs, "epoch", "epochs"), l.Won)
	}
	return fmt.Sprintf("At your hash rate a ticket is admitted with %.0f %% chance; expected %s wins and %s wage payments a day. "+
		"In the last %s: expected %s wins, won %d.", 100*l.Admission, about(l.PerDay), about(l.PayrollDay), count(l.Epochs, "epoch", "epochs"),
		about(l.PerEpoch*float64(l.Epochs)), l.Won)
}

// about writes an expected count: to a tenth below 100, whole above.
func about(x float64) string {
	if x < 100 {
		return fmt.Sprintf("%.1f", x)
	}
	return coins(uint64(x + 0.5))
}

// shortAddress keeps an address's start and end.
func shortAddress(a string) string {
	if len(a) <= 16 {
		return a
	}
	return a[:10] + "…" + a[len(a)-4:]
}

// useText says what Daoli used of the machine when the governor last measured it.
func useText(s SharingView) string {
	if s.SampledAt.IsZero() {
		return "Measuring this computer…"
	}
	cpu, mem := "CPU unknown", "memory unknown"
	if s.OwnCPUKnown {
		cpu = fmt.Sprintf("%.1f %% of the CPU", s.OwnCPU)
	}
	if s.OwnMemoryKnown {
		mem = fmt.Sprintf("%s MB of memory", coins(s.OwnMemory>>20))
		if s.MemKnown && s.MemoryTotal > 0 {
			mem += fmt.Sprintf(" of %s MB", coins(s.MemoryTotal>>20))
		}
	}
	gpu := "graphics processors unknown"
	if s.GPUsKnown {
		gpu = "no graphics processor found"
		if len(s.GPUs) > 0 {
			gpu = "graphics: " + strings.Join(s.GPUs, ", ") + " (not offered for jobs)"
			if s.GPUJobs {
				gpu = "graphics: " + strings.Join(s.GPUs, ", ") + " (offered for GPU jobs)"
			}
		}
	}
	return fmt.Sprintf("Daoli and its workers used %s and %s at %s; %s.", cpu, mem, s.SampledAt.Local().Format(time.TimeOnly), gpu)
}
