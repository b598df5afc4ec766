package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// BatchesPane is the Buy tab's "My batches": the wallet's batches, and the chosen
// one's progress line and tasks, its results saved to a folder, its untaken tasks
// withdrawn.
type BatchesPane struct {
	b   BatchBackend
	run Runner

	batches  []BatchView
	list     *widget.List
	selected string
	line     *widget.Label
	tasks    *widget.Label
	save     *widget.Button
	cancel   *widget.Button
	working  *widget.ProgressBarInfinite
	note     *widget.Label

	// chooseFolder shows the folder dialog; tests replace it.
	chooseFolder func(got func(path string))

	Content fyne.CanvasObject
}

// NewBatchesPane builds the batches pane, its dialogs over win.
func NewBatchesPane(win fyne.Window, b BatchBackend, run Runner) *BatchesPane {
	s := &BatchesPane{b: b, run: run, line: widget.NewLabel(""), tasks: widget.NewLabel(""), note: widget.NewLabel(""),
		working: widget.NewProgressBarInfinite()}
	s.chooseFolder = newBatchChoice(win, s.note.SetText, nil).chooseFolder
	s.line.Wrapping = fyne.TextWrapWord
	s.note.Wrapping = fyne.TextWrapWord
	s.tasks.TextStyle = fyne.TextStyle{Monospace: true}
	s.working.Hide()
	s.list = widget.NewList(func() int { return len(s.batches) },
		newTwoLineRow,
		func(i widget.ListItemID, o fyne.CanvasObject) {
			v := s.batches[i]
			setTwoLineRow(o, fmt.Sprintf("%s × %d · %s", v.Name, len(v.Tasks), batchState(v)), v.Line)
		})
	s.list.OnSelected = func(i widget.ListItemID) {
		if i < len(s.batches) {
			s.show(s.batches[i].ID)
		}
	}
	s.save = widget.NewButtonWithIcon("Save results…", theme.DocumentSaveIcon(), s.onSave)
	s.cancel = widget.NewButtonWithIcon("Cancel batch", theme.CancelIcon(), s.onCancel)
	detail := container.NewBorder(container.NewVBox(s.line, container.NewHBox(s.save, s.cancel), s.working, s.note), nil, nil, nil,
		container.NewVScroll(s.tasks))
	split := container.NewVSplit(s.list, detail)
	split.Offset = 0.3
	s.Content = split
	s.Refresh()
	return s
}

// batchState is a batch's state in a word or two.
func batchState(v BatchView) string {
	switch {
	case v.Finished && v.Done == len(v.Tasks):
		return "done"
	case v.Finished:
		return "finished"
	case v.Cancelled:
		return "cancelled, finishing the taken tasks"
	}
	return "running"
}

// Select chooses batch id, one just started, and reads the batches again.
func (s *BatchesPane) Select(id string) {
	s.selected = id
	s.Refresh()
}

// Refresh reads the batches again, keeping the selection.
func (s *BatchesPane) Refresh() {
	s.batches = s.b.Batches()
	s.list.Refresh()
	for i, v := range s.batches {
		if v.ID == s.selected {
			s.list.Select(i)
			s.show(v.ID)
			return
		}
	}
	s.list.UnselectAll()
	s.show("")
}

func (s *BatchesPane) show(id string) {
	if id != s.selected {
		s.selected = id
		s.note.SetText("")
	}
	var v BatchView
	found := false
	for _, x := range s.batches {
		if x.ID == id {
			v, found = x, true
		}
	}
	busy := s.working.Visible()
	if !found {
		s.line.SetText("Choose a batch to see its tasks. Start one with Runs: Several times, or Once per file of a folder.")
		s.tasks.SetText("")
		enable(s.save, false)
		enable(s.cancel, false)
		return
	}
	line := fmt.Sprintf("Batch %s, %s: %s", short(v.ID), v.Name, v.Line)
	if v.Error != "" {
		line += "\nProblem: " + v.Error
	}
	s.line.SetText(line)
	s.tasks.SetText(taskLines(v.Tasks))
	enable(s.save, !busy && v.Done > 0 || !busy && v.Finished)
	enable(s.cancel, !busy && !v.Cancelled && !v.Finished)
}

// taskLines is a batch's tasks, one line each.
func taskLines(ts []TaskView) string {
	w := 4
	for _, t := range ts {
		w = max(w, len(t.Name))
	}
	var b strings.Builder
	for _, t := range ts {
		fmt.Fprintf(&b, "%-*s  %-9s", w, t.Name, t.State)
		if t.Provider != "" {
			fmt.Fprintf(&b, " on %s", shortAddress(t.Provider))
		}
		if t.Attempts > 1 {
			fmt.Fprintf(&b, " (%d attempts)", t.Attempts)
		}
		if t.Why != "" {
			fmt.Fprintf(&b, ": %s", t.Why)
		}
		b.WriteByte('\n')
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func (s *BatchesPane) busy(text string) {
	s.note.SetText(text)
	s.working.Show()
	s.show(s.selected)
}

func (s *BatchesPane) idle(note string) {
	s.working.Hide()
	s.note.SetText(note)
	s.Refresh()
}

func (s *BatchesPane) onSave() {
	id := s.selected
	s.chooseFolder(func(dir string) {
		s.busy("Saving the results…")
		var n int
		var existed []string
		s.run(func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			var err error
			n, existed, err = s.b.SaveBatchResults(ctx, id, dir)
			return err
		}, func(err error) {
			if err != nil {
				s.idle("The results could not be saved: " + err.Error())
				return
			}
			s.idle(savedNote(n, existed, dir))
		})
	})
}

func (s *BatchesPane) onCancel() {
	id := s.selected
	s.busy("Withdrawing the tasks nobody took…")
	s.run(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return s.b.CancelBatch(ctx, id)
	}, func(err error) {
		if err != nil {
			s.idle("Not cancelled: " + err.Error())
			return
		}
		s.idle("Cancelled: the tasks nobody took are withdrawn and their escrow comes back; the taken ones finish and are paid.")
	})
}

// savedNote says what a save wrote, and which tasks' folders it found already there
// and left as they were.
func savedNote(n int, existed []string, dir string) string {
	note := fmt.Sprintf("%d results saved in %s, one folder per task.", n, dir)
	if len(existed) > 0 {
		note += " Already there, left as they were: " + strings.Join(existed, ", ") + "."
	}
	return note
}
