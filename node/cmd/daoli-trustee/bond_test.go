package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/devnet"
	"github.com/daolicloud/daoli/node/trustee"
)

// TestBondAndUnbond bonds a funded key as a trustee of a running devnet with `bond`,
// which waits until the registry shows it, then asks to leave with `unbond`.
func TestBondAndUnbond(t *testing.T) {
	dir := t.TempDir()
	if _, err := devnet.Genesis(dir, 4, devnet.Options{Phi: 150 * time.Millisecond, Delta: 100 * time.Millisecond, Cycle: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d, err := devnet.Start(ctx, dir, trustee.NodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); d.Stop() })

	// The joining trustee's configuration: a funded demo user's key.
	cfg := trustee.Config{KeyFile: devnet.UserKeyFile(dir, 0), DataDir: filepath.Join(dir, "joiner"),
		Listen: []string{"/ip4/127.0.0.1/tcp/0"}, NetworkFile: filepath.Join(dir, devnet.NetworkFile)}
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "joiner.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"bond", "--config", path}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "--addr") {
		t.Fatalf("bond without an address: exit %d, %s", code, errOut.String())
	}
	out.Reset()
	errOut.Reset()
	if code := run(ctx, []string{"bond", "--config", path, "--addr", "/ip4/127.0.0.1/tcp/4999"}, &out, &errOut); code != 0 {
		t.Fatalf("bond: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "Bonded 5000") || !strings.Contains(out.String(), "joins the trustee set at block") {
		t.Fatalf("bond said: %s", out.String())
	}
	out.Reset()
	if code := run(ctx, []string{"unbond", "--config", path}, &out, &errOut); code != 0 {
		t.Fatalf("unbond: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	// A membership boundary may pass before the command's proof: then it has left.
	if !strings.Contains(out.String(), "leaves the trustee set at block") && !strings.Contains(out.String(), "left the trustee set by block") &&
		!strings.Contains(out.String(), "bond came back by block") {
		t.Fatalf("unbond said: %s", out.String())
	}
}
