package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/control"
	"github.com/daolicloud/daoli/ui"
)

var _ ui.BatchBackend = (*uiBackend)(nil)

// RunBatch buys a batch through the same path as `daoli job run --each/--tasks`: the
// job's terms from jobOrder.spec, one task per matching file or folder of the folder,
// or per index (each reading the job's input, if it has one).
func (b *uiBackend) RunBatch(ctx context.Context, req ui.BatchRequest) (string, error) {
	j := req.Job
	o := jobOrder{Template: j.Template, Module: j.Module, Input: j.Input, Args: j.Args, Env: j.Env, MaxPrice: j.MaxPrice, Deadline: j.Deadline,
		Limits: chain.DealLimits{MemoryMiB: j.MemoryMiB, WallTimeMs: uint64(j.WallTime / time.Millisecond), OutputFiles: DefaultJobOutputFiles}}
	if j.InputDir != "" && req.Folder == "" {
		var err error
		if o.Input, o.InputTree, err = ReadInput(j.InputDir); err != nil {
			return "", err
		}
	}
	spec, err := o.spec(b.s.Node.Params())
	if err != nil {
		return "", err
	}
	var inputs []string
	if req.Folder != "" {
		if inputs, err = folderFiles(req.Folder, req.Pattern); err != nil {
			return "", err
		}
	}
	name := j.Name
	if name == "" {
		name = j.Template
	}
	bs, err := batchSpec(spec, name, inputs, req.Tasks, 0)
	if err != nil {
		return "", err
	}
	id, err := b.s.Node.OpenBatch(ctx, bs)
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

// folderFiles lists the files of dir whose names match pattern, as --each does.
func folderFiles(dir, pattern string) ([]string, error) {
	if pattern == "" {
		pattern = "*"
	}
	f := batchFlags{each: filepath.Join(dir, pattern)}
	if err := f.check(""); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrJobRequest, err)
	}
	return f.inputs, nil
}

// Batches lists the wallet's batches in the view the control API serves.
func (b *uiBackend) Batches() []ui.BatchView {
	bs := b.s.Node.Batches()
	out := make([]ui.BatchView, 0, len(bs))
	for _, s := range bs {
		v := control.BatchViewOf(s)
		u := ui.BatchView{ID: v.ID.String(), Name: v.Name, Created: v.Created, Line: v.Line, Done: v.Progress.Done,
			Cancelled: v.Cancelled, Finished: v.Finished, Error: v.Error}
		for _, t := range v.Tasks {
			tv := ui.TaskView{Name: t.Name, State: t.State, Attempts: t.Attempts, Why: t.Why}
			if t.Provider != nil {
				tv.Provider = t.Provider.String()
			}
			u.Tasks = append(u.Tasks, tv)
		}
		out = append(out, u)
	}
	return out
}

// SaveBatchResults writes a batch's results under dir as `daoli job run` does.
func (b *uiBackend) SaveBatchResults(ctx context.Context, id, dir string) (int, []string, error) {
	h, err := chain.ParseHash(id)
	if err != nil {
		return 0, nil, err
	}
	s, ok := b.s.Node.BatchByID(h)
	if !ok {
		return 0, nil, fmt.Errorf("no batch %s", short(id))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, nil, err
	}
	r, err := control.WriteResults(ctx, b.s.Node, s.Batch, dir)
	return len(r.Written), r.Existed, err
}

func (b *uiBackend) CancelBatch(_ context.Context, id string) error {
	h, err := chain.ParseHash(id)
	if err != nil {
		return err
	}
	return b.s.Node.CancelBatch(h)
}

// inBatch is the set of deals the wallet's batches opened: the Jobs list leaves them
// to the Batches tab.
func (b *uiBackend) inBatch() map[chain.Hash]bool {
	out := map[chain.Hash]bool{}
	for _, s := range b.s.Node.Batches() {
		for _, t := range s.Batch.Tasks {
			for _, a := range t.Tries {
				out[a.Deal] = true
			}
		}
	}
	return out
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
