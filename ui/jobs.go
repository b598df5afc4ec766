package ui

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/daolicloud/daoli/node/market/terms"
)

// maxShownText is how much of a text output the screen draws; Save… keeps all of it.
const maxShownText = 256 << 10

// JobsPane is the Buy tab's "My jobs": the wallet's jobs, and the chosen one's state
// and output.
type JobsPane struct {
	b   Backend
	run Runner

	jobs     []JobView
	list     *widget.List
	selected string // the ID of the job the detail shows
	detail   *widget.Label
	view     *widget.Button
	save     *widget.Button
	saveAll  *widget.Button
	cancel   *widget.Button
	files    *widget.Label // the result's files, standard error and reason, once fetched
	working  *widget.ProgressBarInfinite
	note     *widget.Label
	output   *fyne.Container
	pane     *fyne.Container // the detail pane, laid out again when its text changes
	outID    string          // the job whose output is in out
	out      []byte
	result   JobResult // the result of outID

	// saveFile shows the file dialog; tests replace it. got is not called when the
	// user cancels.
	saveFile func(name string, got func(w io.WriteCloser, where string))
	// openFolder shows the folder dialog; tests replace it. got is not called when
	// the user cancels.
	openFolder func(title string, got func(path string))

	Content fyne.CanvasObject
}

