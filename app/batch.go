package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/daolicloud/daoli/node/batch"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/control"
	"github.com/daolicloud/daoli/node/light"
	"github.com/daolicloud/daoli/node/market/terms"
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

// batchSpec makes the batch of job, one task per file of inputs (read here), or n
// tasks without input; batch.TaskPlaceholder in the job's arguments becomes each
// task's index.
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
		t := light.TaskSpec{Name: name, Args: batch.Args(job.Args, i)}
		if len(inputs) > 0 {
			data, err := readInput(inputs[i])
			if err != nil {
				return bs, err
			}
			t.Input = data
		}
		bs.Tasks = append(bs.Tasks, t)
	}
	return bs, nil
}

// readInput reads one task's input file, refusing one over the content store's blob
// limit before reading it whole.
func readInput(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: read the input: %w", ErrJobRequest, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: input %s is not a file", ErrJobRequest, path)
	}
	if st.Size() > terms.MaxBlob {
		return nil, fmt.Errorf("%w: input %s is %d bytes, over the limit of %d", ErrJobRequest, path, st.Size(), terms.MaxBlob)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: read the input: %w", ErrJobRequest, err)
	}
	return data, nil
}

func (d jobDesk) Batches() []light.BatchStatus { return d.node.Batches() }
func (d jobDesk) BatchByID(id chain.Hash) (light.BatchStatus, bool) {
	return d.node.BatchByID(id)
}
func (d jobDesk) CancelBatch(id chain.Hash) error { return d.node.CancelBatch(id) }
