package scale

import (
	"fmt"
	"strings"
	"time"
)

// Summary is the report in a few lines of text.
func (r *Report) Summary() string {
	var b strings.Builder
	o := r.Options
	ep := float64(r.Epochs())
	fmt.Fprintf(&b, "%d trustees, %d light nodes (%d providers), heights %d-%d: %d epochs in %v, load %.1f-%.1f\n",
		o.Trustees, o.Lights, r.ProvidersWanted, r.From+1, r.To, r.Epochs(), r.Wall.Round(time.Millisecond), r.LoadStart, r.LoadEnd)
	fmt.Fprintf(&b, "delivery from certification: p50 %v, p99 %v, max %v over %d; %d missing; %d light nodes connected to no trustee\n",
		ms(r.P50), ms(r.P99), ms(r.MaxDelivery), r.Deliveries, len(r.Missing), r.Stranded)
	fmt.Fprintf(&b, "intake: %.1f tickets/epoch, transfers %d taken, %d refused, %d received, %d txs in blocks (%.1f/s); proofs %d, %d failed; providers %d/%d\n",
		float64(r.Tickets)/ep, r.Sent, r.SendFailed, r.Received, r.BlockTxs, float64(r.BlockTxs)/r.Wall.Seconds(),
		r.Proofs, r.ProofFailed, r.Providers, r.ProvidersWanted)
	for i, t := range r.Trustees {
		fmt.Fprintf(&b, "trustee %d: CPU %v/epoch (%.0f%% of a core), RSS %.0f MiB, %d peers, serving %d light nodes (limit %d), %.0f B/light node/epoch, %.0f B/light node served/epoch\n",
			i, ms(time.Duration(float64(t.CPU)/ep)), 100*t.CPUShare, float64(t.RSS)/(1<<20), t.Peers, t.Serving, o.MaxLights,
			float64(t.LightIO)/float64(o.Lights)/ep, float64(t.LightIO)/float64(max(t.Serving, 1))/ep)
	}
	fmt.Fprintf(&b, "per light node: %.0f B/epoch, %.1f connections (%d to %d trustees, %.1f light nodes), CPU %v/epoch, RSS %.1f MiB (the harness process's, shared out)",
		r.LightBytesPerEpoch, r.LightConns, r.LightTrusteesMin, r.LightTrusteesMax, r.LightPeers,
		r.LightCPUPerEpoch.Round(10*time.Microsecond), float64(r.LightRSS)/(1<<20))
	return b.String()
}

// Mean trustee figures, for the tables of docs/scale.md.
func (r *Report) TrusteeMeans() (cpuPerEpoch time.Duration, share float64, rss uint64, peers float64, bytesPerLightEpoch float64) {
	n := len(r.Trustees)
	if n == 0 || r.Epochs() == 0 {
		return
	}
	var cpu time.Duration
	var io int64
	for _, t := range r.Trustees {
		cpu += t.CPU
		share += t.CPUShare
		rss += t.RSS
		peers += float64(t.Peers)
		io += t.LightIO
	}
	ep := float64(r.Epochs())
	return time.Duration(float64(cpu) / float64(n) / ep), share / float64(n), rss / uint64(n), peers / float64(n),
		float64(io) / float64(n) / float64(r.Options.Lights) / ep
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