// NewJobsPane builds the jobs pane, its dialogs over win.
func NewJobsPane(win fyne.Window, b Backend, run Runner) *JobsPane {
	s := &JobsPane{b: b, run: run, detail: widget.NewLabel(""), working: widget.NewProgressBarInfinite(),
		note: widget.NewLabel(""), files: widget.NewLabel(""), output: container.NewStack()}
	s.saveFile = func(name string, got func(io.WriteCloser, string)) { saveFile(win, name, s.note.SetText, got) }
	s.openFolder = func(title string, got func(string)) { openFolder(win, title, s.note.SetText, got) }
	s.detail.Wrapping = fyne.TextWrapWord
	s.note.Wrapping = fyne.TextWrapWord
	s.files.Wrapping = fyne.TextWrapWord
	s.working.Hide()
	s.list = widget.NewList(func() int { return len(s.jobs) },
		newTwoLineRow,
		func(i widget.ListItemID, o fyne.CanvasObject) {
			j := s.jobs[i]
			setTwoLineRow(o, j.Name+" · "+terms.State(j.Phase, j.Outcome), jobLine(j))
		})
	s.list.OnSelected = func(i widget.ListItemID) {
		if i < len(s.jobs) {
			s.show(s.jobs[i].ID)
		}
	}
	s.view = widget.NewButtonWithIcon("View output", theme.VisibilityIcon(), s.onView)
	s.save = widget.NewButtonWithIcon("Save…", theme.DocumentSaveIcon(), s.onSave)
	s.saveAll = widget.NewButtonWithIcon("Save all…", theme.FolderIcon(), s.onSaveAll)
	s.cancel = widget.NewButtonWithIcon("Withdraw", theme.CancelIcon(), s.onCancel)
	s.pane = container.NewBorder(
		container.NewVBox(s.detail, container.NewHBox(s.view, s.save, s.saveAll, s.cancel), s.working, s.note, s.files), nil, nil, nil,
		container.NewPadded(s.output))
	jobs := container.NewVSplit(s.list, s.pane)
	jobs.Offset = 0.35
	s.Content = container.NewBorder(widget.NewLabelWithStyle("My jobs", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		nil, nil, nil, jobs)
	s.Refresh()
	return s
}

// Select chooses job id, one just started, and reads the jobs again.
func (s *JobsPane) Select(id string) {
	s.selected = id
	s.Refresh()
}

// Refresh reads the wallet's jobs again, keeping the selection.
func (s *JobsPane) Refresh() {
	s.jobs = s.b.Jobs()
	s.list.Refresh()
	for i, j := range s.jobs {
		if j.ID == s.selected {
			s.list.Select(i) // the job may have moved down the list
			s.show(j.ID)
			return
		}
	}
	s.list.UnselectAll()
	s.show("")
}

// show puts the job id in the detail pane, or clears it.
func (s *JobsPane) show(id string) {
	if id != s.selected {
		s.selected = id
		s.note.SetText("")
	}
	if id != s.outID {
		s.outID, s.out, s.result = "", nil, JobResult{}
		s.files.SetText("")
		s.output.Objects = nil
		s.output.Refresh()
	}
	before := s.detail.Text + s.note.Text
	defer func() {
		// Wrapped text changes height: the pane lays out again, but only then, as the
		// app refreshes every second.
		if s.detail.Text+s.note.Text != before {
			s.pane.Refresh()
		}
	}()
	var j JobView
	found := false
	for _, x := range s.jobs {
		if x.ID == id {
			j, found = x, true
		}
	}
	if !found {
		s.detail.SetText("Choose a job to see its state and its result.")
		if len(s.jobs) == 0 {
			s.detail.SetText("No jobs yet. A job you run shows here with its state, and its result once a provider posts it.")
		}
		s.view.Disable()
		s.save.Disable()
		s.saveAll.Disable()
		s.cancel.Disable()
		return
	}
	s.detail.SetText(jobDetail(j))
	busy := s.working.Visible()
	enable(s.view, j.Output && !busy)
	enable(s.save, j.Output && !busy)
	enable(s.saveAll, j.Output && !busy)
	enable(s.cancel, (j.Phase == "submitted" || j.Phase == "open") && !busy)
}

func enable(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// busy disables the job's buttons while work for it runs.
func (s *JobsPane) busy(text string) {
	s.note.SetText(text)
	s.working.Show()
	s.pane.Refresh()
	s.view.Disable()
	s.save.Disable()
	s.saveAll.Disable()
	s.cancel.Disable()
}

func (s *JobsPane) idle(note string) {
	s.working.Hide()
	s.note.SetText(note)
	s.show(s.selected)
	s.pane.Refresh()
}

// fetch gets the selected job's result, then calls use with its standard output on
// the UI goroutine.
func (s *JobsPane) fetch(use func(data []byte)) {
	id := s.selected
	if s.outID == id && s.out != nil {
		use(s.out)
		return
	}
	s.busy("Fetching the output…")
	var res JobResult
	s.run(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var err error
		res, err = s.b.JobResult(ctx, id)
		return err
	}, func(err error) {
		if err != nil {
			s.idle("The output could not be fetched: " + err.Error())
			return
		}
		if s.selected != id { // the user chose another job meanwhile
			s.idle("")
			return
		}
		s.idle("")
		s.outID, s.out, s.result = id, res.Stdout, res
		if s.out == nil {
			s.out = []byte{}
		}
		s.files.SetText(resultSummary(res))
		use(s.out)
	})
}

// resultSummary says what a result holds besides its standard output: why the run
// ended when not ok, its standard error, and the files it left in /output.
func resultSummary(r JobResult) string {
	var lines []string
	if r.Status != "" && r.Status != "ok" {
		lines = append(lines, fmt.Sprintf("The run ended %s: %s.", r.Status, strings.TrimSuffix(r.Reason, ".")))
	}
	if len(r.Stderr) > 0 {
		first, _, _ := strings.Cut(strings.ToValidUTF8(string(r.Stderr), "?"), "\n")
		lines = append(lines, fmt.Sprintf("Standard error, %s bytes: %s", coins(uint64(len(r.Stderr))), first))
	}
	if len(r.Files) > 0 {
		var names []string
		for i, f := range r.Files {
			if i == maxListedFiles {
				names = append(names, fmt.Sprintf("and %d more", len(r.Files)-i))
				break
			}
			names = append(names, fmt.Sprintf("%s (%s bytes)", f.Path, coins(uint64(f.Size))))
		}
		lines = append(lines, fmt.Sprintf("Output files (%d): %s. Save all… writes them to a folder.", len(r.Files), strings.Join(names, ", ")))
	}
	return strings.Join(lines, "\n")
}

// maxListedFiles is how many of a result's files the pane names.
const maxListedFiles = 8

// onSaveAll writes the result as files into a new folder inside one the user picks.
func (s *JobsPane) onSaveAll() {
	id := s.selected
	s.fetch(func([]byte) {
		s.openFolder("Choose where to save the job's files", func(dir string) {
			s.busy("Saving…")
			var where string
			s.run(func() error {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				var err error
				where, err = s.b.SaveJobResult(ctx, id, dir)
				return err
			}, func(err error) {
				if err != nil {
					s.idle("Not saved: " + err.Error())
					return
				}
				s.idle(fmt.Sprintf("Saved stdout, stderr and %d output files to %s.", len(s.result.Files), where))
			})
		})
	})
}

func (s *JobsPane) onView() { s.fetch(s.showOutput) }

// showOutput draws a PNG as an image and anything else as text when it is text.
func (s *JobsPane) showOutput(data []byte) {
	var o fyne.CanvasObject
	if img, err := png.Decode(bytes.NewReader(data)); err == nil {
		i := canvas.NewImageFromImage(img)
		i.FillMode = canvas.ImageFillContain
		i.SetMinSize(fyne.NewSize(120, 120))
		b := img.Bounds()
		s.note.SetText(fmt.Sprintf("A PNG image of %d × %d pixels, %s bytes.", b.Dx(), b.Dy(), coins(uint64(len(data)))))
		o = i
	} else if utf8.Valid(data) {
		text := string(data)
		s.note.SetText(fmt.Sprintf("Text, %s bytes.", coins(uint64(len(data)))))
		if len(text) > maxShownText {
			text = strings.ToValidUTF8(text[:maxShownText], "")
			s.note.SetText(fmt.Sprintf("Text, %s bytes; the first %s are shown, Save… keeps all.", coins(uint64(len(data))), coins(maxShownText)))
		}
		if len(data) == 0 {
			s.note.SetText("The output is empty.")
		}
		g := widget.NewTextGrid()
		g.Scroll = fyne.ScrollBoth
		g.SetText(text)
		o = g
	} else {
		s.note.SetText(fmt.Sprintf("%s bytes of binary data: Save… keeps them.", coins(uint64(len(data)))))
	}
	s.output.Objects = nil
	if o != nil {
		s.output.Objects = []fyne.CanvasObject{o}
	}
	s.pane.Refresh()
}

func (s *JobsPane) onSave() {
	s.fetch(func(data []byte) {
		name := "output"
		for _, j := range s.jobs {
			if j.ID == s.selected {
				name = strings.TrimSuffix(j.Name, ".wasm") + "-" + short(j.ID)
				name = strings.TrimSuffix(name, "…")
			}
		}
		if _, err := png.DecodeConfig(bytes.NewReader(data)); err == nil {
			name += ".png"
		} else if utf8.Valid(data) {
			name += ".txt"
		}
		s.saveFile(name, func(w io.WriteCloser, where string) {
			s.busy("Saving…")
			s.run(func() error {
				_, err := w.Write(data)
				if cerr := w.Close(); err == nil {
					err = cerr
				}
				return err
			}, func(err error) {
				if err != nil {
					s.idle("Not saved: " + err.Error())
					return
				}
				s.idle("Saved to " + where + ".")
			})
		})
	})
}

func (s *JobsPane) onCancel() {
	id := s.selected
	s.busy("Withdrawing the job…")
	s.run(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return s.b.CancelJob(ctx, id)
	}, func(err error) {
		if err != nil {
			s.idle("Not withdrawn: " + err.Error())
			return
		}
		s.idle("Withdrawal sent; the escrow comes back once a block holds it.")
		s.Refresh()
	})
}

