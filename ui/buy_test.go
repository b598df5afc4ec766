package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/daolicloud/daoli/node/market/terms"
)

// fakeMarket is the fake backend's compute market. Its zero value starts with three
// jobs, one in each kind of state the screen draws differently.
type fakeMarket struct {
	seeded    bool
	jobs      []JobView
	outputs   map[string][]byte
	runs      []JobRequest
	cancelled []string
	runErr    error
	files     map[string][]JobFile
	savedTo   []string
}

var wasmMagic = []byte("\x00asm\x01\x00\x00\x00")

func (m *fakeMarket) seed() {
	if m.seeded {
		return
	}
	m.seeded = true
	at := time.Date(2026, 11, 22, 11, 30, 0, 0, time.UTC)
	prov := "dao1" + strings.Repeat("p", 38)
	m.jobs = []JobView{
		{ID: strings.Repeat("c", 64), Name: "pi", Opened: at.Add(20 * time.Minute), Phase: "open",
			Reason: "the price is too low: the cheapest provider that fits asks 20, the maximum price is 10"},
		{ID: strings.Repeat("b", 64), Name: "mandelbrot", Opened: at.Add(10 * time.Minute), Phase: "posted", Provider: prov,
			Price: 18, Status: "ok", Output: true},
		{ID: strings.Repeat("a", 64), Name: "wordcount", Opened: at, Phase: "closed", Outcome: "paid", Provider: prov,
			Price: 12, Status: "ok", Output: true, OutputSize: 24, Checked: true},
	}
	var tile bytes.Buffer
	if err := png.Encode(&tile, image.NewGray(image.Rect(0, 0, 8, 6))); err != nil {
		panic(err)
	}
	m.outputs = map[string][]byte{m.jobs[1].ID: tile.Bytes(), m.jobs[2].ID: []byte("the 3\nof 2\nnetwork 1\n")}
}

func (m *fakeMarket) JobTemplates() []JobTemplate {
	return []JobTemplate{
		{Name: "mandelbrot", Title: "Mandelbrot tile", Description: "Renders one tile of the Mandelbrot set.", DefaultArgs: []string{"256", "256"}, OutputKind: "png"},
		{Name: "pi", Title: "Monte-Carlo π", Description: "Estimates π.", DefaultArgs: []string{"10000000"}, OutputKind: "text"},
		{Name: "wordcount", Title: "Word count", Description: "Counts the words of a text.", DefaultArgs: []string{"20"}, TakesInput: true, NeedsInput: true, OutputKind: "text"},
	}
}

func (m *fakeMarket) ValidateModule(_ context.Context, data []byte) error {
	if !bytes.HasPrefix(data, wasmMagic) {
		return errors.New("it does not start with the WebAssembly magic bytes")
	}
	return nil
}

func (m *fakeMarket) RunJob(_ context.Context, req JobRequest) (string, error) {
	m.seed()
	if m.runErr != nil {
		return "", m.runErr
	}
	m.runs = append(m.runs, req)
	name := req.Name
	if name == "" {
		name = req.Template
	}
	id := fmt.Sprintf("%064x", len(m.runs))
	m.jobs = append([]JobView{{ID: id, Name: name, Phase: "submitted"}}, m.jobs...)
	return id, nil
}

func (m *fakeMarket) Jobs() []JobView {
	m.seed()
	return append([]JobView(nil), m.jobs...)
}

func (m *fakeMarket) JobOutput(_ context.Context, id string) ([]byte, error) {
	m.seed()
	if out, ok := m.outputs[id]; ok {
		return out, nil
	}
	return nil, errors.New("no result yet")
}

func (m *fakeMarket) JobResult(ctx context.Context, id string) (JobResult, error) {
	out, err := m.JobOutput(ctx, id)
	if err != nil {
		return JobResult{}, err
	}
	return JobResult{Status: "ok", Stdout: out, Files: m.files[id]}, nil
}

func (m *fakeMarket) SaveJobResult(_ context.Context, id, dir string) (string, error) {
	if _, ok := m.outputs[id]; !ok {
		return "", errors.New("no result yet")
	}
	m.savedTo = append(m.savedTo, dir)
	return dir + "/job-" + id[:8], nil
}

func (m *fakeMarket) CancelJob(_ context.Context, id string) error {
	m.cancelled = append(m.cancelled, id)
	return nil
}

