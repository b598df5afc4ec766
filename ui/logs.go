package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Logs shows the node's recent log lines, newest first, one a row; the row chosen is
// shown whole below the list. A list draws only the rows in view, where one label of
// every line would be measured and wrapped again at each new line.
type Logs struct {
	b       Backend
	lines   []string
	count   uint64 // Backend.LogCount when lines were read
	read    bool
	list    *widget.List
	chosen  int // index into lines; -1 for none
	detail  *widget.Label
	empty   *widget.Label
	Content fyne.CanvasObject
}

// NewLogs builds the logs screen.
func NewLogs(b Backend) *Logs {
	l := &Logs{b: b, chosen: -1, empty: widget.NewLabel("Nothing logged yet."),
		detail: widget.NewLabel("Choose a line to read it whole.")}
	l.detail.Wrapping = fyne.TextWrapWord
	l.detail.Selectable = true
	l.list = widget.NewList(func() int { return len(l.lines) },
		func() fyne.CanvasObject {
			row := widget.NewLabel("")
			row.TextStyle.Monospace = true
			row.Truncation = fyne.TextTruncateEllipsis
			return row
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			setText(o.(*widget.Label), l.lines[len(l.lines)-1-i])
		})
	l.list.OnSelected = func(i widget.ListItemID) {
		if i >= 0 && i < len(l.lines) {
			l.chosen = len(l.lines) - 1 - i
			l.detail.TextStyle.Monospace = true
			setText(l.detail, l.lines[l.chosen])
		}
	}
	l.Content = container.NewBorder(nil, l.detail, nil, nil, container.NewStack(l.list, l.empty))
	l.Refresh()
	return l
}

// Refresh reads the backend again when something was logged since the last read.
func (l *Logs) Refresh() {
	if l.read && l.b.LogCount() == l.count {
		return
	}
	lines, count := l.b.Logs()
	// The chosen line keeps its place: rows count from the newest, so new lines and
	// lines dropped from the front move it.
	dropped := int(count-l.count) - (len(lines) - len(l.lines))
	l.lines, l.count, l.read = lines, count, true
	l.empty.Hidden = len(lines) > 0
	l.list.Hidden = len(lines) == 0
	if l.chosen >= 0 {
		l.chosen -= dropped
		if l.chosen < 0 || l.chosen >= len(lines) {
			l.chosen = -1
			l.list.UnselectAll()
		} else {
			l.list.Select(len(lines) - 1 - l.chosen)
		}
	}
	l.list.Refresh()
	l.Content.Refresh()
}