// jobLine is the second line of a job in the list.
func jobLine(j JobView) string {
	var parts []string
	if !j.Opened.IsZero() {
		parts = append(parts, j.Opened.Local().Format(time.DateTime))
	}
	switch {
	case j.LastError != "":
		parts = append(parts, j.LastError)
	case j.Reason != "":
		parts = append(parts, j.Reason)
	case j.Price > 0:
		parts = append(parts, coins(j.Price)+" coins")
	}
	return strings.Join(parts, " · ")
}

// jobDetail is everything the detail pane says of a job.
func jobDetail(j JobView) string {
	lines := []string{fmt.Sprintf("%s · job %s", j.Name, short(j.ID)), "State: " + terms.State(j.Phase, j.Outcome)}
	if !j.Opened.IsZero() {
		lines = append(lines, "Opened: "+j.Opened.Local().Format(time.DateTime))
	}
	if j.Reason != "" {
		lines = append(lines, "Why it waits: "+j.Reason)
	}
	if j.Provider != "" {
		lines = append(lines, "Provider: "+j.Provider)
	}
	if j.Price > 0 {
		lines = append(lines, "Price: "+coins(j.Price)+" coins")
	}
	if j.Status != "" {
		r := map[string]string{"ok": "finished", "failed": "the module exited with an error",
			"limit": "stopped at the memory, time or output limit"}[j.Status]
		if r == "" {
			r = j.Status
		}
		lines = append(lines, "Run: "+r)
	}
	if j.Output {
		o := "Output: posted"
		if j.OutputSize > 0 {
			o = "Output: " + coins(j.OutputSize) + " bytes"
		}
		if j.Checked {
			o += ", re-executed here and it matched"
		}
		lines = append(lines, o)
	}
	if j.LastError != "" {
		lines = append(lines, "Problem: "+j.LastError)
	}
	return strings.Join(lines, "\n")
}
