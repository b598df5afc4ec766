package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/control"
	"github.com/daolicloud/daoli/node/light"
	"github.com/daolicloud/daoli/ui"
)

// jobTemplates describes the example modules of assets/jobs; DefaultArgs are each
// program's own defaults, written out so the user sees what to change.
var jobTemplates = []ui.JobTemplate{
	{Name: "mandelbrot", Title: "Mandelbrot tile", Description: "Renders one tile of the Mandelbrot set. Arguments: size in pixels, iterations, then optionally the centre x y and the width.",
		DefaultArgs: []string{"256", "256"}, OutputKind: "png"},
	{Name: "pi", Title: "Monte-Carlo π", Description: "Estimates π by throwing random points at the unit square. Argument: how many points.",
		DefaultArgs: []string{"10000000"}, OutputKind: "text"},
	{Name: "hash", Title: "Hash benchmark", Description: "Chains SHA-256 over its input (empty if none) many times. Argument: how many rounds.",
		DefaultArgs: []string{"1000000"}, TakesInput: true, OutputKind: "text"},
	{Name: "wordcount", Title: "Word count", Description: "Counts the words of a text file and prints the most frequent ones. Argument: how many to print.",
		DefaultArgs: []string{"20"}, TakesInput: true, NeedsInput: true, OutputKind: "text"},
	{Name: "linestat", Title: "Line statistics (C)", Description: "Counts the lines, words and bytes of a file, or of every file of a folder, and checksums each with CRC-32; writes NAME.stat for each and summary.txt. Built from C with wasi-libc.",
		TakesInput: true, NeedsInput: true, OutputKind: "files"},
	{Name: "sortuniq", Title: "Sort and count lines (Rust)", Description: "Lists the distinct lines of a file, or of every file of a folder, with how often each occurs; writes each file's counted lines and index.txt. Argument: how many to print. Built from Rust.",
		DefaultArgs: []string{"20"}, TakesInput: true, NeedsInput: true, OutputKind: "files"},
}

func (b *uiBackend) JobTemplates() []ui.JobTemplate { return slices.Clone(jobTemplates) }

// ValidateModule compiles the module in the node's sandbox.
func (b *uiBackend) ValidateModule(ctx context.Context, data []byte) error {
	return b.s.Node.CheckModule(ctx, data)
}

// RunJob opens a deal through the same path as `daoli job run`, with the job's name
// remembered for the list.
func (b *uiBackend) RunJob(ctx context.Context, req ui.JobRequest) (string, error) {
	o := jobOrder{Template: req.Template, Module: req.Module, Input: req.Input, Args: req.Args, Env: req.Env,
		MaxPrice: req.MaxPrice, Deadline: req.Deadline,
		Limits: chain.DealLimits{MemoryMiB: req.MemoryMiB, WallTimeMs: uint64(req.WallTime / time.Millisecond), OutputFiles: DefaultJobOutputFiles}}
	if req.InputDir != "" {
		var err error
		if o.Input, o.InputTree, err = ReadInput(req.InputDir); err != nil {
			return "", err
		}
	}
	spec, err := o.spec(b.s.Node.Params())
	if err != nil {
		return "", err
	}
	id, err := b.s.Node.OpenDeal(ctx, spec)
	if err != nil {
		return "", err
	}
	name := req.Name
	if name == "" {
		name = req.Template
	}
	b.names.set(id, name)
	return id.String(), nil
}

// Jobs lists the wallet's deals as the node last proved them, in the view the control
// API serves.
func (b *uiBackend) Jobs() []ui.JobView {
	js := b.s.Node.Jobs()
	out := make([]ui.JobView, 0, len(js))
	batched := b.inBatch()
	for _, j := range js {
		if batched[j.Deal.ID] {
			continue
		}
		v := control.JobViewOf(j)
		u := ui.JobView{ID: v.ID.String(), Name: b.names.name(v.ID, v.Module), Opened: j.OpenedAt, Phase: v.Phase,
			Outcome: v.Outcome, Reason: v.Reason, Price: v.Price, Status: v.Status, Output: v.Output != nil,
			Checked: v.Checked, LastError: v.Error}
		if v.Provider != nil && v.Phase != "open" {
			u.Provider = v.Provider.String() // the screen names the provider that accepted, not one merely offered the deal
		}
		out = append(out, u)
	}
	return out
}

func (b *uiBackend) JobOutput(ctx context.Context, id string) ([]byte, error) {
	h, err := chain.ParseHash(id)
	if err != nil {
		return nil, err
	}
	return b.s.Node.JobOutput(ctx, h)
}

// JobResult fetches a posted result and lists the files of its output tree.
func (b *uiBackend) JobResult(ctx context.Context, id string) (ui.JobResult, error) {
	h, err := chain.ParseHash(id)
	if err != nil {
		return ui.JobResult{}, err
	}
	j, ok := b.s.Node.JobByID(h)
	if !ok {
		return ui.JobResult{}, fmt.Errorf("%w: %s", light.ErrNoDeal, h.Short())
	}
	o, err := b.s.Node.JobResult(ctx, h)
	if err != nil {
		return ui.JobResult{}, err
	}
	r := ui.JobResult{Status: j.Deal.Status.String(), Reason: o.Result.Reason, Stdout: o.Stdout, Stderr: o.Result.Stderr}
	if o.Tree != nil {
		entries, err := compute.UnpackTree(o.Tree) // FetchOutputs checked that it unpacks
		if err != nil {
			return ui.JobResult{}, err
		}
		for _, e := range entries {
			if !e.Dir {
				r.Files = append(r.Files, ui.JobFile{Path: e.Path, Size: len(e.Data)})
			}
		}
	}
	return r, nil
}

// SaveJobResult writes a result into a new folder inside dir named after the job:
// stdout, stderr and the output files under output/, as daoli job run --out does.
func (b *uiBackend) SaveJobResult(ctx context.Context, id, dir string) (string, error) {
	h, err := chain.ParseHash(id)
	if err != nil {
		return "", err
	}
	j, ok := b.s.Node.JobByID(h)
	if !ok {
		return "", fmt.Errorf("%w: %s", light.ErrNoDeal, h.Short())
	}
	o, err := b.s.Node.JobResult(ctx, h)
	if err != nil {
		return "", err
	}
	name := b.names.name(h, j.Deal.Open.Module)
	where := filepath.Join(dir, saneName(name)+"-"+h.Short())
	if _, err := os.Lstat(where); err == nil {
		return "", fmt.Errorf("%s exists; choose another folder", where)
	}
	if _, err := control.WriteResult(where, o); err != nil {
		return "", err
	}
	return where, nil
}

// saneName keeps a job's name usable as part of a folder's name.
func saneName(s string) string {
	s = strings.TrimSuffix(s, ".wasm")
	s = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < ' ' || strings.ContainsRune(`:*?"<>|`, r) {
			return '_'
		}
		return r
	}, s)
	if s == "" || s == "." || s == ".." {
		return "job"
	}
	return s
}

func (b *uiBackend) CancelJob(ctx context.Context, id string) error {
	h, err := chain.ParseHash(id)
	if err != nil {
		return err
	}
	return b.s.Node.CancelJob(ctx, h)
}