// newBuy is the Buy screen of a fresh fake, in a window, with files served from
// files by name instead of the dialogs.
func newBuy(t *testing.T, files map[string][]byte) (*Buy, *fakeBackend, *map[string][]byte) {
	t.Helper()
	m, f, _, w := newTestMain(t)
	w.Resize(fyne.NewSize(900, 700))
	m.Tabs.SelectIndex(2)
	s := m.Buy
	saved := map[string][]byte{}
	s.Form.openFile = func(title string, exts []string, got func(string, io.ReadCloser)) {
		for name, data := range files {
			got(name, io.NopCloser(bytes.NewReader(data)))
		}
	}
	s.Jobs.saveFile = func(name string, got func(io.WriteCloser, string)) {
		got(&saveBuffer{name: name, to: saved}, "/home/me/"+name)
	}
	return s, f, &saved
}

type saveBuffer struct {
	bytes.Buffer
	name string
	to   map[string][]byte
}

func (b *saveBuffer) Close() error {
	b.to[b.name] = b.Bytes()
	return nil
}

func TestBuyFlow(t *testing.T) {
	s, f, _ := newBuy(t, nil)
	before := len(s.Jobs.jobs)
	s.Form.kind.SetSelected("Monte-Carlo π")
	if s.Form.args.Text != "10000000" || s.Form.inputRow[1].Visible() || s.Form.moduleRow[1].Visible() {
		t.Fatalf("pi: args %q, input shown %v, module shown %v", s.Form.args.Text, s.Form.inputRow[1].Visible(), s.Form.moduleRow[1].Visible())
	}
	s.Form.args.SetText("1000  2")
	s.Form.price.SetText("1,500")
	s.Form.deadline.SetSelected("1 hour")
	test.Tap(s.Form.runButton)
	want := JobRequest{Template: "pi", Args: []string{"1000", "2"}, MaxPrice: 1500, Deadline: time.Hour, MemoryMiB: 256, WallTime: time.Minute}
	if len(f.runs) != 1 || !reflect.DeepEqual(f.runs[0], want) {
		t.Fatalf("runs %+v; want %+v", f.runs, want)
	}
	if len(s.Jobs.jobs) != before+1 || s.Jobs.jobs[0].ID != s.Jobs.selected || !strings.Contains(s.Form.message.Text, "is sent") {
		t.Fatalf("%d jobs, selected %q, message %q", len(s.Jobs.jobs), s.Jobs.selected, s.Form.message.Text)
	}
	if !strings.Contains(s.Jobs.detail.Text, "State: submitted, waiting for a block") || s.Jobs.cancel.Disabled() || !s.Jobs.view.Disabled() {
		t.Fatalf("detail %q, withdraw enabled %v, view enabled %v", s.Jobs.detail.Text, !s.Jobs.cancel.Disabled(), !s.Jobs.view.Disabled())
	}
	if !s.Form.runButton.Visible() || s.Form.runButton.Disabled() || s.Form.progress.Visible() {
		t.Fatal("the run button is not back")
	}
}

func TestBuyOwnModuleAndInput(t *testing.T) {
	module := append(append([]byte(nil), wasmMagic...), 1, 2, 3)
	s, f, _ := newBuy(t, map[string][]byte{"mine.wasm": module})
	s.Form.kind.SetSelected(ownModule) // opens the file dialog at once
	if !bytes.Equal(s.Form.module, module) || !strings.Contains(s.Form.moduleName.Text, "mine.wasm (11 bytes)") {
		t.Fatalf("module %q, shown as %q", s.Form.module, s.Form.moduleName.Text)
	}
	s.Form.openFile = func(_ string, _ []string, got func(string, io.ReadCloser)) {
		got("words.txt", io.NopCloser(strings.NewReader("a b a")))
	}
	test.Tap(s.Form.inputFileB)
	s.Form.args.SetText("--top 3")
	s.Form.price.SetText("7")
	test.Tap(s.Form.runButton)
	want := JobRequest{Module: module, Name: "mine.wasm", Input: []byte("a b a"), Args: []string{"--top", "3"}, MaxPrice: 7, Deadline: 30 * time.Minute,
		MemoryMiB: 256, WallTime: time.Minute}
	if len(f.runs) != 1 || !reflect.DeepEqual(f.runs[0], want) {
		t.Fatalf("runs %+v; want %+v", f.runs, want)
	}
	if s.Jobs.jobs[0].Name != "mine.wasm" {
		t.Fatalf("newest job %+v", s.Jobs.jobs[0])
	}
}

