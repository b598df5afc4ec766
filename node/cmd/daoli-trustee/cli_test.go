package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/trustee"
)

func TestInitWritesKeyAndConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "t")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"init", "--dir", dir, "--listen", "/ip4/127.0.0.1/tcp/0"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	cfg, err := trustee.LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := keys.LoadKeyFile(cfg.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), k.Public().String()) {
		t.Fatalf("init did not print the trustee key:\n%s", out.String())
	}
	// A second init must not replace the key.
	if code := run(context.Background(), []string{"init", "--dir", dir}, &out, &errb); code != 1 {
		t.Fatalf("second init: exit %d", code)
	}
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	for _, args := range [][]string{nil, {"nonsense"}, {"run"}, {"devnet", "--bogus"}} {
		if code := run(context.Background(), args, &out, &errb); code != 2 {
			t.Fatalf("%v: exit %d, want 2", args, code)
		}
	}
	if code := run(context.Background(), []string{"--version"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "daoli-trustee ") {
		t.Fatalf("--version: exit %d, %q", code, out.String())
	}
}
