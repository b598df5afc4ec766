package control

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/light"
	"github.com/daolicloud/daoli/node/market"
)

// Market is the node's buyer side of the compute market, as the API serves it.
type Market interface {
	// RunJob opens a deal for req; templates and paths are resolved by the node.
	RunJob(ctx context.Context, req JobRequest) (chain.Hash, error)
	Jobs() []light.Job
	JobByID(id chain.Hash) (light.Job, bool)
	JobOutput(ctx context.Context, id chain.Hash) ([]byte, error)
	// JobResult fetches a posted result: its document and the outputs it names.
	JobResult(ctx context.Context, id chain.Hash) (market.Outputs, error)
	CancelJob(ctx context.Context, id chain.Hash) error
}

// JobRequest asks the node to buy a run of a job. Exactly one of Template and
// ModulePath names the module; paths are absolute, read by the node (which runs as the
// same user). InputPath is a file (the job's standard input) or a directory (packed,
// the job's /input).
type JobRequest struct {
	Template   string   `json:"template,omitempty"`
	ModulePath string   `json:"module_path,omitempty"`
	InputPath  string   `json:"input_path,omitempty"`
	Args       []string `json:"args,omitempty"`
	Env        []string `json:"env,omitempty"` // NAME=value
	MaxPrice   uint64   `json:"max_price"`
	// Deadline is how long the provider has to post a result (Go duration text);
	// empty takes the node's default.
	Deadline   string `json:"deadline,omitempty"`
	MemoryMiB  uint64 `json:"memory_mib,omitempty"`
	WallTimeMs uint64 `json:"wall_time_ms,omitempty"`
	OutputMax  uint64 `json:"output_max,omitempty"`
	// OutputFiles caps the files the job may leave in /output; 0 gives it none.
	OutputFiles uint32 `json:"output_files,omitempty"`
	// GPU says the module, or the template's GPU module, is a GPU job (a node/gpu
	// manifest) for the webgpu executor.
	GPU bool `json:"gpu,omitempty"`
}

// JobResponse names the deal a job request opened.
type JobResponse struct {
	ID chain.Hash `json:"id"`
}

// JobView is a deal this node opened.
type JobView struct {
	ID        chain.Hash    `json:"id"`
	Phase     string        `json:"phase"`             // open, accepted, posted, disputed, closed; "submitted" before it is certified
	Outcome   string        `json:"outcome,omitempty"` // how a closed deal ended
	Reason    string        `json:"reason,omitempty"`  // why no provider took it yet
	Provider  *keys.Address `json:"provider,omitempty"`
	Price     uint64        `json:"price"`             // the accepted charge; 0 before
	MaxPrice  uint64        `json:"max_price"`         // what the buyer escrowed for it
	Opened    uint64        `json:"opened"`            // height of the DealOpen
	Deadline  uint64        `json:"deadline"`          // the height by which the result is due
	Output    *chain.Hash   `json:"output,omitempty"`  // the posted result's digest
	Verdict   *chain.Hash   `json:"verdict,omitempty"` // the mediator's digest of its re-execution, after a dispute
	Status    string        `json:"status,omitempty"`  // ok, failed or limit, as the provider posted
	Checked   bool          `json:"checked"`           // re-executed here, and it matched
	Proven    uint64        `json:"proven"`            // height of the last proof; 0 before the first
	Error     string        `json:"error,omitempty"`
	Payouts   []Payout      `json:"payouts,omitempty"`
	Module    chain.Hash    `json:"module"`
	Arguments []string      `json:"args,omitempty"`
}

// Payout is a payment out of a deal's escrow.
type Payout struct {
	To     keys.Address `json:"to"`
	Amount uint64       `json:"amount"`
	Kind   string       `json:"kind"`
}

// OutputRequest asks the node to write a job's output to Path (absolute).
type OutputRequest struct {
	Path string `json:"path"`
}

// OutputResponse is the size of the output written.
type OutputResponse struct {
	Size int `json:"size"`
}

// ResultRequest asks the node to write a job's result into Dir (absolute), which must
// be empty or not exist: Dir/stdout, Dir/stderr, and the files the job left in
// /output under Dir/output.
type ResultRequest struct {
	Dir string `json:"dir"`
}

