package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// newTwoLineRow is a row of the job and batch lists: a bold title over a plain line,
// both cut with an ellipsis. The labels' own padding is space enough between the two.
func newTwoLineRow() fyne.CanvasObject {
	title := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Truncation = fyne.TextTruncateEllipsis
	sub := widget.NewLabel("")
	sub.Truncation = fyne.TextTruncateEllipsis
	return container.New(layout.NewCustomPaddedVBoxLayout(-2*theme.Padding()), title, sub)
}

// setTwoLineRow sets the two lines of a row made by newTwoLineRow.
func setTwoLineRow(o fyne.CanvasObject, title, sub string) {
	row := o.(*fyne.Container).Objects
	row[0].(*widget.Label).SetText(title)
	row[1].(*widget.Label).SetText(sub)
}