func TestBuyRefusesBadInput(t *testing.T) {
	cases := []struct {
		name, kind, price, file string
		data                    []byte
		want                    string
	}{
		{"malformed module", ownModule, "5", "bad.wasm", []byte("not a module"), "bad.wasm cannot run: it does not start with the WebAssembly magic bytes. Choose a module built for WASI"},
		{"no module", ownModule, "5", "", nil, "choose your .wasm file under Module"},
		{"price of zero", "Monte-Carlo π", "0", "", nil, "the maximum price must be a whole number of coins above 0"},
		{"price not a number", "Monte-Carlo π", "ten", "", nil, "the maximum price must be a whole number of coins above 0"},
		{"empty price", "Monte-Carlo π", " ", "", nil, "the maximum price must be a whole number of coins above 0"},
		{"price above the balance", "Monte-Carlo π", "12401", "", nil, "more than your balance of 12,400"},
		{"missing input", "Word count", "5", "", nil, "Word count works on an input file or folder: choose one under Input"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := map[string][]byte{}
			if c.file != "" {
				files[c.file] = c.data
			}
			s, f, _ := newBuy(t, files)
			s.Form.kind.SetSelected(c.kind)
			s.Form.price.SetText(c.price)
			test.Tap(s.Form.runButton)
			if len(f.runs) != 0 || !strings.Contains(s.Form.message.Text, c.want) {
				t.Fatalf("%d runs, message %q; want none and %q", len(f.runs), s.Form.message.Text, c.want)
			}
		})
	}
}

