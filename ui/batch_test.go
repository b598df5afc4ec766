package ui

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// The fake market's batches: batchRuns records the requests, and a batch of three
// tasks shows one done, one running after a retry and one waiting.
var fakeBatchState = map[*fakeMarket]*fakeBatches{}

type fakeBatches struct {
	runs      []BatchRequest
	batches   []BatchView
	saved     []string
	cancelled []string
}

func (m *fakeMarket) batchState() *fakeBatches {
	if b, ok := fakeBatchState[m]; ok {
		return b
	}
	prov := "dao1" + strings.Repeat("p", 38)
	b := &fakeBatches{batches: []BatchView{{ID: strings.Repeat("d", 64), Name: "wordcount", Created: time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC),
		Line: "1 done, 1 running, 1 waiting, 0 failed of 3; spent 12; 1 retried; on 2 providers", Done: 1,
		Tasks: []TaskView{{Name: "a.txt", State: "done", Provider: prov, Attempts: 1}, {Name: "b.txt", State: "running", Provider: "dao1" + strings.Repeat("r", 38), Attempts: 2},
			{Name: "c.txt", State: "waiting", Attempts: 0}}}}}
	fakeBatchState[m] = b
	return b
}

func (m *fakeMarket) RunBatch(_ context.Context, req BatchRequest) (string, error) {
	b := m.batchState()
	b.runs = append(b.runs, req)
	id := fmt.Sprintf("%064x", 100+len(b.runs))
	b.batches = append([]BatchView{{ID: id, Name: req.Job.Template, Line: "0 done, 0 running, 20 waiting, 0 failed of 20; spent 0",
		Tasks: make([]TaskView, 20)}}, b.batches...)
	return id, nil
}
func (m *fakeMarket) Batches() []BatchView {
	return append([]BatchView(nil), m.batchState().batches...)
}
func (m *fakeMarket) SaveBatchResults(_ context.Context, id, dir string) (int, []string, error) {
	b := m.batchState()
	b.saved = append(b.saved, id+" "+dir)
	return 1, []string{"a.txt"}, nil
}
func (m *fakeMarket) CancelBatch(_ context.Context, id string) error {
	b := m.batchState()
	b.cancelled = append(b.cancelled, id)
	return nil
}

// TestBuyBatch: Runs: Several times makes the form buy a batch of that many runs, which
// the Batches tab then shows; once per file of a folder needs the folder, and the
// Word count needs no input file then; a batch's results are saved to a folder and
// its untaken tasks withdrawn.
func TestBuyBatch(t *testing.T) {
	s, f, _ := newBuy(t, nil)
	fb := f.fakeMarket.batchState()
	s.Form.kind.SetSelected("Monte-Carlo π")
	s.Form.runs.mode.SetSelected(runsCount)
	if !s.Form.runs.countRow.Visible() || s.Form.runs.eachRow.Visible() {
		t.Fatal("the count row is not the one shown")
	}
	s.Form.args.SetText("{task} 1000")
	s.Form.price.SetText("20")
	for _, bad := range []string{"", "1", "1001", "ten"} {
		s.Form.runs.count.SetText(bad)
		test.Tap(s.Form.runButton)
		if len(fb.runs) != 0 || !strings.Contains(s.Form.message.Text, "the number of runs must be a whole number from 2 to 1000") {
			t.Fatalf("count %q: %d runs, message %q", bad, len(fb.runs), s.Form.message.Text)
		}
	}
	s.Form.runs.count.SetText("20")
	test.Tap(s.Form.runButton)
	want := BatchRequest{Job: JobRequest{Template: "pi", Args: []string{"{task}", "1000"}, MaxPrice: 20, Deadline: 30 * time.Minute, MemoryMiB: 256, WallTime: time.Minute}, Tasks: 20}
	if len(fb.runs) != 1 || !reflect.DeepEqual(fb.runs[0], want) || len(f.runs) != 0 {
		t.Fatalf("batch runs %+v, job runs %d; want %+v", fb.runs, len(f.runs), want)
	}
	if s.Mine.SelectedIndex() != 1 || s.Batches.selected != fb.batches[0].ID || !strings.Contains(s.Batches.line.Text, "20 waiting") {
		t.Fatalf("after the run: tab %d, selected %q, line %q", s.Mine.SelectedIndex(), s.Batches.selected, s.Batches.line.Text)
	}

	s.Form.kind.SetSelected("Word count")
	s.Form.runs.mode.SetSelected(runsEach)
	if s.Form.inputRow[1].Visible() || !s.Form.runs.eachRow.Visible() {
		t.Fatal("once per file: the Input row is shown, or the folder row is not")
	}
	test.Tap(s.Form.runButton)
	if len(fb.runs) != 1 || !strings.Contains(s.Form.message.Text, "choose the folder") {
		t.Fatalf("no folder: %d runs, message %q", len(fb.runs), s.Form.message.Text)
	}
	s.Form.runs.chooseFolder = func(got func(string)) { got("/home/me/texts") }
	s.Form.runs.pattern.SetText("*.txt")
	test.Tap(s.Form.runs.eachRow.Objects[0].(*fyne.Container).Objects[1].(*widget.Button))
	test.Tap(s.Form.runButton)
	if len(fb.runs) != 2 || fb.runs[1].Folder != "/home/me/texts" || fb.runs[1].Pattern != "*.txt" || fb.runs[1].Tasks != 0 || fb.runs[1].Job.Template != "wordcount" {
		t.Fatalf("per-file batch %+v, message %q", fb.runs, s.Form.message.Text)
	}

	s.Batches.Select(strings.Repeat("d", 64))
	if !strings.Contains(s.Batches.tasks.Text, "b.txt  running   on") || !strings.Contains(s.Batches.tasks.Text, "(2 attempts)") {
		t.Fatalf("tasks %q", s.Batches.tasks.Text)
	}
	test.AssertRendersToMarkup(t, "buy_batch.xml", fyne.CurrentApp().Driver().CanvasForObject(s.Content))
	s.Batches.chooseFolder = func(got func(string)) { got("/home/me/results") }
	test.Tap(s.Batches.save)
	if s.Batches.note.Text != "1 results saved in /home/me/results, one folder per task. Already there, left as they were: a.txt." {
		t.Fatalf("after saving: %q", s.Batches.note.Text)
	}
	test.Tap(s.Batches.cancel)
	if len(fb.saved) != 1 || fb.saved[0] != strings.Repeat("d", 64)+" /home/me/results" || len(fb.cancelled) != 1 {
		t.Fatalf("saved %q, cancelled %q", fb.saved, fb.cancelled)
	}
	if !strings.Contains(s.Batches.note.Text, "Cancelled: the tasks nobody took are withdrawn") {
		t.Fatalf("note %q", s.Batches.note.Text)
	}
}
