package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/daolicloud/daoli/node/batch"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/light"
	"github.com/daolicloud/daoli/node/market"
)

// Batcher is the node's batches, as the API serves them; a Market that is one serves
// /v1/batches.
type Batcher interface {
	RunBatch(ctx context.Context, req BatchRequest) (chain.Hash, error)
	Batches() []light.BatchStatus
	BatchByID(id chain.Hash) (light.BatchStatus, bool)
	CancelBatch(id chain.Hash) error
	JobResult(ctx context.Context, id chain.Hash) (market.Outputs, error)
}

// BatchRequest asks the node to buy a batch: Job's module, arguments and terms for
// every task, with one task per path of Inputs (absolute; a file or a folder, the
// task's input) or Tasks tasks, each reading Job's input if it names one. batch.TaskPlaceholder in an argument
// becomes the task's index.
type BatchRequest struct {
	Job      JobRequest `json:"job"`
	Inputs   []string   `json:"inputs,omitempty"`
	Tasks    int        `json:"tasks,omitempty"`
	Attempts int        `json:"attempts,omitempty"` // deals a task gets at most; 0 takes the default
}

// maxBatchRequest bounds a batch request: MaxTasks paths of up to 4 KiB.
const maxBatchRequest = batch.MaxTasks*(4<<10) + maxRequestBody

