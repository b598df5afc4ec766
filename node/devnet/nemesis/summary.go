package nemesis

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// summary is the run on one screen: what was injected, what held, and how to replay.
func (r *runner) summary() string {
	cfg := r.c.cfg
	var b strings.Builder
	verdict := "HELD"
	if len(r.res.Findings) > 0 {
		verdict = fmt.Sprintf("BROKEN (%d findings)", len(r.res.Findings))
	}
	fmt.Fprintf(&b, "nemesis seed %d: %s\n", cfg.Seed, verdict)
	fmt.Fprintf(&b, "%d trustees, %d light nodes, epoch %v, faults for %v, skewed clocks %v, run %v\n",
		cfg.Trustees, cfg.Lights, cfg.epoch(), cfg.Duration, cfg.Skew, r.h.Since().Round(1e9))
	count := map[Kind]int{}
	for _, f := range r.res.Faults {
		count[f.Kind]++
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(count)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, count[k]))
	}
	fmt.Fprintf(&b, "injected: %s\n", strings.Join(parts, ", "))
	if r.diskFills > 0 {
		fmt.Fprintf(&b, "full disk: filled %d times, the trustee stopped %d times and came back each time\n", r.diskFills, r.diskStops)
	}
	if r.recovered > 0 {
		fmt.Fprintf(&b, "after the last heal (height %d): certifying again in %.1f epochs\n", r.healHeight, r.recovered.Seconds()/cfg.epoch().Seconds())
	}
	if len(r.buys) > 0 {
		fmt.Fprintf(&b, "jobs bought: %d paid, %d failed\n", r.buys["paid"], r.buys["failed"])
	}
	for _, rec := range r.h.Records() {
		switch rec.Event {
		case "stores", "supply", "ledger", "clock":
			fmt.Fprintf(&b, "  %s\n", rec.Detail)
		}
	}
	for _, f := range r.res.Findings {
		fmt.Fprintf(&b, "FINDING: %s\n", f)
	}
	fmt.Fprintf(&b, "replay: go run ./node/cmd/daoli-nemesis --seed %d --trustees %d --lights %d --duration %v", cfg.Seed, cfg.Trustees, cfg.Lights, cfg.Duration)
	if cfg.Skew {
		b.WriteString(" --skew")
	}
	b.WriteString("\n")
	return b.String()
}
