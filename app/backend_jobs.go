package app

import (
	"context"
	"slices"

	"github.com/daolicloud/daoli/node/chain"
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
}

func (b *uiBackend) JobTemplates() []ui.JobTemplate { return slices.Clone(jobTemplates) }

// ValidateModule compiles the module in the node's sandbox.
func (b *uiBackend) ValidateModule(ctx context.Context, data []byte) error {
	return b.s.Node.CheckModule(ctx, data)
}

// RunJob opens a deal through the same path as `daoli job run`, with the job's name
// remembered for the list.
func (b *uiBackend) RunJob(ctx context.Context, req ui.JobRequest) (string, error) {
	spec, err := jobOrder{Template: req.Template, Module: req.Module, Input: req.Input, Args: req.Args,
		MaxPrice: req.MaxPrice, Deadline: req.Deadline}.spec(b.s.Node.Params())
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

// Jobs lists the wallet's deals as the node last proved them.
func (b *uiBackend) Jobs() []ui.JobView {
	js := b.s.Node.Jobs()
	out := make([]ui.JobView, 0, len(js))
	for _, j := range js {
		d := j.Deal
		v := ui.JobView{ID: d.ID.String(), Name: b.names.name(d.ID, d.Open.Module), Opened: j.OpenedAt,
			Phase: d.Phase.String(), Reason: d.Reason, Price: d.Price, Output: !d.Output.IsZero(), Checked: j.Checked, LastError: j.Error}
		if d.Phase == 0 {
			v.Phase = "submitted"
		}
		if d.Phase == chain.PhaseClosed {
			v.Outcome = d.Outcome.String()
		}
		if !d.Provider.IsZero() && d.Phase != chain.PhaseOpen {
			v.Provider = d.Provider.String()
		}
		if !d.Output.IsZero() {
			v.Status = d.Status.String()
		}
		out = append(out, v)
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

func (b *uiBackend) CancelJob(ctx context.Context, id string) error {
	h, err := chain.ParseHash(id)
	if err != nil {
		return err
	}
	return b.s.Node.CancelJob(ctx, h)
}
