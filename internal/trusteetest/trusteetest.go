// Package trusteetest runs the daoli-trustee command for end-to-end tests: it builds
// the binary and has it write a devnet, as an operator would. Only tests import it.
package trusteetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/daolicloud/daoli/node/devnet"
	"github.com/daolicloud/daoli/node/trustee"
)

// command is daoli-trustee's package.
const command = "github.com/daolicloud/daoli/node/cmd/daoli-trustee"

// Build compiles daoli-trustee, without cgo, into dir and returns the binary's path.
func Build(t testing.TB, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "daoli-trustee")
	build := exec.Command("go", "build", "-o", bin, command)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build daoli-trustee: %v\n%s", err, out)
	}
	return bin
}

// Timing is a devnet's DCC windows and genesis cycle, in daoli-trustee's flag syntax.
type Timing struct{ Phi, Delta, Cycle string }

// Fast is a timing short enough for tests, long enough for four trustee processes on
// two cores.
var Fast = Timing{Phi: "150ms", Delta: "100ms", Cycle: "300ms"}

// Trustee is one trustee of a devnet: its configuration file and what it says.
type Trustee struct {
	Path string
	*trustee.Config
}

// Devnet has the daoli-trustee binary bin write a devnet of n trustees of timing tm
// into dir, and returns its trustees in order.
func Devnet(t testing.TB, bin, dir string, n int, tm Timing) []Trustee {
	t.Helper()
	if out, err := exec.Command(bin, "devnet", "--trustees", strconv.Itoa(n), "--dir", dir,
		"--phi", tm.Phi, "--delta", tm.Delta, "--cycle", tm.Cycle).CombinedOutput(); err != nil {
		t.Fatalf("devnet: %v\n%s", err, out)
	}
	paths, err := devnet.Configs(dir)
	if err != nil {
		t.Fatal(err)
	}
	ts := make([]Trustee, len(paths))
	for i, p := range paths {
		cfg, err := trustee.LoadConfig(p)
		if err != nil {
			t.Fatal(err)
		}
		ts[i] = Trustee{Path: p, Config: cfg}
	}
	return ts
}