// ResultResponse is what was written.
type ResultResponse struct {
	Status string `json:"status"`           // ok, failed or limit
	Reason string `json:"reason,omitempty"` // why a run that did not end ok ended, in words
	Stdout int    `json:"stdout"`           // bytes
	Stderr int    `json:"stderr"`           // bytes
	Files  int    `json:"files"`            // files written under output/
}

// JobViewOf converts one of the light node's jobs.
func JobViewOf(j light.Job) JobView {
	d := j.Deal
	v := JobView{ID: d.ID, Phase: d.Phase.String(), Reason: d.Reason, Price: d.Price, MaxPrice: d.Open.MaxPrice,
		Opened: d.Opened, Deadline: d.Open.Deadline, Checked: j.Checked, Proven: j.Proven, Error: j.Error,
		Module: d.Open.Module, Arguments: d.Open.Args}
	if d.Phase == 0 {
		v.Phase = "submitted"
	}
	if d.Phase == chain.PhaseClosed {
		v.Outcome = d.Outcome.String()
	}
	if !d.Provider.IsZero() {
		p := d.Provider
		v.Provider = &p
	}
	if !d.Output.IsZero() {
		o := d.Output
		v.Output = &o
		v.Status = d.Status.String()
	}
	if !d.Verdict.IsZero() {
		vd := d.Verdict
		v.Verdict = &vd
	}
	for _, p := range d.Payouts {
		v.Payouts = append(v.Payouts, Payout{To: p.To, Amount: p.Amount, Kind: p.Kind.String()})
	}
	return v
}

func (h handlers) market(w http.ResponseWriter) (Market, bool) {
	if h.info.Market == nil {
		h.fail(w, fmt.Errorf("%w: %w", ErrBadRequest, light.ErrNoMarket))
		return nil, false
	}
	return h.info.Market, true
}

func (h handlers) runJob(w http.ResponseWriter, r *http.Request) {
	m, ok := h.market(w)
	if !ok {
		return
	}
	var req JobRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		h.fail(w, fmt.Errorf("%w: %v", ErrBadRequest, err))
		return
	}
	if (req.Template == "") == (req.ModulePath == "") {
		h.fail(w, fmt.Errorf("%w: name a template or a module file, not both", ErrBadRequest))
		return
	}
	for _, p := range []string{req.ModulePath, req.InputPath} {
		if p != "" && !filepath.IsAbs(p) {
			h.fail(w, fmt.Errorf("%w: path %q is not absolute", ErrBadRequest, p))
			return
		}
	}
	id, err := m.RunJob(r.Context(), req)
	if err != nil {
		h.fail(w, err)
		return
	}
	reply(w, http.StatusOK, JobResponse{ID: id})
}

func (h handlers) jobs(w http.ResponseWriter, _ *http.Request) {
	m, ok := h.market(w)
	if !ok {
		return
	}
	js := m.Jobs()
	out := make([]JobView, len(js))
	for i := range js {
		out[i] = JobViewOf(js[i])
	}
	reply(w, http.StatusOK, out)
}

func (h handlers) jobID(w http.ResponseWriter, r *http.Request) (Market, chain.Hash, bool) {
	m, ok := h.market(w)
	if !ok {
		return nil, chain.Hash{}, false
	}
	id, err := chain.ParseHash(r.PathValue("id"))
	if err != nil {
		h.fail(w, fmt.Errorf("%w: job ID: %v", ErrBadRequest, err))
		return nil, chain.Hash{}, false
	}
	return m, id, true
}

func (h handlers) job(w http.ResponseWriter, r *http.Request) {
	m, id, ok := h.jobID(w, r)
	if !ok {
		return
	}
	j, found := m.JobByID(id)
	if !found {
		h.fail(w, fmt.Errorf("%w: %s", light.ErrNoDeal, id))
		return
	}
	reply(w, http.StatusOK, JobViewOf(j))
}

func (h handlers) jobOutput(w http.ResponseWriter, r *http.Request) {
	m, id, ok := h.jobID(w, r)
	if !ok {
		return
	}
	var req OutputRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || !filepath.IsAbs(req.Path) {
		h.fail(w, fmt.Errorf("%w: an absolute output path is needed", ErrBadRequest))
		return
	}
	data, err := m.JobOutput(r.Context(), id)
	if err != nil {
		h.fail(w, err)
		return
	}
	if err := writeFileAtomic(req.Path, data); err != nil {
		h.fail(w, err)
		return
	}
	reply(w, http.StatusOK, OutputResponse{Size: len(data)})
}

