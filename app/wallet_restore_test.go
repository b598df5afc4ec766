package app

import (
	"crypto/rand"
	"path/filepath"
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
	if addr, same, err := restoreKeystore(dir, mine.Address(), ours, []byte("pass one"), time.Now()); err != nil || !same || addr != mine.Address().String() {
		t.Fatalf("restoring the wallet in use: %s %v %v", addr, same, err)
	}
	backup, err := backupKeystore(other, []byte("pass two"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := restoreKeystore(dir, mine.Address(), backup, []byte("pass one"), time.Now()); err == nil {
		t.Fatal("a backup restored with another wallet's passphrase")
	}
	if _, _, err := restoreKeystore(dir, mine.Address(), []byte("not json"), []byte("pass two"), time.Now()); err == nil {
		t.Fatal("garbage restored")
	}
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	addr, same, err := restoreKeystore(dir, mine.Address(), backup, []byte("pass two"), at)
	if err != nil || same || addr != theirs.Address().String() {
		t.Fatalf("restore: %s %v %v", addr, same, err)
	}
	k, err := keys.LoadKeystore(filepath.Join(dir, WalletFile), []byte("pass two"))
	if err != nil || k.Address() != theirs.Address() {
		t.Fatalf("the wallet after the restore: %v", err)
	}
	old, err := keys.LoadKeystore(filepath.Join(dir, WalletFile+".replaced-20261123-100000"), []byte("pass one"))
	if err != nil || old.Address() != mine.Address() {
		t.Fatalf("the replaced wallet: %v", err)
	}
}
