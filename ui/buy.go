package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// ownModule is the job choice that runs the user's own module.
const ownModule = "My own .wasm…"

// maxJobFile is the largest module, input or output the network carries
// (content.MaxBlobSize); bigger files are refused before they are read whole.
const maxJobFile = 64 << 20

// maxShownText is how much of a text output the screen draws; Save… keeps all of it.
const maxShownText = 256 << 10

// deadlines are the choices of how long a provider has to deliver.
var deadlines = []struct {
	label string
	d     time.Duration
}{
	{"10 minutes", 10 * time.Minute}, {"30 minutes", 30 * time.Minute}, {"1 hour", time.Hour},
	{"6 hours", 6 * time.Hour}, {"1 day", 24 * time.Hour},
}

// Buy runs jobs on other people's machines and shows the wallet's jobs.
type Buy struct {
	b         Backend
	run       Runner
	templates []JobTemplate

	kind       *widget.Select
	about      *widget.Label
	moduleRow  [2]fyne.CanvasObject
	moduleName *widget.Label
	inputRow   [2]fyne.CanvasObject
	inputName  *widget.Label
	inputClear *widget.Button
	args       *widget.Entry
	price      *widget.Entry
	deadline   *widget.Select
	runButton  *widget.Button
	progress   *widget.ProgressBarInfinite
	message    *widget.Label

	module, input         []byte
	moduleFile, inputFile string

	jobs     []JobView
	list     *widget.List
	selected string // the ID of the job the detail shows
	detail   *widget.Label
	view     *widget.Button
	save     *widget.Button
	cancel   *widget.Button
	working  *widget.ProgressBarInfinite
	note     *widget.Label
	output   *fyne.Container
	pane     *fyne.Container // the detail pane, laid out again when its text changes
	left     *container.Scroll
	outID    string // the job whose output is in out
	out      []byte

	// openFile and saveFile show the file dialogs; tests replace them. got is not
	// called when the user cancels.
	openFile func(title string, exts []string, got func(name string, r io.ReadCloser))
	saveFile func(name string, got func(w io.WriteCloser, where string))

	Content fyne.CanvasObject
}

