package scale

import (
	"context"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/p2p"
)

// TestRun runs 50 light nodes (a fifth of them providers) against four daoli-trustee
// processes admitting 32 light nodes each, for eight epochs, every node sending a
// transfer and proving its balance every four epochs: every light node verifies every
// certified block of the window, every transfer a trustee took arrives, every
// provider registers, and every figure of the report was measured. The 100
// connections the light nodes want (p2p.LightTrustees each) fit the 128 the trustees
// admit; a trustee that more of them rank first refuses the rest, which go on to
// another: no trustee serves more than 32, every light node is on one to
// LightTrustees trustees, none is stranded, and every light node is connected to
// other light nodes, which relay blocks to it.
func TestRun(t *testing.T) {
	bin, err := Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	const lights, epochs, maxLights = 50, 8, 32
	r, err := Run(ctx, Options{Trustees: 4, Lights: lights, Providers: 0.2, Epochs: epochs, TxEvery: 4, ProofEvery: 4,
		MaxLights: maxLights, Dir: t.TempDir(), TrusteeBin: bin, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(r.Summary())
	if err := r.Lost(); err != nil {
		t.Fatal(err)
	}
	if r.Deliveries != lights*epochs {
		t.Fatalf("%d deliveries, want %d", r.Deliveries, lights*epochs)
	}
	if r.ProvidersWanted != 10 {
		t.Fatalf("%d providers wanted, want 10", r.ProvidersWanted)
	}
	if r.Sent == 0 || r.Proofs == 0 || r.Tickets == 0 || r.BlockTxs == 0 {
		t.Fatalf("no load: %d transfers, %d proofs, %d tickets, %d transactions in blocks", r.Sent, r.Proofs, r.Tickets, r.BlockTxs)
	}
	if len(r.Trustees) != 4 {
		t.Fatalf("%d trustees measured", len(r.Trustees))
	}
	for i, ts := range r.Trustees {
		if ts.CPU <= 0 || ts.RSS == 0 || ts.LightIO <= 0 || ts.Serving == 0 || ts.Peers < ts.Serving {
			t.Fatalf("trustee %d: %+v", i, ts)
		}
		if ts.Serving > maxLights {
			t.Fatalf("trustee %d serves %d light nodes, its limit is %d", i, ts.Serving, maxLights)
		}
	}
	if r.LightTrusteesMin < 1 || r.LightTrusteesMax > p2p.LightTrustees {
		t.Fatalf("light nodes on %d to %d trustees, want 1 to %d", r.LightTrusteesMin, r.LightTrusteesMax, p2p.LightTrustees)
	}
	if r.LightPeers < 1 {
		t.Fatalf("light nodes connected to %.1f other light nodes on average: no relay", r.LightPeers)
	}
	if r.LightBytesPerEpoch <= 0 || r.LightConns < 1 || r.LightCPUPerEpoch <= 0 || r.LightRSS == 0 {
		t.Fatalf("light nodes: %.0f B/epoch, %.1f connections, %v CPU/epoch, %d B resident",
			r.LightBytesPerEpoch, r.LightConns, r.LightCPUPerEpoch, r.LightRSS)
	}
}
