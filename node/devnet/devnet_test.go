package devnet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/node/trustee"
)

// waitFor bounds every wait; conditions are polled, never slept on.
const waitFor = 90 * time.Second

// fast is a timing short enough for tests, long enough for four trustees on two
// cores under the race detector.
var fast = Options{Phi: 150 * time.Millisecond, Delta: 100 * time.Millisecond, Cycle: 300 * time.Millisecond, Metrics: true}

func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	nodetest.Poll(t, time.Now().Add(waitFor), what, cond)
}

func minHeight(nodes []*trustee.Node) uint64 {
	h := ^uint64(0)
	for _, n := range nodes {
		h = min(h, n.Trustee.Status().Height)
	}
	return h
}

// TestDevnetCertifies runs four trustees over loopback libp2p: they certify identical
// blocks, and with one stopped the other three keep certifying.
func TestDevnetCertifies(t *testing.T) {
	dir := t.TempDir()
	if _, err := Genesis(dir, 4, fast); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	d, err := Start(ctx, dir, trustee.NodeOptions{Logger: nodetest.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop()

	const target = 15
	poll(t, "every trustee at height 15", func() bool { return minHeight(d.Nodes) >= target })
	t.Logf("4 trustees: %d epochs in %v", target, time.Since(start).Round(time.Millisecond))
	for h := uint64(1); h <= target; h++ {
		want, err := d.Nodes[0].Store.Block(h)
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range d.Nodes[1:] {
			got, err := n.Store.Block(h)
			if err != nil {
				t.Fatal(err)
			}
			if got.Hash() != want.Hash() {
				t.Fatalf("block %d: trustee %d has %s, trustee 0 has %s", h, i+1, got.Hash().Short(), want.Hash().Short())
			}
		}
		cert, err := d.Nodes[0].Store.Cert(h)
		if err != nil {
			t.Fatal(err)
		}
		if len(cert.Sigs) < 3 {
			t.Fatalf("block %d certified by %d trustees", h, len(cert.Sigs))
		}
	}

	if err := d.Nodes[3].Stop(); err != nil {
		t.Fatal(err)
	}
	rest := d.Nodes[:3]
	from := minHeight(rest)
	stopped := time.Now()
	poll(t, "three trustees certifying 10 more epochs", func() bool { return minHeight(rest) >= from+10 })
	t.Logf("3 trustees: 10 epochs in %v", time.Since(stopped).Round(time.Millisecond))
	for h := from + 1; h <= from+10; h++ {
		cert, err := rest[0].Store.Cert(h)
		if err != nil {
			t.Fatal(err)
		}
		if len(cert.Sigs) != 3 {
			t.Fatalf("block %d certified by %d trustees, want the 3 running", h, len(cert.Sigs))
		}
	}

	// The stopped trustee restarts from its store and WAL, catches up on the blocks it
	// missed and votes again.
	paths, err := Configs(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := trustee.LoadConfig(paths[3])
	if err != nil {
		t.Fatal(err)
	}
	back, err := trustee.Start(ctx, cfg, trustee.NodeOptions{Logger: nodetest.Logger(), NoDHT: true})
	if err != nil {
		t.Fatal(err)
	}
	d.Nodes[3] = back
	lead := minHeight(rest)
	poll(t, "the restarted trustee to catch up", func() bool { return back.Trustee.Status().Height >= lead+3 })
	for h := uint64(1); h <= lead+3; h++ {
		a, err := back.Store.Block(h)
		if err != nil {
			t.Fatal(err)
		}
		b, err := rest[0].Store.Block(h)
		if err != nil {
			t.Fatal(err)
		}
		if a.Hash() != b.Hash() {
			t.Fatalf("block %d differs after the restart", h)
		}
	}
}

// TestEnsureKeepsTheNetwork checks that a second Ensure runs the devnet it made before
// (same chain, same trustees) and that the chain goes on from its stored height.
func TestEnsureKeepsTheNetwork(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	d, err := Ensure(ctx, dir, 4, fast, trustee.NodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	first := d.Nodes[0].Trustee.Key()
	poll(t, "height 3", func() bool { return minHeight(d.Nodes) >= 3 })
	if err := d.Stop(); err != nil {
		t.Fatal(err)
	}
	d, err = Ensure(ctx, dir, 4, fast, trustee.NodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	if d.Nodes[0].Trustee.Key() != first {
		t.Fatal("a second Ensure made a new network")
	}
	if h := d.Nodes[0].Trustee.Status().Height; h < 3 {
		t.Fatalf("restarted at height %d, stored 3 or more", h)
	}
	poll(t, "height 6 after the restart", func() bool { return minHeight(d.Nodes) >= 6 })
}

// TestGenesisHosts: with Hosts, each trustee listens and serves metrics on its own
// address at the fixed ports, and the network file bootstraps from those addresses;
// a host that is not an IPv4 address, or a count that does not match, is refused.
func TestGenesisHosts(t *testing.T) {
	dir := t.TempDir()
	hosts := []string{"10.9.0.2", "10.9.0.3", "10.9.0.4"}
	nf, err := Genesis(dir, 3, Options{Hosts: hosts, Metrics: true})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := Configs(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		cfg, err := trustee.LoadConfig(p)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("/ip4/%s/tcp/%d", hosts[i], HostPort); len(cfg.Listen) != 1 || cfg.Listen[0] != want {
			t.Fatalf("trustee %d listens on %v, want %s", i, cfg.Listen, want)
		}
		if want := fmt.Sprintf("%s:%d", hosts[i], HostMetricsPort); cfg.Metrics != want {
			t.Fatalf("trustee %d metrics on %q, want %s", i, cfg.Metrics, want)
		}
		if !strings.HasPrefix(nf.Bootstrap[i], cfg.Listen[0]+"/p2p/") {
			t.Fatalf("bootstrap %d is %s, want it at %s", i, nf.Bootstrap[i], cfg.Listen[0])
		}
	}
	for _, hs := range [][]string{{"10.9.0.2"}, {"10.9.0.2", "::1", "10.9.0.4"}, {"10.9.0.2", "host", "10.9.0.4"}} {
		if _, err := Genesis(t.TempDir(), 3, Options{Hosts: hs}); !errors.Is(err, ErrBadOptions) {
			t.Errorf("hosts %q: %v, want ErrBadOptions", hs, err)
		}
	}
}