// NewBuy builds the buy screen.
func NewBuy(b Backend, run Runner) *Buy {
	s := &Buy{b: b, run: run, templates: b.JobTemplates(), about: widget.NewLabel(""), moduleName: widget.NewLabel(""),
		inputName: widget.NewLabel(""), args: widget.NewEntry(), price: widget.NewEntry(), message: widget.NewLabel(""),
		progress: widget.NewProgressBarInfinite(), detail: widget.NewLabel(""), working: widget.NewProgressBarInfinite(),
		note: widget.NewLabel(""), output: container.NewStack()}
	s.openFile, s.saveFile = s.openDialog, s.saveDialog
	s.about.Wrapping = fyne.TextWrapWord
	s.message.Wrapping = fyne.TextWrapWord
	s.detail.Wrapping = fyne.TextWrapWord
	s.note.Wrapping = fyne.TextWrapWord
	s.moduleName.Truncation = fyne.TextTruncateEllipsis
	s.inputName.Truncation = fyne.TextTruncateEllipsis
	s.progress.Hide()
	s.working.Hide()

	var choices []string
	for _, t := range s.templates {
		choices = append(choices, t.Title)
	}
	s.kind = widget.NewSelect(append(choices, ownModule), s.onKind)
	s.kind.PlaceHolder = "Choose a job"
	s.args.SetPlaceHolder("separated by spaces")
	s.price.SetPlaceHolder("the most you pay for the run, in coins")
	var labels []string
	for _, d := range deadlines {
		labels = append(labels, d.label)
	}
	s.deadline = widget.NewSelect(labels, nil)
	s.deadline.SetSelected(deadlines[1].label)

	chooseModule := widget.NewButtonWithIcon("Choose…", theme.FolderOpenIcon(), s.chooseModule)
	chooseInput := widget.NewButtonWithIcon("Choose…", theme.FolderOpenIcon(), s.chooseInput)
	s.inputClear = widget.NewButtonWithIcon("", theme.ContentClearIcon(), func() { s.setInput("", nil) })
	s.moduleRow = [2]fyne.CanvasObject{formLabel("Module"), container.NewBorder(nil, nil, chooseModule, nil, s.moduleName)}
	s.inputRow = [2]fyne.CanvasObject{formLabel("Input"), container.NewBorder(nil, nil, chooseInput, s.inputClear, s.inputName)}
	form := container.New(layout.NewFormLayout(),
		formLabel("Job"), s.kind,
		layout.NewSpacer(), s.about,
		s.moduleRow[0], s.moduleRow[1],
		s.inputRow[0], s.inputRow[1],
		formLabel("Arguments"), s.args,
		formLabel("Maximum price"), s.price,
		formLabel("Deadline"), s.deadline)
	s.runButton = widget.NewButtonWithIcon("Run", theme.MediaPlayIcon(), s.onRun)
	s.runButton.Importance = widget.HighImportance
	newJob := widget.NewCard("New job", "Runs on another member's computer, paid from your wallet",
		container.NewVBox(form, container.NewHBox(s.runButton), s.progress, s.message))

	s.list = widget.NewList(func() int { return len(s.jobs) },
		func() fyne.CanvasObject {
			title := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			title.Truncation = fyne.TextTruncateEllipsis
			sub := widget.NewLabel("")
			sub.Truncation = fyne.TextTruncateEllipsis
			// The labels' own padding is space enough between the two lines.
			return container.New(layout.NewCustomPaddedVBoxLayout(-2*theme.Padding()), title, sub)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			j := s.jobs[i]
			row := o.(*fyne.Container).Objects
			row[0].(*widget.Label).SetText(j.Name + " · " + phaseText(j))
			row[1].(*widget.Label).SetText(jobLine(j))
		})
	s.list.OnSelected = func(i widget.ListItemID) {
		if i < len(s.jobs) {
			s.show(s.jobs[i].ID)
		}
	}
	s.view = widget.NewButtonWithIcon("View output", theme.VisibilityIcon(), s.onView)
	s.save = widget.NewButtonWithIcon("Save…", theme.DocumentSaveIcon(), s.onSave)
	s.cancel = widget.NewButtonWithIcon("Withdraw", theme.CancelIcon(), s.onCancel)
	s.pane = container.NewBorder(
		container.NewVBox(s.detail, container.NewHBox(s.view, s.save, s.cancel), s.working, s.note), nil, nil, nil,
		container.NewPadded(s.output))
	jobs := container.NewVSplit(s.list, s.pane)
	jobs.Offset = 0.35
	right := container.NewBorder(widget.NewLabelWithStyle("My jobs", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		nil, nil, nil, jobs)
	s.left = container.NewVScroll(newJob)
	split := container.NewHSplit(s.left, right)
	split.Offset = 0.5
	s.Content = split
	if len(s.templates) > 0 {
		s.kind.SetSelectedIndex(0)
	} else {
		s.onKind("")
	}
	s.Refresh()
	return s
}

func formLabel(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
}

// Refresh reads the wallet's jobs again, keeping the selection.
func (s *Buy) Refresh() {
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

// template returns the chosen template, or false for the user's own module.
func (s *Buy) template() (JobTemplate, bool) {
	for _, t := range s.templates {
		if t.Title == s.kind.Selected {
			return t, true
		}
	}
	return JobTemplate{}, false
}

func (s *Buy) onKind(choice string) {
	t, ok := s.template()
	switch {
	case ok:
		what := "Its output is text."
		if t.OutputKind == "png" {
			what = "Its output is a PNG image."
		}
		s.about.SetText(strings.TrimSpace(t.Description + " " + what))
		s.args.SetText(strings.Join(t.DefaultArgs, " "))
		setVisible(s.moduleRow[:], false)
		setVisible(s.inputRow[:], t.TakesInput || t.NeedsInput)
	case choice == ownModule:
		s.about.SetText("A WebAssembly module built for WASI preview 1 (Go with GOOS=wasip1 GOARCH=wasm, TinyGo, Rust, C). It gets no network and no files but its input.")
		s.args.SetText("")
		setVisible(s.moduleRow[:], true)
		setVisible(s.inputRow[:], true)
		if s.module == nil {
			s.chooseModule()
		}
	default:
		s.about.SetText("")
		setVisible(s.moduleRow[:], false)
		setVisible(s.inputRow[:], false)
	}
	s.showFiles()
	s.left.Refresh() // rows came or went: lay the form out again
}

func setVisible(objs []fyne.CanvasObject, on bool) {
	for _, o := range objs {
		if on {
			o.Show()
		} else {
			o.Hide()
		}
	}
}

func (s *Buy) showFiles() {
	s.moduleName.SetText(fileText(s.moduleFile, s.module, "no module chosen"))
	none := "none (optional)"
	if t, ok := s.template(); ok && t.NeedsInput {
		none = "none chosen yet"
	}
	s.inputName.SetText(fileText(s.inputFile, s.input, none))
	if s.input == nil {
		s.inputClear.Disable()
	} else {
		s.inputClear.Enable()
	}
}

func fileText(name string, data []byte, none string) string {
	if data == nil {
		return none
	}
	return fmt.Sprintf("%s (%s bytes)", name, coins(uint64(len(data))))
}

func (s *Buy) chooseModule() {
	s.chooseFile("Choose a WebAssembly module", []string{".wasm"}, func(name string, data []byte) {
		s.moduleFile, s.module = name, data
		s.showFiles()
	})
}

func (s *Buy) chooseInput() {
	s.chooseFile("Choose the job's input", nil, s.setInput)
}

func (s *Buy) setInput(name string, data []byte) {
	s.inputFile, s.input = name, data
	s.showFiles()
}

// chooseFile reads the file the user picks, off the UI goroutine.
func (s *Buy) chooseFile(title string, exts []string, use func(name string, data []byte)) {
	s.openFile(title, exts, func(name string, r io.ReadCloser) {
		var data []byte
		s.message.SetText("Reading " + name + "…")
		s.run(func() error {
			defer r.Close()
			var err error
			data, err = io.ReadAll(io.LimitReader(r, maxJobFile+1))
			return err
		}, func(err error) {
			switch {
			case err != nil:
				s.message.SetText(fmt.Sprintf("%s could not be read: %v", name, err))
			case len(data) > maxJobFile:
				s.message.SetText(fmt.Sprintf("%s is larger than the network carries (%s MiB); choose a smaller file.", name, coins(maxJobFile>>20)))
			default:
				s.message.SetText("")
				use(name, data)
			}
		})
	})
}

// request reads the form, saying in words what to fix.
func (s *Buy) request() (JobRequest, error) {
	var req JobRequest
	t, ok := s.template()
	switch {
	case ok:
		req.Template = t.Name
		if t.NeedsInput && s.input == nil {
			return req, fmt.Errorf("%w: %s works on an input file: choose one under Input", errInput, t.Title)
		}
		if t.TakesInput || t.NeedsInput {
			req.Input = s.input
		}
	case s.kind.Selected == ownModule:
		if s.module == nil {
			return req, fmt.Errorf("%w: choose your .wasm file under Module", errInput)
		}
		req.Module, req.Name, req.Input = s.module, s.moduleFile, s.input
	default:
		return req, fmt.Errorf("%w: choose a job to run", errInput)
	}
	req.Args = strings.Fields(s.args.Text)
	price, err := strconv.ParseUint(strings.ReplaceAll(strings.TrimSpace(s.price.Text), ",", ""), 10, 64)
	if err != nil || price == 0 {
		return req, fmt.Errorf("%w: the maximum price must be a whole number of coins above 0", errInput)
	}
	if n := s.b.Node(); n.BalanceAt > 0 && price > n.Balance {
		return req, fmt.Errorf("%w: the maximum price of %s coins is more than your balance of %s", errInput, coins(price), coins(n.Balance))
	}
	req.MaxPrice = price
	for _, d := range deadlines {
		if d.label == s.deadline.Selected {
			req.Deadline = d.d
		}
	}
	if req.Deadline == 0 {
		return req, fmt.Errorf("%w: choose a deadline", errInput)
	}
	return req, nil
}

// errModule marks a module the backend refused.
type errModule struct{ err error }

func (e errModule) Error() string { return e.err.Error() }

func (s *Buy) onRun() {
	req, err := s.request()
	if err != nil {
		s.message.SetText(strings.TrimPrefix(err.Error(), errInput.Error()+": "))
		return
	}
	s.runButton.Disable()
	s.progress.Show()
	s.message.SetText("Uploading the job and opening the deal…")
	var id string
	s.run(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if req.Module != nil {
			if err := s.b.ValidateModule(ctx, req.Module); err != nil {
				return errModule{err}
			}
		}
		var err error
		id, err = s.b.RunJob(ctx, req)
		return err
	}, func(err error) {
		s.runButton.Enable()
		s.progress.Hide()
		var bad errModule
		switch {
		case errors.As(err, &bad):
			s.message.SetText(fmt.Sprintf("%s cannot run: %v. Choose a module built for WASI preview 1, such as Go with GOOS=wasip1 GOARCH=wasm.", s.moduleFile, bad.err))
		case err != nil:
			s.message.SetText("Not started: " + err.Error())
		default:
			s.message.SetText(fmt.Sprintf("Job %s is sent; My jobs follows it.", short(id)))
			s.selected = id
			s.Refresh()
		}
	})
}

// show puts the job id in the detail pane, or clears it.
func (s *Buy) show(id string) {
	if id != s.selected {
		s.selected = id
		s.note.SetText("")
	}
	if id != s.outID {
		s.outID, s.out = "", nil
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
		s.cancel.Disable()
		return
	}
	s.detail.SetText(jobDetail(j))
	busy := s.working.Visible()
	enable(s.view, j.Output && !busy)
	enable(s.save, j.Output && !busy)
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
func (s *Buy) busy(text string) {
	s.note.SetText(text)
	s.working.Show()
	s.pane.Refresh()
	s.view.Disable()
	s.save.Disable()
	s.cancel.Disable()
}

func (s *Buy) idle(note string) {
	s.working.Hide()
	s.note.SetText(note)
	s.show(s.selected)
	s.pane.Refresh()
}

// fetch gets the selected job's output, then calls use with it on the UI goroutine.
func (s *Buy) fetch(use func(data []byte)) {
	id := s.selected
	if s.outID == id && s.out != nil {
		use(s.out)
		return
	}
	s.busy("Fetching the output…")
	var data []byte
	s.run(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var err error
		data, err = s.b.JobOutput(ctx, id)
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
		s.outID, s.out = id, data
		use(data)
	})
}

func (s *Buy) onView() { s.fetch(s.showOutput) }

// showOutput draws a PNG as an image and anything else as text when it is text.
func (s *Buy) showOutput(data []byte) {
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

func (s *Buy) onSave() {
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

func (s *Buy) onCancel() {
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

// window is the window the screen is in, for dialogs.
func (s *Buy) window() fyne.Window { return windowOf(s.Content) }

// windowOf is the window showing o; nil when none does.
func windowOf(o fyne.CanvasObject) fyne.Window {
	d := fyne.CurrentApp().Driver()
	c := d.CanvasForObject(o)
	for _, w := range d.AllWindows() {
		if w.Canvas() == c {
			return w
		}
	}
	return nil
}

func (s *Buy) openDialog(title string, exts []string, got func(name string, r io.ReadCloser)) {
	w := s.window()
	if w == nil {
		return
	}
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			s.message.SetText("The file could not be opened: " + err.Error())
			return
		}
		if r != nil {
			got(r.URI().Name(), r)
		}
	}, w)
	d.SetTitleText(title)
	if len(exts) > 0 {
		d.SetFilter(storage.NewExtensionFileFilter(exts))
	}
	d.Show()
}

func (s *Buy) saveDialog(name string, got func(w io.WriteCloser, where string)) {
	w := s.window()
	if w == nil {
		return
	}
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil {
			s.note.SetText("The file could not be created: " + err.Error())
			return
		}
		if wc != nil {
			got(wc, wc.URI().Path())
		}
	}, w)
	d.SetFileName(name)
	d.Show()
}

// phaseText is a job's state in words.
func phaseText(j JobView) string {
	switch j.Phase {
	case "submitted":
		return "submitted, waiting for a block"
	case "open":
		return "waiting for a provider"
	case "accepted":
		return "running on a provider"
	case "posted":
		return "result posted"
	case "disputed":
		return "disputed: a mediator re-executes it"
	case "closed":
		if w, ok := outcomes[j.Outcome]; ok {
			return "closed: " + w
		}
		return strings.TrimSpace("closed " + j.Outcome)
	}
	return j.Phase
}

// outcomes says how a closed deal ended, after the chain's rules.
var outcomes = map[string]string{
	"paid":           "paid",
	"withdrawn":      "withdrawn, the escrow came back",
	"provider-late":  "no result in time, the provider's deposit came to you",
	"buyer-late":     "not accepted in time, the provider was paid",
	"provider-fined": "the result was wrong, the provider was fined",
	"buyer-fined":    "the result was right, your deposit went to the provider",
	"mediator-late":  "no verdict in time, every deposit came back",
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
	lines := []string{fmt.Sprintf("%s · job %s", j.Name, short(j.ID)), "State: " + phaseText(j)}
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
