package control

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/daolicloud/daoli/node/batch"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/light"
	"github.com/daolicloud/daoli/node/market"
)

// fakeBatcher records the batch requests that reach it and serves one batch.
type fakeBatcher struct {
	fakeMarket
	batches   []BatchRequest
	b         *batch.Batch
	cancelled bool
}

func (m *fakeBatcher) RunBatch(_ context.Context, req BatchRequest) (chain.Hash, error) {
	m.batches = append(m.batches, req)
	return chain.Hash{2}, nil
}
func (m *fakeBatcher) Batches() []light.BatchStatus {
	if m.b == nil {
		return nil
	}
	return []light.BatchStatus{{Batch: m.b}}
}
func (m *fakeBatcher) BatchByID(id chain.Hash) (light.BatchStatus, bool) {
	if m.b == nil || id != m.b.ID {
		return light.BatchStatus{}, false
	}
	return light.BatchStatus{Batch: m.b}, true
}
func (m *fakeBatcher) CancelBatch(chain.Hash) error { m.b.Cancelled = true; return nil }
func (m *fakeBatcher) JobResult(_ context.Context, id chain.Hash) (market.Outputs, error) {
	o := market.Outputs{Stdout: []byte("output of " + id.Short())}
	o.Result.Stderr = []byte("warnings of " + id.Short())
	return o, nil
}

func TestBatchRequests(t *testing.T) {
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{`{"job":{"template":"pi","max_price":10},"tasks":20}`, true},
		{`{"job":{"template":"pi","max_price":10},"inputs":["/a.txt","/b.txt"],"attempts":2}`, true},
		{`{"job":{"template":"pi","max_price":10}}`, false},                                   // no tasks
		{`{"job":{"template":"pi","max_price":10},"tasks":1001}`, false},                      // too many
		{`{"job":{"template":"pi","max_price":10},"tasks":-1}`, false},                        // negative
		{`{"job":{"template":"pi","max_price":10},"tasks":2,"inputs":["/a"]}`, false},         // both
		{`{"job":{"template":"pi","max_price":10},"inputs":["rel.txt"]}`, false},              // relative
		{`{"job":{"template":"pi","input_path":"/x","max_price":10},"tasks":2}`, true},        // shared input
		{`{"job":{"template":"pi","input_path":"/x","max_price":10},"inputs":["/a"]}`, false}, // two inputs
		{`{"job":{"template":"pi","input_path":"x","max_price":10},"tasks":2}`, false},        // relative input
		{`{"job":{"max_price":10},"tasks":2}`, false},                                         // no module
		{`{"job":{"template":"pi","max_price":10},"tasks":2,"attempts":11}`, false},           // attempts
		{`{"job":{"template":"pi","max_price":10},"tasks":2,"bogus":1}`, false},               // unknown field
		{`{"job":{"module_path":"rel.wasm","max_price":10},"tasks":2}`, false},                // relative module
	} {
		m := &fakeBatcher{}
		rec := httptest.NewRecorder()
		newHandlers(&fakeBackend{}, Info{Market: m}, nil).runBatch(rec, httptest.NewRequest("POST", "/v1/batches", strings.NewReader(tc.body)))
		if tc.ok != (rec.Code == 200) || tc.ok != (len(m.batches) == 1) {
			t.Errorf("%s: status %d, %d batches, body %s", tc.body, rec.Code, len(m.batches), rec.Body)
		}
	}
	rec := httptest.NewRecorder()
	newHandlers(&fakeBackend{}, Info{Market: &fakeMarket{}}, nil).runBatch(rec, httptest.NewRequest("POST", "/v1/batches", strings.NewReader(`{"job":{"template":"pi","max_price":1},"tasks":2}`)))
	if rec.Code != 400 {
		t.Errorf("a market without batches: status %d", rec.Code)
	}
}