// Check says why r is not a batch the node can run, before any file is read.
func (r BatchRequest) Check() error {
	if (r.Job.Template == "") == (r.Job.ModulePath == "") {
		return fmt.Errorf("%w: name a template or a module file, not both", ErrBadRequest)
	}
	n := r.Tasks
	if len(r.Inputs) > 0 {
		if r.Tasks != 0 {
			return fmt.Errorf("%w: give input files or a number of tasks, not both", ErrBadRequest)
		}
		if r.Job.InputPath != "" {
			return fmt.Errorf("%w: each task takes its input from its file; give the job no input", ErrBadRequest)
		}
		n = len(r.Inputs)
	}
	if err := batch.CheckSize(n); err != nil {
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	if r.Attempts < 0 || r.Attempts > batch.MaxAttempts {
		return fmt.Errorf("%w: a task gets 1 to %d attempts, not %d", ErrBadRequest, batch.MaxAttempts, r.Attempts)
	}
	for _, p := range append([]string{r.Job.ModulePath, r.Job.InputPath}, r.Inputs...) {
		if p != "" && !filepath.IsAbs(p) {
			return fmt.Errorf("%w: path %q is not absolute", ErrBadRequest, p)
		}
	}
	return nil
}

// BatchView is a batch this node bought.
type BatchView struct {
	ID        chain.Hash    `json:"id"`
	Name      string        `json:"name"`
	Created   time.Time     `json:"created"`
	Cancelled bool          `json:"cancelled"`
	Finished  bool          `json:"finished"` // nothing more will happen to it
	Progress  BatchProgress `json:"progress"`
	Line      string        `json:"line"` // the progress in a line
	Error     string        `json:"error,omitempty"`
	Tasks     []TaskView    `json:"tasks"`
}

// BatchProgress counts a batch's tasks by state, and what its closed deals cost.
type BatchProgress struct {
	Tasks     int    `json:"tasks"`
	Done      int    `json:"done"`
	Running   int    `json:"running"`
	Waiting   int    `json:"waiting"`
	Failed    int    `json:"failed"`
	Cancelled int    `json:"cancelled"`
	Retries   int    `json:"retries"`
	Spent     uint64 `json:"spent"`
	Providers int    `json:"providers"`
}

// TaskView is one task of a batch and its last deal.
type TaskView struct {
	Name     string        `json:"name"`
	State    string        `json:"state"` // waiting, running, done, failed, cancelled
	Args     []string      `json:"args,omitempty"`
	Attempts int           `json:"attempts"`
	Deal     *chain.Hash   `json:"deal,omitempty"`     // the last deal opened for it
	Deals    []chain.Hash  `json:"deals,omitempty"`    // every deal opened for it, the last one last
	Provider *keys.Address `json:"provider,omitempty"` // the provider that took the last deal
	Outcome  string        `json:"outcome,omitempty"`
	Status   string        `json:"status,omitempty"` // ok, failed or limit, as the provider posted
	Result   bool          `json:"result"`           // a result is there to save
	Why      string        `json:"why,omitempty"`    // why it failed
}

// BatchViewOf converts one of the light node's batches.
func BatchViewOf(s light.BatchStatus) BatchView {
	b := s.Batch
	p := b.Summarize()
	v := BatchView{ID: b.ID, Name: b.Name, Created: time.Unix(0, b.Created), Cancelled: b.Cancelled, Finished: b.Finished(),
		Line: p.String(), Error: s.Error, Tasks: make([]TaskView, len(b.Tasks)),
		Progress: BatchProgress{Tasks: p.Tasks, Done: p.Done, Running: p.Running, Waiting: p.Waiting, Failed: p.Failed,
			Cancelled: p.Cancelled, Retries: p.Retries, Spent: p.Spent, Providers: p.Providers}}
	for i, t := range b.Tasks {
		tv := TaskView{Name: t.Name, State: b.StateOf(i).String(), Args: t.Args, Attempts: len(t.Tries), Why: b.Why(i)}
		for _, a := range t.Tries {
			tv.Deals = append(tv.Deals, a.Deal)
		}
		if n := len(t.Tries); n > 0 {
			a := t.Tries[n-1]
			id := a.Deal
			tv.Deal = &id
			if !a.Provider.IsZero() {
				pr := a.Provider
				tv.Provider = &pr
			}
			if a.Phase == chain.PhaseClosed {
				tv.Outcome = a.Outcome.String()
			}
			if a.Status != 0 {
				tv.Status = a.Status.String()
			}
			_, tv.Result = b.Result(i)
		}
		v.Tasks[i] = tv
	}
	return v
}

// ResultsRequest asks the node to write a batch's results under Dir (absolute): one
// folder per task, named as the task, holding what WriteResult writes for one job
// (stdout, stderr and the output tree under output/).
type ResultsRequest struct {
	Dir string `json:"dir"`
}

// ResultsResponse says which tasks' results were written, which were left as they
// were because the task's folder already held something (a save before, most often),
// and which tasks had no result.
type ResultsResponse struct {
	Written []string `json:"written"`
	Existed []string `json:"existed,omitempty"`
	Missing []string `json:"missing,omitempty"`
}

func (h handlers) batcher(w http.ResponseWriter) (Batcher, bool) {
	m, ok := h.market(w)
	if !ok {
		return nil, false
	}
	b, ok := m.(Batcher)
	if !ok {
		h.fail(w, fmt.Errorf("%w: this node runs no batches", ErrBadRequest))
	}
	return b, ok
}

func (h handlers) runBatch(w http.ResponseWriter, r *http.Request) {
	m, ok := h.batcher(w)
	if !ok {
		return
	}
	var req BatchRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBatchRequest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		h.fail(w, fmt.Errorf("%w: %v", ErrBadRequest, err))
		return
	}
	if err := req.Check(); err != nil {
		h.fail(w, err)
		return
	}
	id, err := m.RunBatch(r.Context(), req)
	if errors.Is(err, batch.ErrRequest) {
		err = fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	if err != nil {
		h.fail(w, err)
		return
	}
	reply(w, http.StatusOK, JobResponse{ID: id})
}

func (h handlers) batches(w http.ResponseWriter, _ *http.Request) {
	m, ok := h.batcher(w)
	if !ok {
		return
	}
	bs := m.Batches()
	out := make([]BatchView, len(bs))
	for i := range bs {
		out[i] = BatchViewOf(bs[i])
	}
	reply(w, http.StatusOK, out)
}

func (h handlers) batchID(w http.ResponseWriter, r *http.Request) (Batcher, light.BatchStatus, bool) {
	m, ok := h.batcher(w)
	if !ok {
		return nil, light.BatchStatus{}, false
	}
	id, err := chain.ParseHash(r.PathValue("id"))
	if err != nil {
		h.fail(w, fmt.Errorf("%w: batch ID: %v", ErrBadRequest, err))
		return nil, light.BatchStatus{}, false
	}
	s, found := m.BatchByID(id)
	if !found {
		h.fail(w, fmt.Errorf("%w: batch %s", light.ErrNoDeal, id))
		return nil, light.BatchStatus{}, false
	}
	return m, s, true
}

func (h handlers) batchShow(w http.ResponseWriter, r *http.Request) {
	if _, s, ok := h.batchID(w, r); ok {
		reply(w, http.StatusOK, BatchViewOf(s))
	}
}

func (h handlers) cancelBatch(w http.ResponseWriter, r *http.Request) {
	m, s, ok := h.batchID(w, r)
	if !ok {
		return
	}
	if err := m.CancelBatch(s.Batch.ID); err != nil {
		h.fail(w, err)
		return
	}
	s, _ = m.BatchByID(s.Batch.ID)
	reply(w, http.StatusOK, BatchViewOf(s))
}

func (h handlers) batchResults(w http.ResponseWriter, r *http.Request) {
	m, s, ok := h.batchID(w, r)
	if !ok {
		return
	}
	var req ResultsRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || !filepath.IsAbs(req.Dir) {
		h.fail(w, fmt.Errorf("%w: an absolute results folder is needed", ErrBadRequest))
		return
	}
	resp, err := WriteResults(r.Context(), m, s.Batch, req.Dir)
	if err != nil {
		h.fail(w, err)
		return
	}
	reply(w, http.StatusOK, resp)
}

// WriteResults writes the results b's tasks have under dir, one folder per task, as
// the API and the Buy screen save them. A task whose folder already holds something
// is left as it is and named in Existed, and the other tasks are still written: a
// result is never written over another, and a second save into the same folder writes
// what the first could not.
func WriteResults(ctx context.Context, m interface {
	JobResult(ctx context.Context, id chain.Hash) (market.Outputs, error)
}, b *batch.Batch, dir string) (ResultsResponse, error) {
	var resp ResultsResponse
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return resp, fmt.Errorf("results folder: %w", err)
	}
	for i, t := range b.Tasks {
		a, ok := b.Result(i)
		if !ok {
			resp.Missing = append(resp.Missing, t.Name)
			continue
		}
		if err := batch.CheckName(t.Name); err != nil {
			return resp, err // a stored record passed this; never a path out of dir
		}
		switch err := compute.EmptyDir(filepath.Join(dir, t.Name)); {
		case errors.Is(err, compute.ErrDirNotEmpty):
			resp.Existed = append(resp.Existed, t.Name)
			continue
		case err != nil:
			return resp, fmt.Errorf("task %s: %w", t.Name, err)
		}
		o, err := m.JobResult(ctx, a.Deal)
		if err != nil {
			return resp, fmt.Errorf("task %s: %w", t.Name, err)
		}
		if _, err := WriteResult(filepath.Join(dir, t.Name), o); err != nil {
			return resp, fmt.Errorf("task %s: %w", t.Name, err)
		}
		resp.Written = append(resp.Written, t.Name)
	}
	return resp, nil
}

