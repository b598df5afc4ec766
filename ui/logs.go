package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Logs shows the node's recent log lines.
type Logs struct {
	b       Backend
	text    *widget.Label
	Content fyne.CanvasObject
}

// NewLogs builds the logs screen.
func NewLogs(b Backend) *Logs {
	l := &Logs{b: b, text: widget.NewLabel("")}
	l.text.TextStyle.Monospace = true
	l.text.Wrapping = fyne.TextWrapWord
	l.Content = container.NewVScroll(l.text)
	l.Refresh()
	return l
}

// Refresh reads the backend again.
func (l *Logs) Refresh() {
	lines := l.b.Logs()
	if len(lines) == 0 {
		l.text.SetText("Nothing logged yet.")
		return
	}
	l.text.SetText(strings.Join(lines, "\n"))
}
