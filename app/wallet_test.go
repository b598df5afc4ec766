package app

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestWalletCommands(t *testing.T) {
	t.Setenv(PassphraseEnv, "first passphrase")
	a, b := t.TempDir(), t.TempDir()

	code, out, errOut := runCLI(t, "wallet", "new", "--data", a, "--json")
	if code != 0 {
		t.Fatalf("new: %d %s", code, errOut)
	}
	var made struct{ Address, File string }
	if err := json.Unmarshal([]byte(out), &made); err != nil || !strings.HasPrefix(made.Address, "dao1") {
		t.Fatalf("new --json: %q, %v", out, err)
	}
	if fi, err := os.Stat(filepath.Join(a, WalletFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("wallet file: %v %v", fi, err)
	}
	if code, _, errOut := runCLI(t, "wallet", "new", "--data", a); code != 1 || !strings.Contains(errOut, "already holds a wallet") {
		t.Fatalf("second new: %d %s", code, errOut)
	}
	if code, out, _ := runCLI(t, "wallet", "address", "--data", a); code != 0 || strings.TrimSpace(out) != made.Address {
		t.Fatalf("address: %d %q", code, out)
	}

	backup := filepath.Join(t.TempDir(), "backup.json")
	if code, _, errOut := runCLI(t, "wallet", "export", "--data", a, "--out", backup); code != 0 {
		t.Fatalf("export: %s", errOut)
	}
	t.Setenv(PassphraseEnv, "wrong")
	if code, _, errOut := runCLI(t, "wallet", "export", "--data", a); code != 1 || !strings.Contains(errOut, "passphrase") {
		t.Fatalf("export with a wrong passphrase: %d %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "wallet", "import", backup, "--data", b); code != 1 || !strings.Contains(errOut, "passphrase") {
		t.Fatalf("import with a wrong passphrase: %d %s", code, errOut)
	}
	t.Setenv(PassphraseEnv, "first passphrase")
	if code, _, errOut := runCLI(t, "wallet", "import", backup, "--data", b); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	if code, out, _ := runCLI(t, "wallet", "address", "--data", b, "--json"); code != 0 || !strings.Contains(out, made.Address) {
		t.Fatalf("imported address: %q", out)
	}
	if code, _, errOut := runCLI(t, "wallet", "import", backup, "--data", b); code != 1 || !strings.Contains(errOut, "--force") {
		t.Fatalf("import over a wallet: %d %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "wallet", "import", backup, "--data", b, "--force"); code != 0 {
		t.Fatalf("import --force: %s", errOut)
	}

	// Commands that need a running node say how to start one.
	for _, args := range [][]string{{"balance"}, {"history"}, {"send", made.Address, "5"}} {
		code, _, errOut := runCLI(t, append(append([]string{"wallet"}, args...), "--data", a)...)
		if code != 1 || !strings.Contains(errOut, "daoli node --data") {
			t.Fatalf("wallet %v without a node: %d %s", args, code, errOut)
		}
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"wallet", "send", "dao1notanaddress", "5", "--data", a}, 1, "not a Daoli address"},
		{[]string{"wallet", "send", made.Address, "five", "--data", a}, 1, "not an amount"},
		{[]string{"wallet", "send", made.Address, "0", "--data", a}, 1, "not an amount"},
		{[]string{"wallet", "send", made.Address, "--data", a}, 2, "send ADDRESS AMOUNT"},
		{[]string{"wallet", "address", "--data", t.TempDir()}, 1, "daoli wallet new"},
		{[]string{"wallet", "frobnicate"}, 2, "unknown command"},
		{[]string{"wallet"}, 2, "Usage"},
		{[]string{"wallet", "balance", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"node", "--data", t.TempDir()}, 1, "daoli wallet new"},
	} {
		code, _, errOut := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
}

func TestShareWithoutNode(t *testing.T) {
	dir := t.TempDir()
	if code, out, errOut := runCLI(t, "share", "off", "--data", dir); code != 0 || !strings.Contains(out, "Sharing is off") {
		t.Fatalf("share off: %d %q %q", code, out, errOut)
	}
	if code, out, _ := runCLI(t, "share", "status", "--data", dir, "--json"); code != 0 || !strings.Contains(out, `"on": false`) {
		t.Fatalf("status: %q", out)
	}
	if code, out, _ := runCLI(t, "share", "on", "--data", dir); code != 0 || !strings.Contains(out, "Sharing is on (auto") {
		t.Fatalf("share on: %q", out)
	}
	if code, _, errOut := runCLI(t, "share", "maybe"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("share maybe: %d %q", code, errOut)
	}
}
