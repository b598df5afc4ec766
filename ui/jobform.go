package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/daolicloud/daoli/node/market/terms"
)

// ownModule is the job choice that runs the user's own module.
const ownModule = "My own .wasm…"

// deadlines are the choices of how long a provider has to deliver.
var deadlines = []struct {
	label string
	d     time.Duration
}{
	{"10 minutes", 10 * time.Minute}, {"30 minutes", 30 * time.Minute}, {"1 hour", time.Hour},
	{"6 hours", 6 * time.Hour}, {"1 day", 24 * time.Hour},
}

// wallTimes are the choices of how long a run may take at most.
var wallTimes = []struct {
	label string
	d     time.Duration
}{
	{"10 seconds", 10 * time.Second}, {"1 minute", time.Minute}, {"10 minutes", 10 * time.Minute}, {"1 hour", time.Hour},
}

// Bounds of the memory cap the form takes, in MiB: what a deal may ask for.
const (
	defaultMemoryMiB = 256
	maxMemoryMiB     = 4096
)

// JobForm is the Buy tab's new-job form: a job, its files, arguments, price and
// deadline, and the Run button.
type JobForm struct {
	b         Backend
	run       Runner
	templates []JobTemplate
	started   func(id string) // the job the form just started

	kind       *widget.Select
	about      *widget.Label
	moduleRow  [2]fyne.CanvasObject
	moduleName *widget.Label
	inputRow   [2]fyne.CanvasObject
	inputName  *widget.Label
	inputClear *widget.Button
	inputFileB *widget.Button // chooses a file as the input
	inputDirB  *widget.Button // chooses a folder
	args       *widget.Entry
	env        *widget.Entry
	memory     *widget.Entry
	wallTime   *widget.Select
	price      *widget.Entry
	deadline   *widget.Select
	runButton  *widget.Button
	progress   *widget.ProgressBarInfinite
	message    *widget.Label

	// runs is the Runs row when the backend buys batches; batchStarted is told the
	// ID of each batch the form starts.
	runs         *batchChoice
	bb           BatchBackend
	batchStarted func(id string)

	module, input         []byte
	moduleFile, inputFile string
	inputDir              string // a folder chosen as the input, instead of a file

	// openFile shows the file dialog; tests replace it. got is not called when the
	// user cancels.
	openFile func(title string, exts []string, got func(name string, r io.ReadCloser))
	// openFolder shows the folder dialog; tests replace it.
	openFolder func(title string, got func(path string))

	Content *container.Scroll
}

