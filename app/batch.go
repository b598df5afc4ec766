package app

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/daolicloud/daoli/node/batch"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/control"
	"github.com/daolicloud/daoli/node/light"
)

var _ control.Batcher = jobDesk{}

// RunBatch reads the files a batch request names and buys the batch: the job's terms
// as `daoli job run` makes them (jobDesk.spec), one task per input file or per index.
func (d jobDesk) RunBatch(ctx context.Context, req control.BatchRequest) (chain.Hash, error) {
	if err := req.Check(); err != nil {
		return chain.Hash{}, err
	}
	spec, err := d.spec(req.Job)
	if err != nil {
		return chain.Hash{}, fmt.Errorf("%w: %w", control.ErrBadRequest, err)
	}
	name := req.Job.Template
	if name == "" {
		name = filepath.Base(req.Job.ModulePath)
	}
	bs, err := batchSpec(spec, name, req.Inputs, req.Tasks, req.Attempts)
	if err != nil {
		return chain.Hash{}, fmt.Errorf("%w: %w", control.ErrBadRequest, err)
	}
	return d.node.OpenBatch(ctx, bs)
}

// batchSpec makes the batch of job, one task per path of inputs (a file, or a folder
// packed as the task's /input; read here), or n tasks each reading job's input;
// batch.TaskPlaceholder in the job's arguments becomes each task's index.
func batchSpec(job light.JobSpec, name string, inputs []string, n, attempts int) (light.BatchSpec, error) {
	bs := light.BatchSpec{Name: name, Job: job, Attempts: attempts}
	names := make([]string, n)
	for i := range names {
		names[i] = batch.TaskName(i, n)
	}
	if len(inputs) > 0 {
		names = batch.FileNames(inputs)
	}
	if err := batch.CheckSize(len(names)); err != nil {
		return bs, err
	}
	for i, name := range names {
		t := light.TaskSpec{Name: name, Input: job.Input, InputTree: job.InputTree, Args: batch.Args(job.Args, i)}
		if len(inputs) > 0 {
			var err error
			if t.Input, t.InputTree, err = ReadInput(inputs[i]); err != nil {
				return bs, err
			}
		}
		bs.Tasks = append(bs.Tasks, t)
	}
	return bs, nil
}

func (d jobDesk) Batches() []light.BatchStatus { return d.node.Batches() }
func (d jobDesk) BatchByID(id chain.Hash) (light.BatchStatus, bool) {
	return d.node.BatchByID(id)
}
func (d jobDesk) CancelBatch(id chain.Hash) error { return d.node.CancelBatch(id) }