func TestBuyTooLargeFile(t *testing.T) {
	s, _, _ := newBuy(t, nil)
	s.Form.openFile = func(_ string, _ []string, got func(string, io.ReadCloser)) {
		got("huge.bin", io.NopCloser(io.LimitReader(zeros{}, terms.MaxBlob+1)))
	}
	s.Form.kind.SetSelected("Word count")
	test.Tap(s.Form.inputFileB)
	if s.Form.input != nil || !strings.Contains(s.Form.message.Text, "huge.bin is larger than the network carries (128 MiB)") {
		t.Fatalf("input of %d bytes, message %q", len(s.Form.input), s.Form.message.Text)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestBuyOutputs(t *testing.T) {
	s, f, saved := newBuy(t, nil)
	s.Jobs.list.Select(2) // the closed wordcount job
	if !strings.Contains(s.Jobs.detail.Text, "State: closed: paid") || !strings.Contains(s.Jobs.detail.Text, "Output: 24 bytes, re-executed here and it matched") {
		t.Fatalf("detail %q", s.Jobs.detail.Text)
	}
	if !s.Jobs.cancel.Disabled() {
		t.Fatal("a closed job can be withdrawn")
	}
	test.Tap(s.Jobs.view)
	g, ok := s.Jobs.output.Objects[0].(*widget.TextGrid)
	if !ok || g.Text() != "the 3\nof 2\nnetwork 1\n" {
		t.Fatalf("output shown as %#v", s.Jobs.output.Objects)
	}
	test.AssertRendersToMarkup(t, "buy_output.xml", fyne.CurrentApp().Driver().CanvasForObject(s.Content))

	test.Tap(s.Jobs.save)
	name := "wordcount-" + strings.Repeat("a", 12) + ".txt"
	if string((*saved)[name]) != "the 3\nof 2\nnetwork 1\n" || s.Jobs.note.Text != "Saved to /home/me/"+name+"." {
		t.Fatalf("saved %q, note %q", *saved, s.Jobs.note.Text)
	}

	s.Jobs.list.Select(1) // the posted mandelbrot tile
	if len(s.Jobs.output.Objects) != 0 {
		t.Fatal("the other job's output is still shown")
	}
	test.Tap(s.Jobs.view)
	if _, ok := s.Jobs.output.Objects[0].(*canvas.Image); !ok || s.Jobs.note.Text != "A PNG image of 8 × 6 pixels, "+coins(uint64(len(f.outputs[s.Jobs.selected])))+" bytes." {
		t.Fatalf("output shown as %#v, note %q", s.Jobs.output.Objects, s.Jobs.note.Text)
	}
	test.Tap(s.Jobs.save)
	if _, ok := (*saved)["mandelbrot-"+strings.Repeat("b", 12)+".png"]; !ok {
		t.Fatalf("saved %v", *saved)
	}

	s.Jobs.list.Select(0) // the open pi job
	if !strings.Contains(s.Jobs.detail.Text, "Why it waits: the price is too low") || !s.Jobs.view.Disabled() {
		t.Fatalf("detail %q, view enabled %v", s.Jobs.detail.Text, !s.Jobs.view.Disabled())
	}
	test.Tap(s.Jobs.cancel)
	if len(f.cancelled) != 1 || f.cancelled[0] != strings.Repeat("c", 64) || !strings.Contains(s.Jobs.note.Text, "Withdrawal sent") {
		t.Fatalf("cancelled %q, note %q", f.cancelled, s.Jobs.note.Text)
	}
}

// TestBuyKeepsSelection checks that the refresh the app does every second neither
// loses the chosen job nor its output when a new job arrives on top.
func TestBuyKeepsSelection(t *testing.T) {
	s, f, _ := newBuy(t, nil)
	s.Jobs.list.Select(2)
	test.Tap(s.Jobs.view)
	f.jobs = append([]JobView{{ID: strings.Repeat("d", 64), Name: "hash", Phase: "open"}}, f.jobs...)
	s.Refresh()
	if s.Jobs.selected != strings.Repeat("a", 64) || len(s.Jobs.output.Objects) != 1 || !strings.Contains(s.Jobs.detail.Text, "wordcount") {
		t.Fatalf("selected %q, %d outputs, detail %q", s.Jobs.selected, len(s.Jobs.output.Objects), s.Jobs.detail.Text)
	}
}

// TestBuyShowsProgress holds the upload back to see the screen while it runs.
func TestBuyShowsProgress(t *testing.T) {
	s, f, _ := newBuy(t, nil)
	var pending []func()
	run := func(work func() error, done func(error)) { pending = append(pending, func() { done(work()) }) }
	s.Form.run, s.Jobs.run = run, run
	s.Form.kind.SetSelected("Mandelbrot tile")
	s.Form.price.SetText("20")
	test.Tap(s.Form.runButton)
	if len(pending) != 1 || !s.Form.runButton.Disabled() || !s.Form.progress.Visible() || !strings.Contains(s.Form.message.Text, "Uploading") {
		t.Fatalf("while running: %d pending, button disabled %v, progress %v, message %q", len(pending), s.Form.runButton.Disabled(), s.Form.progress.Visible(), s.Form.message.Text)
	}
	test.Tap(s.Form.runButton) // disabled: no second run
	pending[0]()
	if len(pending) != 1 || len(f.runs) != 1 || s.Form.runButton.Disabled() || s.Form.progress.Visible() {
		t.Fatalf("after: %d pending, %d runs, button disabled %v, progress %v", len(pending), len(f.runs), s.Form.runButton.Disabled(), s.Form.progress.Visible())
	}

	s.Jobs.list.Select(2)
	test.Tap(s.Jobs.view)
	if !s.Jobs.working.Visible() || !s.Jobs.view.Disabled() || !s.Jobs.save.Disabled() {
		t.Fatal("no progress while the output is fetched")
	}
	s.Jobs.list.Select(1) // the user moves on before the output arrives
	pending[1]()
	if s.Jobs.working.Visible() || len(s.Jobs.output.Objects) != 0 || s.Jobs.outID != "" {
		t.Fatalf("the first job's output shows for the second: %#v", s.Jobs.output.Objects)
	}
}

func TestBuyRunRefused(t *testing.T) {
	s, f, _ := newBuy(t, nil)
	f.runErr = errors.New("the compute market is not available in this build yet")
	before := len(s.Jobs.jobs)
	s.Form.price.SetText("3")
	test.Tap(s.Form.runButton)
	if s.Form.message.Text != "Not started: the compute market is not available in this build yet" || len(s.Jobs.jobs) != before || s.Form.runButton.Disabled() {
		t.Fatalf("message %q, %d jobs", s.Form.message.Text, len(s.Jobs.jobs))
	}
}

// TestBuyFolderEnvAndCaps: a folder as the input, the environment and the caps reach
// the request; a bad environment line or memory cap is refused in words.
func TestBuyFolderEnvAndCaps(t *testing.T) {
	s, f, _ := newBuy(t, nil)
	s.Form.kind.SetSelected("Word count")
	s.Form.openFolder = func(_ string, got func(string)) { got("/home/me/texts") }
	test.Tap(s.Form.inputDirB)
	if !strings.Contains(s.Form.inputName.Text, "folder /home/me/texts") || s.Form.inputClear.Disabled() {
		t.Fatalf("input shown as %q, clear enabled %v", s.Form.inputName.Text, !s.Form.inputClear.Disabled())
	}
	s.Form.env.SetText("LANG=C\n\n MODE=fast \n")
	s.Form.memory.SetText("512")
	s.Form.wallTime.SetSelected("10 minutes")
	s.Form.price.SetText("9")
	test.Tap(s.Form.runButton)
	want := JobRequest{Template: "wordcount", InputDir: "/home/me/texts", Args: []string{"20"}, Env: []string{"LANG=C", "MODE=fast"},
		MaxPrice: 9, Deadline: 30 * time.Minute, MemoryMiB: 512, WallTime: 10 * time.Minute}
	if len(f.runs) != 1 || !reflect.DeepEqual(f.runs[0], want) {
		t.Fatalf("runs %+v; want %+v", f.runs, want)
	}
	// A file chosen after the folder replaces it.
	s.Form.openFile = func(_ string, _ []string, got func(string, io.ReadCloser)) {
		got("a.txt", io.NopCloser(strings.NewReader("a")))
	}
	test.Tap(s.Form.inputFileB)
	if s.Form.inputDir != "" || string(s.Form.input) != "a" {
		t.Fatalf("input dir %q, file %q", s.Form.inputDir, s.Form.input)
	}
	for _, c := range []struct{ env, memory, want string }{
		{"NOEQUALS", "256", `the environment line "NOEQUALS" is not NAME=value`},
		{"=1", "256", `the environment line "=1" is not NAME=value`},
		{"A=1\nA=2", "256", "the environment names A twice"},
		{"", "0", "the memory must be a whole number of MiB from 1 to 4096"},
		{"", "4097", "the memory must be a whole number of MiB from 1 to 4096"},
		{"", "lots", "the memory must be a whole number of MiB from 1 to 4096"},
	} {
		s.Form.env.SetText(c.env)
		s.Form.memory.SetText(c.memory)
		test.Tap(s.Form.runButton)
		if len(f.runs) != 1 || !strings.Contains(s.Form.message.Text, c.want) {
			t.Errorf("env %q, memory %q: %d runs, message %q; want %q", c.env, c.memory, len(f.runs), s.Form.message.Text, c.want)
		}
	}
}

// TestBuyResultFiles: a result's files, standard error and reason are listed, and
// Save all writes them into a folder the user picks.
func TestBuyResultFiles(t *testing.T) {
	s, f, _ := newBuy(t, nil)
	f.seed()
	id := f.jobs[2].ID
	f.files = map[string][]JobFile{id: {{Path: "a.txt.stat", Size: 27}, {Path: "notes/c.txt.stat", Size: 1234}, {Path: "summary.txt", Size: 130}}}
	s.Jobs.list.Select(2)
	test.Tap(s.Jobs.view)
	want := "Output files (3): a.txt.stat (27 bytes), notes/c.txt.stat (1,234 bytes), summary.txt (130 bytes). Save all… writes them to a folder."
	if s.Jobs.files.Text != want {
		t.Fatalf("files shown as %q, want %q", s.Jobs.files.Text, want)
	}
	test.AssertRendersToMarkup(t, "buy_result_files.xml", fyne.CurrentApp().Driver().CanvasForObject(s.Content))
	s.Jobs.openFolder = func(_ string, got func(string)) { got("/home/me/results") }
	test.Tap(s.Jobs.saveAll)
	if len(f.savedTo) != 1 || f.savedTo[0] != "/home/me/results" || s.Jobs.note.Text != "Saved stdout, stderr and 3 output files to /home/me/results/job-aaaaaaaa." {
		t.Fatalf("saved to %v, note %q", f.savedTo, s.Jobs.note.Text)
	}
	capped := resultSummary(JobResult{Status: "limit", Reason: "wrote more than its cap of 100 bytes to /output", Stderr: []byte("linestat: write failed\nmore")})
	if capped != "The run ended limit: wrote more than its cap of 100 bytes to /output.\nStandard error, 27 bytes: linestat: write failed" {
		t.Fatalf("a capped run's summary: %q", capped)
	}
}
