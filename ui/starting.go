package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// NewStarting is the window's content while the node starts, after the wallet
// opened; demo says it starts the local demo network.
func NewStarting(demo bool) fyne.CanvasObject {
	status := widget.NewLabel("Starting…")
	if demo {
		status.SetText("Starting the local demo network on this computer…")
	}
	return container.NewCenter(container.NewVBox(widget.NewProgressBarInfinite(), status))
}

// NewStartFailed says why the node could not start, and where its logs are.
func NewStartFailed(err error, dataDir string) fyne.CanvasObject {
	return NewNotice("Daoli could not start: " + err.Error() +
		"\nClose the window and start it again; if it keeps failing, the Logs in " + dataDir + " say why.")
}

// NewNotice is a line of text in the middle of the window, for the moments before
// the screens are there.
func NewNotice(text string) fyne.CanvasObject {
	return container.NewCenter(widget.NewLabel(text))
}