func FuzzBatchRequestBody(f *testing.F) {
	f.Add([]byte(`{"job":{"template":"pi","max_price":10},"tasks":20}`))
	f.Add([]byte(`{"job":{"module_path":"/m.wasm","max_price":10},"inputs":["/a","/b"]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m := &fakeBatcher{}
		rec := httptest.NewRecorder()
		newHandlers(&fakeBackend{}, Info{Market: m}, nil).runBatch(rec, httptest.NewRequest("POST", "/v1/batches", strings.NewReader(string(body))))
		if rec.Code != 200 && rec.Code != 400 {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		if rec.Code == 200 && (len(m.batches) != 1 || m.batches[0].Check() != nil) {
			t.Fatalf("a request that does not check reached the node: %q", body)
		}
	})
}

// TestBatchResults: a batch's view counts its tasks, and its results land one folder
// per task, the tasks without a result named as missing.
func TestBatchResults(t *testing.T) {
	b := &batch.Batch{ID: chain.Hash{7}, Name: "pi", Attempts: 2, Tasks: []batch.Task{{Name: "a.txt"}, {Name: "b.txt"}}}
	b.Opened(0, chain.Hash{1}, 1)
	b.Tasks[0].Tries[0].Phase, b.Tasks[0].Tries[0].Outcome = chain.PhaseClosed, chain.OutcomePaid
	b.Tasks[0].Tries[0].Status, b.Tasks[0].Tries[0].Output, b.Tasks[0].Tries[0].Spent = chain.StatusOK, chain.Hash{5}, 10
	m := &fakeBatcher{b: b}
	cl := serveTest(t, Info{Market: m})
	ctx := context.Background()
	v, err := cl.Batch(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Progress.Done != 1 || v.Progress.Waiting != 1 || v.Progress.Spent != 10 || v.Tasks[0].State != "done" || !v.Tasks[0].Result || v.Tasks[1].Result {
		t.Fatalf("view %+v", v)
	}
	dir := filepath.Join(t.TempDir(), "results")
	r, err := cl.BatchResults(ctx, b.ID, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Written, []string{"a.txt"}) || !slices.Equal(r.Missing, []string{"b.txt"}) {
		t.Fatalf("results %+v", r)
	}
	got, err := os.ReadFile(filepath.Join(dir, "a.txt", "stdout"))
	if err != nil || string(got) != "output of "+(chain.Hash{1}).Short() {
		t.Fatalf("a.txt/stdout: %q, %v", got, err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "a.txt", "stderr")); err != nil || string(got) != "warnings of "+(chain.Hash{1}).Short() {
		t.Fatalf("a.txt/stderr: %q, %v", got, err)
	}
	// A second save into the same folder: the task already there is left as it is and
	// said so, and the task whose result came since is written.
	b.Opened(1, chain.Hash{2}, 2)
	b.Tasks[1].Tries[0].Phase, b.Tasks[1].Tries[0].Outcome = chain.PhaseClosed, chain.OutcomePaid
	b.Tasks[1].Tries[0].Status, b.Tasks[1].Tries[0].Output = chain.StatusOK, chain.Hash{6}
	if err := os.WriteFile(filepath.Join(dir, "a.txt", "stdout"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err = cl.BatchResults(ctx, b.ID, dir)
	if err != nil || len(r.Written) != 1 || r.Written[0] != "b.txt" || !slices.Equal(r.Existed, []string{"a.txt"}) || len(r.Missing) != 0 {
		t.Fatalf("a second save: %+v, %v", r, err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a.txt", "stdout")); string(got) != "mine" {
		t.Fatalf("a result written over another: %q", got)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "b.txt", "stdout")); err != nil || string(got) != "output of "+(chain.Hash{2}).Short() {
		t.Fatalf("b.txt/stdout: %q, %v", got, err)
	}
	if v, err = cl.Batch(ctx, b.ID); err != nil || !slices.Equal(v.Tasks[1].Deals, []chain.Hash{{2}}) {
		t.Fatalf("the task's deals: %+v, %v", v.Tasks[1], err)
	}
	b.Tasks = append(b.Tasks, batch.Task{Name: "c.txt"})
	if v, err = cl.CancelBatch(ctx, b.ID); err != nil || !v.Cancelled || v.Progress.Cancelled != 1 {
		t.Fatalf("cancel: %+v, %v", v, err)
	}
	if _, err := cl.Batch(ctx, chain.Hash{8}); err == nil {
		t.Fatal("an unknown batch shown")
	}
}

func serveTest(t *testing.T, info Info) *Client {
	t.Helper()
	dir := t.TempDir()
	s, err := Serve(dir, &fakeBackend{}, info, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
