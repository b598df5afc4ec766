package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// Buy is the Buy tab: the new-job form beside the wallet's jobs, and its batches when
// the backend buys them.
type Buy struct {
	Form    *JobForm
	Jobs    *JobsPane
	Batches *BatchesPane // nil without a BatchBackend
	Mine    *container.AppTabs
	Content fyne.CanvasObject
}

// NewBuy builds the buy screen in win: a job the form starts is chosen in the jobs pane.
func NewBuy(win fyne.Window, b Backend, run Runner) *Buy {
	s := &Buy{}
	s.Form = NewJobForm(win, b, run, func(id string) { s.Jobs.Select(id) })
	s.Jobs = NewJobsPane(win, b, run)
	right := s.Jobs.Content
	if bb, ok := b.(BatchBackend); ok {
		s.Batches = NewBatchesPane(win, bb, run)
		s.Mine = container.NewAppTabs(container.NewTabItem("Jobs", s.Jobs.Content), container.NewTabItem("Batches", s.Batches.Content))
		s.Form.batchStarted = func(id string) {
			s.Mine.SelectIndex(1)
			s.Batches.Select(id)
		}
		right = s.Mine
	}
	split := container.NewHSplit(s.Form.Content, right)
	split.Offset = 0.5
	s.Content = split
	return s
}

// Refresh reads the wallet's jobs again, keeping the selection.
func (s *Buy) Refresh() {
	s.Jobs.Refresh()
	if s.Batches != nil {
		s.Batches.Refresh()
	}
}
