package peers

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// CometStep is one offered rate of the load generator and what the blocks carried.
type CometStep struct {
	Offered   float64 // transactions per second asked for
	Sent      int     // accepted by the validators' RPC
	Rejected  int
	SentRate  float64 // Sent over the step's time
	Committed int     // transactions in the step's blocks
	Rate      float64 // CommittedRate of the step's blocks
	Blocks    int
	Interval  time.Duration // median block interval during the step
	CPUPerTx  time.Duration // the four validators' CPU over the step per committed transaction
}

// Report is the run's figures, each a median; zero where a part did not run.
type Report struct {
	CometIdleP50, CometIdleP90 time.Duration // block interval with no load
	CometIdleCPUPerBlock       time.Duration // the four validators' CPU per block with no load
	CometSteps                 []CometStep
	CloseToCommitP50           float64 // ms, Daoli's 4 trustees
	CloseToCommitP90           float64
	CloseToCommitCPU           float64 // ms per epoch, all four trustees
	Batched, OneAtATime, All   float64 // Daoli transfers/s: all-batch64, one (gossip), all
	// Daoli's CPU per transfer (µs, the four trustees and the submitting clients).
	BatchedCPU, OneAtATimeCPU, AllCPU float64
	Wasm                              []WasmTimes
	Load                              map[string]string // /proc/loadavg when each part ended
}

// CometPeak is the highest committed rate over the steps.
func (r Report) CometPeak() float64 {
	peak := 0.0
	for _, s := range r.CometSteps {
		peak = max(peak, s.Rate)
	}
	return peak
}

// CometPeakCPU is the validators' CPU per committed transaction in the step of the
// highest committed rate.
func (r Report) CometPeakCPU() time.Duration {
	peak, cpu := 0.0, time.Duration(0)
	for _, s := range r.CometSteps {
		if s.Rate > peak {
			peak, cpu = s.Rate, s.CPUPerTx
		}
	}
	return cpu
}

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

// Summary is the report as text, with the ratios and whether each target is met.
func (r Report) Summary() string {
	var s strings.Builder
	if r.CometIdleP50 > 0 || len(r.CometSteps) > 0 {
		fmt.Fprintf(&s, "CometBFT %s, 4 validators, kvstore, timeout_commit 0s\n", CometVersion)
		fmt.Fprintf(&s, "  block interval, no load: p50 %s, p90 %s; CPU per block %s\n", ms(r.CometIdleP50), ms(r.CometIdleP90), ms(r.CometIdleCPUPerBlock))
		for _, st := range r.CometSteps {
			fmt.Fprintf(&s, "  offered %6.0f tx/s: sent %6.0f tx/s (%d rejected), committed %6.0f tx/s (%d txs in %d blocks, interval p50 %s), CPU %.0f µs/tx\n",
				st.Offered, st.SentRate, st.Rejected, st.Rate, st.Committed, st.Blocks, ms(st.Interval), float64(st.CPUPerTx)/1e3)
		}
		fmt.Fprintf(&s, "  peak committed: %.0f tx/s\n", r.CometPeak())
	}
	if r.CloseToCommitP50 > 0 || r.Batched > 0 {
		fmt.Fprintf(&s, "Daoli, 4 trustees\n")
		fmt.Fprintf(&s, "  close → commit: p50 %.2f ms, p90 %.2f ms, CPU per epoch %.2f ms (target p50 ≤ 2 ms: %s)\n", r.CloseToCommitP50, r.CloseToCommitP90, r.CloseToCommitCPU, met(r.CloseToCommitP50 > 0 && r.CloseToCommitP50 <= 2))
		fmt.Fprintf(&s, "  transfers: batched %.0f tx/s (target ≥ 10,000: %s), one at a time %.0f tx/s (target ≥ 5,000: %s), all one by one %.0f tx/s\n",
			r.Batched, met(r.Batched >= 10_000), r.OneAtATime, met(r.OneAtATime >= 5_000), r.All)
		fmt.Fprintf(&s, "  CPU per transfer: batched %.0f µs, one at a time %.0f µs, all one by one %.0f µs\n", r.BatchedCPU, r.OneAtATimeCPU, r.AllCPU)
	}
	if p := r.CometPeak(); p > 0 && (r.Batched > 0 || r.CloseToCommitP50 > 0) {
		fmt.Fprintf(&s, "Daoli / CometBFT\n")
		fmt.Fprintf(&s, "  round: CometBFT's block interval / Daoli's close → commit = %s\n", ratio(float64(r.CometIdleP50)/1e6, r.CloseToCommitP50))
		fmt.Fprintf(&s, "  batched: %s (target ≥ 5×: %s); one at a time: %s (target ≥ 5×: %s)\n",
			ratio(r.Batched, p), met(r.Batched >= 5*p), ratio(r.OneAtATime, p), met(r.OneAtATime >= 5*p))
		if c := r.CometPeakCPU(); c > 0 {
			fmt.Fprintf(&s, "  CPU per transaction at CometBFT's peak step: %.0f µs; CometBFT / Daoli: batched %s, one at a time %s\n",
				float64(c)/1e3, ratio(float64(c)/1e3, r.BatchedCPU), ratio(float64(c)/1e3, r.OneAtATimeCPU))
		}
	}
	if len(r.Wasm) > 0 {
		fmt.Fprintf(&s, "WebAssembly jobs, medians; Node.js %s (V8); target: Daoli within 1.2× of V8\n", nodeVersion())
		fmt.Fprintf(&s, "  %-10s %-34s %-39s %s\n", "", "wall: native | V8 | Daoli run | kept", "CPU: native | V8 | Daoli worker", "Daoli / V8: wall, CPU; V8 / native, Daoli / native (CPU)")
		for _, w := range r.Wasm {
			wall := float64(w.SandboxRun) / float64(w.Node)
			cpu := float64(w.SandboxCPU) / float64(w.NodeCPU)
			agree := ""
			if !w.OutputsAgree {
				agree = " OUTPUTS DIFFER"
			}
			fmt.Fprintf(&s, "  %-10s %s | %s | %s | %s    %s | %s | %s    %.3f× %s, %.3f× %s; %s, %s%s\n", w.Label,
				ms(w.Native), ms(w.Node), ms(w.SandboxRun), ms(w.Sandbox), ms(w.NativeCPU), ms(w.NodeCPU), ms(w.SandboxCPU),
				wall, met(wall <= 1.2), cpu, met(cpu <= 1.2),
				ratio(float64(w.NodeCPU), float64(w.NativeCPU)), ratio(float64(w.SandboxCPU), float64(w.NativeCPU)), agree)
		}
	}
	for _, k := range []string{"cometbft", "daoli", "wasm"} {
		if l, ok := r.Load[k]; ok {
			fmt.Fprintf(&s, "load average after %s: %s\n", k, l)
		}
	}
	return s.String()
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

var nodeVersionText string

func nodeVersion() string { return nodeVersionText }

// LoadAvg is the first three fields of /proc/loadavg.
func LoadAvg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
