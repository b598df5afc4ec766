package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// Buy is the Buy tab: the new-job form beside the wallet's jobs.
type Buy struct {
	Form    *JobForm
	Jobs    *JobsPane
	Content fyne.CanvasObject
}

// NewBuy builds the buy screen in win: a job the form starts is chosen in the jobs pane.
func NewBuy(win fyne.Window, b Backend, run Runner) *Buy {
	s := &Buy{}
	s.Form = NewJobForm(win, b, run, func(id string) { s.Jobs.Select(id) })
	s.Jobs = NewJobsPane(win, b, run)
	split := container.NewHSplit(s.Form.Content, s.Jobs.Content)
	split.Offset = 0.5
	s.Content = split
	return s
}

// Refresh reads the wallet's jobs again, keeping the selection.
func (s *Buy) Refresh() { s.Jobs.Refresh() }
