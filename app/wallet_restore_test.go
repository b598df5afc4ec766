package app

import (
	"crypto/rand"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/keys"
)

// TestBackupRestore: a backup needs the passphrase; restoring another wallet keeps the
// one it replaces beside it; restoring the wallet in use changes nothing.
func TestBackupRestore(t *testing.T) {
	// The cheapest costs a restore (an import) accepts.
	cheap := keys.WithKDFParams(keys.KDFParams{Time: keys.MinImportKDFTime, MemoryKiB: keys.MinImportKDFMemoryKiB, Threads: 1})
	dir, other := t.TempDir(), t.TempDir()
	mine, _ := keys.Generate(rand.Reader)
	theirs, _ := keys.Generate(rand.Reader)
	if err := keys.SaveKeystore(filepath.Join(dir, WalletFile), mine, []byte("pass one"), cheap); err != nil {
		t.Fatal(err)
	}
	if err := keys.SaveKeystore(filepath.Join(other, WalletFile), theirs, []byte("pass two"), cheap); err != nil {
		t.Fatal(err)
	}
	if _, err := backupKeystore(dir, []byte("wrong")); err == nil || err.Error() != "that passphrase does not open this wallet" {
		t.Fatalf("backup with a wrong passphrase: %v", err)
	}
	ours, err := backupKeystore(dir, []byte("pass one"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, WalletFile)
	if r, err := restoreWallet(path, ours, []byte("pass one"), time.Now()); err != nil || !r.Unchanged || r.Aside != "" || r.Address != mine.Address() {
		t.Fatalf("restoring the wallet the keystore holds: %+v %v", r, err)
	}
	backup, err := backupKeystore(other, []byte("pass two"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := restoreWallet(path, backup, []byte("pass one"), time.Now()); err == nil || err.Error() != "that passphrase does not open this backup" {
		t.Fatalf("a backup restored with another wallet's passphrase: %v", err)
	}
	if _, err := restoreWallet(path, []byte("not json"), []byte("pass two"), time.Now()); err == nil {
		t.Fatal("garbage restored")
	}
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	r, err := restoreWallet(path, backup, []byte("pass two"), at)
	if err != nil || r.Unchanged || r.Address != theirs.Address() || r.Aside != path+".replaced-20261123-100000" {
		t.Fatalf("restore: %+v %v", r, err)
	}
	k, err := keys.LoadKeystore(path, []byte("pass two"))
	if err != nil || k.Address() != theirs.Address() {
		t.Fatalf("the wallet after the restore: %v", err)
	}
	old, err := keys.LoadKeystore(r.Aside, []byte("pass one"))
	if err != nil || old.Address() != mine.Address() {
		t.Fatalf("the replaced wallet: %v", err)
	}
	// Restoring the first wallet again, later, replaces the second and keeps it: what
	// the keystore holds decides, not what the running node opened.
	r, err = restoreWallet(path, ours, []byte("pass one"), at.Add(time.Minute))
	if err != nil || r.Unchanged || r.Address != mine.Address() {
		t.Fatalf("restoring back: %+v %v", r, err)
	}
	if k, err := keys.LoadKeystore(path, []byte("pass one")); err != nil || k.Address() != mine.Address() {
		t.Fatalf("the wallet after restoring back: %v", err)
	}
	if k, err := keys.LoadKeystore(r.Aside, []byte("pass two")); err != nil || k.Address() != theirs.Address() {
		t.Fatalf("the wallet restoring back replaced: %v", err)
	}
	// Into an empty directory there is nothing to keep.
	fresh := filepath.Join(t.TempDir(), WalletFile)
	if r, err := restoreWallet(fresh, backup, []byte("pass two"), at); err != nil || r.Unchanged || r.Aside != "" {
		t.Fatalf("restore into an empty directory: %+v %v", r, err)
	}
}

// TestImportForceKeepsTheReplacedWallet: `daoli wallet import --force` restores the
// way the Wallet screen does, keeping the wallet it replaces beside the keystore.
func TestImportForceKeepsTheReplacedWallet(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	t.Setenv(PassphraseEnv, "first passphrase")
	if code, _, errOut := runCLI(t, "wallet", "new", "--data", a); code != 0 {
		t.Fatalf("new: %s", errOut)
	}
	backup := filepath.Join(t.TempDir(), "backup.json")
	if code, _, errOut := runCLI(t, "wallet", "export", "--data", a, "--out", backup); code != 0 {
		t.Fatalf("export: %s", errOut)
	}
	t.Setenv(PassphraseEnv, "second passphrase")
	if code, _, errOut := runCLI(t, "wallet", "new", "--data", b); code != 0 {
		t.Fatalf("new: %s", errOut)
	}
	replaced, err := keys.ReadKeystoreAddress(filepath.Join(b, WalletFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(PassphraseEnv, "first passphrase")
	code, out, errOut := runCLI(t, "wallet", "import", backup, "--data", b, "--force", "--json")
	if code != 0 {
		t.Fatalf("import --force: %s", errOut)
	}
	var got struct{ Address, Replaced string }
	if err := json.Unmarshal([]byte(out), &got); err != nil || got.Replaced == "" {
		t.Fatalf("import --force --json: %q %v", out, err)
	}
	if kept, err := keys.ReadKeystoreAddress(got.Replaced); err != nil || kept != replaced {
		t.Fatalf("the replaced wallet in %s: %v %v, want %v", got.Replaced, kept, err, replaced)
	}
	if code, out, _ := runCLI(t, "wallet", "import", backup, "--data", b, "--force"); code != 0 || !strings.Contains(out, "nothing changed") {
		t.Fatalf("importing the wallet held already: %d %q", code, out)
	}
}