func (h handlers) jobResult(w http.ResponseWriter, r *http.Request) {
	m, id, ok := h.jobID(w, r)
	if !ok {
		return
	}
	var req ResultRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || !filepath.IsAbs(req.Dir) {
		h.fail(w, fmt.Errorf("%w: an absolute directory for the result is needed", ErrBadRequest))
		return
	}
	if err := compute.EmptyDir(req.Dir); err != nil {
		h.fail(w, fmt.Errorf("%w: %w", ErrBadRequest, err))
		return
	}
	j, found := m.JobByID(id)
	if !found {
		h.fail(w, fmt.Errorf("%w: %s", light.ErrNoDeal, id))
		return
	}
	o, err := m.JobResult(r.Context(), id)
	if err != nil {
		h.fail(w, err)
		return
	}
	resp := ResultResponse{Status: j.Deal.Status.String(), Reason: o.Result.Reason, Stdout: len(o.Stdout), Stderr: len(o.Result.Stderr)}
	if resp.Files, err = WriteResult(req.Dir, o); err != nil {
		h.fail(w, fmt.Errorf("write the result: %w", err))
		return
	}
	reply(w, http.StatusOK, resp)
}

// WriteResult writes a job's result into dir, which must be empty or not exist:
// dir/stdout, dir/stderr and, when the job left an output tree, its files under
// dir/output. It returns how many files the tree held.
func WriteResult(dir string, o market.Outputs) (int, error) {
	if err := compute.EmptyDir(dir); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	if err := writeFileAtomic(filepath.Join(dir, "stdout"), o.Stdout); err != nil {
		return 0, err
	}
	if err := writeFileAtomic(filepath.Join(dir, "stderr"), o.Result.Stderr); err != nil {
		return 0, err
	}
	if o.Tree == nil {
		return 0, nil
	}
	return compute.UnpackDir(o.Tree, filepath.Join(dir, "output"))
}

func (h handlers) cancelJob(w http.ResponseWriter, r *http.Request) {
	m, id, ok := h.jobID(w, r)
	if !ok {
		return
	}
	if err := m.CancelJob(r.Context(), id); err != nil {
		h.fail(w, err)
		return
	}
	j, _ := m.JobByID(id)
	reply(w, http.StatusOK, JobViewOf(j))
}

// writeFileAtomic writes data to path through a temporary file, so a reader never sees
// half an output.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".daoli-output-*")
	if err != nil {
		return fmt.Errorf("write the output: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write the output: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write the output: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write the output: %w", err)
	}
	return nil
}

// RunJob asks the node to buy a run of a job.
func (c *Client) RunJob(ctx context.Context, req JobRequest) (JobResponse, error) {
	var r JobResponse
	return r, c.do(ctx, http.MethodPost, "/v1/jobs", req, &r)
}

// Jobs lists the node's deals, newest first.
func (c *Client) Jobs(ctx context.Context) ([]JobView, error) {
	var r []JobView
	return r, c.do(ctx, http.MethodGet, "/v1/jobs", nil, &r)
}

// Job shows one deal.
func (c *Client) Job(ctx context.Context, id chain.Hash) (JobView, error) {
	var r JobView
	return r, c.do(ctx, http.MethodGet, "/v1/jobs/"+id.String(), nil, &r)
}

// JobOutput has the node write a deal's output to path.
func (c *Client) JobOutput(ctx context.Context, id chain.Hash, path string) (OutputResponse, error) {
	var r OutputResponse
	return r, c.do(ctx, http.MethodPost, "/v1/jobs/"+id.String()+"/output", OutputRequest{Path: path}, &r)
}

// JobResult has the node write a deal's result into dir (see ResultRequest).
func (c *Client) JobResult(ctx context.Context, id chain.Hash, dir string) (ResultResponse, error) {
	var r ResultResponse
	return r, c.do(ctx, http.MethodPost, "/v1/jobs/"+id.String()+"/result", ResultRequest{Dir: dir}, &r)
}

// CancelJob withdraws a deal no provider accepted yet.
func (c *Client) CancelJob(ctx context.Context, id chain.Hash) (JobView, error) {
	var r JobView
	return r, c.do(ctx, http.MethodPost, "/v1/jobs/"+id.String()+"/cancel", nil, &r)
}
