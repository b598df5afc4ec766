package trusteetest

import (
	"path/filepath"
	"testing"

	"github.com/daolicloud/daoli/node/devnet"
	"github.com/daolicloud/daoli/node/network"
	"github.com/daolicloud/daoli/node/trustee"
)

// TestDevnet: the binary Build makes writes a devnet of the asked size whose
// configurations load and whose network file has the asked cycle.
func TestDevnet(t *testing.T) {
	tmp := t.TempDir()
	bin := Build(t, tmp)
	dir := filepath.Join(tmp, "devnet")
	ts := Devnet(t, bin, dir, 3, Timing{Phi: "150ms", Delta: "100ms", Cycle: "400ms"})
	if len(ts) != 3 {
		t.Fatalf("%d trustees, want 3", len(ts))
	}
	for _, tr := range ts {
		cfg, err := trustee.LoadConfig(tr.Path)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.DataDir != tr.DataDir || cfg.KeyFile != tr.KeyFile {
			t.Fatalf("trustee %s: configuration %+v, its file says %+v", tr.Path, tr.Config, cfg)
		}
	}
	nf, err := network.Load(filepath.Join(dir, devnet.NetworkFile))
	if err != nil {
		t.Fatal(err)
	}
	if c := nf.Genesis.Params.CycleMs; c != 400 {
		t.Fatalf("genesis cycle %d ms, want 400", c)
	}
}