// NewJobForm builds the new-job form, its dialogs over win; started is told the ID of each job it starts.
func NewJobForm(win fyne.Window, b Backend, run Runner, started func(id string)) *JobForm {
	s := &JobForm{b: b, run: run, started: started, templates: b.JobTemplates(), about: widget.NewLabel(""),
		moduleName: widget.NewLabel(""), inputName: widget.NewLabel(""), args: widget.NewEntry(), price: widget.NewEntry(),
		env: widget.NewMultiLineEntry(), memory: widget.NewEntry(),
		message: widget.NewLabel(""), progress: widget.NewProgressBarInfinite()}
	s.openFile = func(title string, exts []string, got func(string, io.ReadCloser)) {
		openFile(win, title, exts, s.message.SetText, got)
	}
	s.openFolder = func(title string, got func(string)) { openFolder(win, title, s.message.SetText, got) }
	s.about.Wrapping = fyne.TextWrapWord
	s.message.Wrapping = fyne.TextWrapWord
	s.moduleName.Truncation = fyne.TextTruncateEllipsis
	s.inputName.Truncation = fyne.TextTruncateEllipsis
	s.progress.Hide()

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
	s.env.SetPlaceHolder("NAME=value, one a line (optional)")
	s.env.SetMinRowsVisible(2)
	s.memory.SetText(strconv.Itoa(defaultMemoryMiB))
	labels = nil
	for _, w := range wallTimes {
		labels = append(labels, w.label)
	}
	s.wallTime = widget.NewSelect(labels, nil)
	s.wallTime.SetSelected(wallTimes[1].label)

	chooseModule := widget.NewButtonWithIcon("Choose…", theme.FolderOpenIcon(), s.chooseModule)
	s.inputFileB = widget.NewButtonWithIcon("File…", theme.FileIcon(), s.chooseInput)
	s.inputDirB = widget.NewButtonWithIcon("Folder…", theme.FolderOpenIcon(), s.chooseInputFolder)
	s.inputClear = widget.NewButtonWithIcon("", theme.ContentClearIcon(), func() { s.setInput("", nil) })
	s.moduleRow = [2]fyne.CanvasObject{formLabel("Module"), container.NewBorder(nil, nil, chooseModule, nil, s.moduleName)}
	s.inputRow = [2]fyne.CanvasObject{formLabel("Input"), container.NewBorder(nil, nil, container.NewHBox(s.inputFileB, s.inputDirB), s.inputClear, s.inputName)}
	rows := []fyne.CanvasObject{
		formLabel("Job"), s.kind,
		layout.NewSpacer(), s.about,
		s.moduleRow[0], s.moduleRow[1],
		s.inputRow[0], s.inputRow[1],
		formLabel("Arguments"), s.args,
		formLabel("Environment"), s.env,
		formLabel("Memory (MiB)"), s.memory,
		formLabel("Running time"), s.wallTime}
	if bb, ok := b.(BatchBackend); ok {
		s.bb = bb
		s.runs = newBatchChoice(win, s.message.SetText, s.runsChanged)
		rows = append(rows, formLabel("Runs"), s.runs.mode, layout.NewSpacer(), container.NewVBox(s.runs.countRow, s.runs.eachRow))
	}
	rows = append(rows, formLabel("Maximum price"), s.price, formLabel("Deadline"), s.deadline)
	form := container.New(layout.NewFormLayout(), rows...)
	s.runButton = widget.NewButtonWithIcon("Run", theme.MediaPlayIcon(), s.onRun)
	s.runButton.Importance = widget.HighImportance
	newJob := widget.NewCard("New job", "Runs on another member's computer, paid from your wallet",
		container.NewVBox(form, container.NewHBox(s.runButton), s.progress, s.message))
	s.Content = container.NewVScroll(newJob)
	if len(s.templates) > 0 {
		s.kind.SetSelectedIndex(0)
	} else {
		s.onKind("")
	}
	return s
}

func formLabel(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
}

// template returns the chosen template, or false for the user's own module.
func (s *JobForm) template() (JobTemplate, bool) {
	for _, t := range s.templates {
		if t.Title == s.kind.Selected {
			return t, true
		}
	}
	return JobTemplate{}, false
}

