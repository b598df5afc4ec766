package app

import (
	"path/filepath"
	"testing"

	"github.com/daolicloud/daoli/node/devnet"
	"github.com/daolicloud/daoli/node/network"
)

// TestChooseNetwork: a network file is kept in the data directory for the next start;
// what is not one is refused and changes nothing; nil goes back to the demo network.
func TestChooseNetwork(t *testing.T) {
	dir, src := t.TempDir(), t.TempDir()
	nf, err := devnet.Genesis(src, 4, devnet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := network.Encode(nf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chooseNetwork(dir, []byte(`{"name": 3}`)); err == nil || fileExists(filepath.Join(dir, ChosenNetworkFile)) {
		t.Fatalf("a bad file was chosen: %v", err)
	}
	name, err := chooseNetwork(dir, data)
	if err != nil || name == "" {
		t.Fatalf("choose: %q %v", name, err)
	}
	if f, err := network.Load(filepath.Join(dir, ChosenNetworkFile)); err != nil || f.Name != name {
		t.Fatalf("the kept file: %v", err)
	}
	// The next start joins it, unless the command line names another.
	if got := networkFileOf(dir, ""); got != filepath.Join(dir, ChosenNetworkFile) {
		t.Fatalf("a start without --network joins %q", got)
	}
	if got := networkFileOf(dir, "other.json"); got != "other.json" {
		t.Fatalf("a start with --network other.json joins %q", got)
	}
	if _, err := chooseNetwork(dir, nil); err != nil || fileExists(filepath.Join(dir, ChosenNetworkFile)) || networkFileOf(dir, "") != "" {
		t.Fatalf("back to the demo network: %v", err)
	}
	if _, err := chooseNetwork(dir, nil); err != nil {
		t.Fatalf("the demo network chosen twice: %v", err)
	}
}
