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
	paths := Devnet(t, bin, dir, 3, Timing{Phi: "150ms", Delta: "100ms", Cycle: "400ms"})
	if len(paths) != 3 {
		t.Fatalf("%d configurations, want 3", len(paths))
	}
	for _, p := range paths {
		if _, err := trustee.LoadConfig(p); err != nil {
			t.Fatal(err)
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