func (s *JobForm) onKind(choice string) {
	t, ok := s.template()
	switch {
	case ok:
		what := "Its output is text."
		switch t.OutputKind {
		case "png":
			what = "Its output is a PNG image."
		case "files":
			what = "Its output is text and files: View output lists them, Save all… saves them."
		}
		s.about.SetText(strings.TrimSpace(t.Description + " " + what))
		s.args.SetText(strings.Join(t.DefaultArgs, " "))
		setVisible(s.moduleRow[:], false)
		setVisible(s.inputRow[:], t.TakesInput || t.NeedsInput)
	case choice == ownModule:
		s.about.SetText("A WebAssembly module built for WASI preview 1 (Go with GOOS=wasip1 GOARCH=wasm, TinyGo, Rust, C). It gets no network; it reads its input (a file on standard input, or a folder under /input) and may write files to /output.")
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
	if s.runs != nil && s.runs.each() {
		setVisible(s.inputRow[:], false) // each task's input is a file of the folder
	}
	s.Content.Refresh() // rows came or went: lay the form out again
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

func (s *JobForm) showFiles() {
	s.moduleName.SetText(fileText(s.moduleFile, s.module, "no module chosen"))
	none := "none (optional)"
	if t, ok := s.template(); ok && t.NeedsInput {
		none = "none chosen yet"
	}
	s.inputName.SetText(fileText(s.inputFile, s.input, none))
	if s.inputDir != "" {
		s.inputName.SetText("folder " + s.inputDir + " (read-only under /input)")
	}
	if s.input == nil && s.inputDir == "" {
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

func (s *JobForm) chooseModule() {
	s.chooseFile("Choose a WebAssembly module", []string{".wasm"}, func(name string, data []byte) {
		s.moduleFile, s.module = name, data
		s.showFiles()
	})
}

func (s *JobForm) chooseInput() {
	s.chooseFile("Choose the job's input", nil, s.setInput)
}

func (s *JobForm) setInput(name string, data []byte) {
	s.inputFile, s.input, s.inputDir = name, data, ""
	s.showFiles()
}

func (s *JobForm) chooseInputFolder() {
	s.openFolder("Choose the job's input folder", func(path string) {
		s.inputFile, s.input, s.inputDir = "", nil, path
		s.message.SetText("")
		s.showFiles()
	})
}

// chooseFile reads the file the user picks, off the UI goroutine.
func (s *JobForm) chooseFile(title string, exts []string, use func(name string, data []byte)) {
	s.openFile(title, exts, func(name string, r io.ReadCloser) {
		var data []byte
		s.message.SetText("Reading " + name + "…")
		s.run(func() error {
			defer r.Close()
			var err error
			data, err = io.ReadAll(io.LimitReader(r, terms.MaxBlob+1))
			return err
		}, func(err error) {
			switch {
			case err != nil:
				s.message.SetText(fmt.Sprintf("%s could not be read: %v", name, err))
			case len(data) > terms.MaxBlob:
				s.message.SetText(fmt.Sprintf("%s is larger than the network carries (%s MiB); choose a smaller file.", name, coins(terms.MaxBlob>>20)))
			default:
				s.message.SetText("")
				use(name, data)
			}
		})
	})
}

// request reads the form, saying in words what to fix.
func (s *JobForm) request() (JobRequest, error) {
	var req JobRequest
	t, ok := s.template()
	switch {
	case ok:
		req.Template = t.Name
		if t.NeedsInput && s.input == nil && s.inputDir == "" && (s.runs == nil || !s.runs.each()) {
			return req, fmt.Errorf("%w: %s works on an input file or folder: choose one under Input", errInput, t.Title)
		}
		if t.TakesInput || t.NeedsInput {
			req.Input, req.InputDir = s.input, s.inputDir
		}
	case s.kind.Selected == ownModule:
		if s.module == nil {
			return req, fmt.Errorf("%w: choose your .wasm file under Module", errInput)
		}
		req.Module, req.Name, req.Input, req.InputDir = s.module, s.moduleFile, s.input, s.inputDir
	default:
		return req, fmt.Errorf("%w: choose a job to run", errInput)
	}
	req.Args = strings.Fields(s.args.Text)
	seen := map[string]bool{}
	for _, line := range strings.Split(s.env.Text, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		name, _, ok := strings.Cut(line, "=")
		switch {
		case !ok || name == "" || strings.ContainsAny(name, " \t"):
			return req, fmt.Errorf("%w: the environment line %q is not NAME=value", errInput, line)
		case seen[name]:
			return req, fmt.Errorf("%w: the environment names %s twice", errInput, name)
		}
		seen[name] = true
		req.Env = append(req.Env, line)
	}
	mem, err := strconv.ParseUint(strings.TrimSpace(s.memory.Text), 10, 64)
	if err != nil || mem == 0 || mem > maxMemoryMiB {
		return req, fmt.Errorf("%w: the memory must be a whole number of MiB from 1 to %d", errInput, maxMemoryMiB)
	}
	req.MemoryMiB = mem
	for _, w := range wallTimes {
		if w.label == s.wallTime.Selected {
			req.WallTime = w.d
		}
	}
	if req.WallTime == 0 {
		return req, fmt.Errorf("%w: choose a running time", errInput)
	}
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

func (s *JobForm) onRun() {
	req, err := s.request()
	if err != nil {
		s.message.SetText(strings.TrimPrefix(err.Error(), errInput.Error()+": "))
		return
	}
	if s.runs != nil {
		if br, isBatch, err := s.runs.request(req); isBatch {
			if err != nil {
				s.message.SetText(strings.TrimPrefix(err.Error(), errInput.Error()+": "))
			} else {
				s.runBatch(s.bb, br)
			}
			return
		}
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
			s.started(id)
		}
	})
}