// RunBatch asks the node to buy a batch.
func (c *Client) RunBatch(ctx context.Context, req BatchRequest) (JobResponse, error) {
	var r JobResponse
	return r, c.do(ctx, http.MethodPost, "/v1/batches", req, &r)
}

// Batches lists the node's batches, newest first.
func (c *Client) Batches(ctx context.Context) ([]BatchView, error) {
	var r []BatchView
	return r, c.do(ctx, http.MethodGet, "/v1/batches", nil, &r)
}

// Batch shows one batch.
func (c *Client) Batch(ctx context.Context, id chain.Hash) (BatchView, error) {
	var r BatchView
	return r, c.do(ctx, http.MethodGet, "/v1/batches/"+id.String(), nil, &r)
}

// CancelBatch cancels a batch: the tasks nobody took are withdrawn.
func (c *Client) CancelBatch(ctx context.Context, id chain.Hash) (BatchView, error) {
	var r BatchView
	return r, c.do(ctx, http.MethodPost, "/v1/batches/"+id.String()+"/cancel", nil, &r)
}

// BatchResults has the node write a batch's results under dir.
func (c *Client) BatchResults(ctx context.Context, id chain.Hash, dir string) (ResultsResponse, error) {
	var r ResultsResponse
	return r, c.do(ctx, http.MethodPost, "/v1/batches/"+id.String()+"/results", ResultsRequest{Dir: dir}, &r)
}
