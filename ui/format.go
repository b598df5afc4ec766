package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2/widget"
)

// coins formats an amount of the smallest unit with thousands separators.
func coins(v uint64) string {
	s := fmt.Sprint(v)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// count writes n with its noun, singular for one: "1 epoch won", "3 epochs won".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return coins(uint64(max(n, 0))) + " " + many
}

func signed(v int64) string {
	if v < 0 {
		return "−" + coins(uint64(-v))
	}
	return "+" + coins(uint64(v))
}

// sourceNames are the ledger's sources in the words the dashboard uses.
var sourceNames = map[string]string{
	"win": "Luck wins", "payroll": "Payroll wages", "trustee": "Trustee rewards", "fees": "Fees earned",
	"bond-return": "Bond returned", "compute": "Compute sales",
}

// earningSources are drawn in this order.
var earningSources = []string{"win", "payroll", "compute", "trustee", "fees"}

// setText changes a label only when its text differs: SetText re-measures and
// repaints even for the same text, and the screens are refreshed every second.
func setText(l *widget.Label, text string) {
	if l.Text != text {
		l.SetText(text)
	}
}

// showLine sets a message label's text and hides the label while it is empty, so an
// empty message takes no room.
func showLine(l *widget.Label, text string) {
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// short keeps the start of a long ID, a transaction's or a job's.
func short(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}
