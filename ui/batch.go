package ui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// BatchBackend is the part of a Backend that buys batches: one job run many times,
// once per file of a folder or a number of times. A Backend that is one gets the
// new-job form's Runs choice and the My batches tab.
type BatchBackend interface {
	// RunBatch buys a batch; it returns the batch's ID once the node keeps it.
	RunBatch(ctx context.Context, req BatchRequest) (id string, err error)
	// Batches lists the wallet's batches, newest first. It does not block.
	Batches() []BatchView
	// SaveBatchResults writes the batch's results under dir, one folder per task,
	// and says how many it wrote and which tasks' folders were there already (left
	// as they were).
	SaveBatchResults(ctx context.Context, id, dir string) (written int, existed []string, err error)
	// CancelBatch withdraws every task of the batch no provider has taken.
	CancelBatch(ctx context.Context, id string) error
}

// BatchRequest is a batch to buy: Job (its Input unused) run Tasks times, or once per
// file of Folder whose name matches Pattern, the file its input. {task} in an
// argument becomes each task's index.
type BatchRequest struct {
	Job     JobRequest
	Tasks   int
	Folder  string
	Pattern string
}

// BatchView is one of the wallet's batches.
type BatchView struct {
	ID, Name  string
	Created   time.Time
	Line      string // its progress: done, running, waiting, failed, spent
	Tasks     []TaskView
	Done      int
	Cancelled bool
	Finished  bool   // nothing more will happen to it
	Error     string // what last went wrong running it
}

// TaskView is one task of a batch.
type TaskView struct {
	Name     string
	State    string // waiting, running, done, failed, cancelled
	Provider string // the provider that took its last deal; "" before
	Attempts int
	Why      string // why it failed
}

// The Runs choices of the new-job form.
const (
	runsOne   = "Once"
	runsCount = "Several times"
	runsEach  = "Once per file of a folder"
	maxRuns   = 1000
)

// batchChoice is the new-job form's Runs row: once, a number of times, or once per
// file of a folder.
type batchChoice struct {
	mode       *widget.Select
	count      *widget.Entry
	folderName *widget.Label
	pattern    *widget.Entry
	countRow   *fyne.Container
	eachRow    *fyne.Container
	folder     string
	changed    func()

	// chooseFolder shows the folder dialog; tests replace it. got is not called
	// when the user cancels.
	chooseFolder func(got func(path string))
}

func newBatchChoice(win fyne.Window, say func(string), changed func()) *batchChoice {
	c := &batchChoice{count: widget.NewEntry(), folderName: widget.NewLabel("no folder chosen"), pattern: widget.NewEntry(), changed: changed}
	c.chooseFolder = func(got func(string)) {
		dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
			if err != nil {
				say("The folder could not be opened: " + err.Error())
				return
			}
			if u != nil {
				got(u.Path())
			}
		}, win).Show()
	}
	c.count.SetPlaceHolder(fmt.Sprintf("how many, 2 to %d", maxRuns))
	c.pattern.SetText("*")
	c.folderName.Truncation = fyne.TextTruncateEllipsis
	pick := widget.NewButtonWithIcon("Folder…", theme.FolderOpenIcon(), func() {
		c.chooseFolder(func(path string) {
			c.folder = path
			c.folderName.SetText(path)
		})
	})
	hint := widget.NewLabel("{task} in the arguments becomes each run's number: 0, 1, 2 …")
	hint.Wrapping = fyne.TextWrapWord
	c.countRow = container.NewVBox(c.count, hint)
	c.eachRow = container.NewVBox(container.NewBorder(nil, nil, pick, nil, c.folderName),
		container.NewBorder(nil, nil, widget.NewLabel("Files named"), nil, c.pattern))
	c.mode = widget.NewSelect([]string{runsOne, runsCount, runsEach}, func(string) { c.show() })
	c.mode.SetSelected(runsOne)
	return c
}

func (c *batchChoice) show() {
	setVisible([]fyne.CanvasObject{c.countRow}, c.mode.Selected == runsCount)
	setVisible([]fyne.CanvasObject{c.eachRow}, c.mode.Selected == runsEach)
	if c.changed != nil {
		c.changed()
	}
}

// each says the tasks take their inputs from a folder's files.
func (c *batchChoice) each() bool { return c.mode.Selected == runsEach }

// request makes job a batch, or says false when it runs once.
func (c *batchChoice) request(job JobRequest) (BatchRequest, bool, error) {
	r := BatchRequest{Job: job}
	switch c.mode.Selected {
	case runsCount:
		n, err := strconv.Atoi(strings.TrimSpace(c.count.Text))
		if err != nil || n < 2 || n > maxRuns {
			return r, true, fmt.Errorf("%w: the number of runs must be a whole number from 2 to %d", errInput, maxRuns)
		}
		r.Tasks = n
	case runsEach:
		if c.folder == "" {
			return r, true, fmt.Errorf("%w: choose the folder whose files the runs take as input", errInput)
		}
		r.Folder, r.Pattern = c.folder, strings.TrimSpace(c.pattern.Text)
		if r.Pattern == "" {
			r.Pattern = "*"
		}
		r.Job.Input, r.Job.InputDir = nil, ""
	default:
		return r, false, nil
	}
	return r, true, nil
}

// runsChanged shows the rows the Runs choice needs: once per file of a folder, the
// folder's files are the inputs, and the Input row goes.
func (s *JobForm) runsChanged() {
	if s.Content == nil {
		return // still being built
	}
	t, ok := s.template()
	setVisible(s.inputRow[:], !s.runs.each() && (ok && (t.TakesInput || t.NeedsInput) || s.kind.Selected == ownModule))
	s.Content.Refresh()
}

// runBatch buys the batch the form describes.
func (s *JobForm) runBatch(bb BatchBackend, req BatchRequest) {
	s.runButton.Disable()
	s.progress.Show()
	s.message.SetText("Uploading the batch…")
	var id string
	s.run(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if req.Job.Module != nil {
			if err := s.b.ValidateModule(ctx, req.Job.Module); err != nil {
				return errModule{err}
			}
		}
		var err error
		id, err = bb.RunBatch(ctx, req)
		return err
	}, func(err error) {
		s.runButton.Enable()
		s.progress.Hide()
		var bad errModule
		switch {
		case errors.As(err, &bad):
			s.message.SetText(fmt.Sprintf("%s cannot run: %v.", s.moduleFile, bad.err))
		case err != nil:
			s.message.SetText("Not started: " + err.Error())
		default:
			s.message.SetText(fmt.Sprintf("Batch %s is sent; Batches follows it.", short(id)))
			if s.batchStarted != nil {
				s.batchStarted(id)
			}
		}
	})
}
