package devnet

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metric reads the gauge or counter name from the Prometheus metrics a trustee serves
// at addr (its metrics_addr), as the harnesses and end-to-end tests watch real
// daoli-trustee processes. A metric with labels reads as its first sample.
func Metric(ctx context.Context, addr, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return 0, fmt.Errorf("metrics of %s: %w", addr, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("metrics of %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("metrics of %s: %s", addr, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("metrics of %s: %w", addr, err)
	}
	f := families[name]
	if f == nil || len(f.GetMetric()) == 0 {
		return 0, fmt.Errorf("metrics of %s: %w: %s", addr, ErrNoMetric, name)
	}
	m := f.GetMetric()[0]
	switch {
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue(), nil
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue(), nil
	case m.GetUntyped() != nil:
		return m.GetUntyped().GetValue(), nil
	}
	return 0, fmt.Errorf("metrics of %s: %w: %s is not a gauge or counter", addr, ErrNoMetric, name)
}

// heightWait bounds one reading of a height: a stopped (SIGSTOP) trustee accepts the
// connection and never answers, and a poll must go on to the next.
const heightWait = 2 * time.Second

// Height is the trustee's daoli_chain_height at addr, or -1 when it cannot be read
// within a couple of seconds (the process is down, stopped or starting).
func Height(addr string) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), heightWait)
	defer cancel()
	v, err := Metric(ctx, addr, "daoli_chain_height")
	if err != nil {
		return -1
	}
	return int64(v)
}
