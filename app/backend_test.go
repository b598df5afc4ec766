package app

import (
	"crypto/rand"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/devnet"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/network"
	"github.com/daolicloud/daoli/ui"
)

func TestRuleLines(t *testing.T) {
	s := capacity.DefaultSettings(4)
	s.ExclusivePrograms = []string{"steam"}
	s.PauseOnBattery, s.MinBatteryCharge = false, 30
	s.SnoozeUntil = time.Now().Add(time.Hour)
	lines := ruleLines(s)
	for _, want := range []string{"Pause while running: steam", "On battery: pause below 30 % charge"} {
		if !slices.Contains(lines, want) {
			t.Errorf("no line %q in %q", want, lines)
		}
	}
	if lines[0] != "Run mode: "+string(s.Mode) || len(lines) < 6 {
		t.Errorf("lines %q", lines)
	}
	if last := lines[len(lines)-1]; last[:len("Snoozed until")] != "Snoozed until" {
		t.Errorf("last line %q, want the snooze", last)
	}
}

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

// TestApplyDetail: the Share screen's detail lands in the settings, custom, and the
// governor's validation judges it.
func TestApplyDetail(t *testing.T) {
	s := capacity.DefaultSettings(4)
	applyDetail(&s, ui.SharingDetail{Mode: "always", InUseAfter: 2 * time.Minute, InUseCores: 1, InUseDuty: 50, IdleCores: 3, IdleDuty: 100,
		PauseAboveOtherCPU: 30, MinBatteryCharge: 20, TempCeiling: 85, TempResume: 75, MemoryCap: 40, ExclusivePrograms: []string{"steam"}, GPUMode: "never"},
		[]capacity.Window{{Day: time.Monday, Start: 9 * 60, End: 17 * 60}})
	if s.Preset != capacity.Custom || s.Mode != capacity.Always || s.InUse != (capacity.Share{Cores: 1, Duty: 0.5}) || s.Idle != (capacity.Share{Cores: 3, Duty: 1}) ||
		s.PauseOnBattery || s.MinBatteryCharge != 20 || s.GPU.Mode != capacity.Never || s.ExclusivePrograms[0] != "steam" || len(s.Windows) != 1 {
		t.Fatalf("settings %+v", s)
	}
	if err := s.Validate(4); err != nil {
		t.Fatalf("valid detail refused: %v", err)
	}
	applyDetail(&s, ui.SharingDetail{Mode: "auto", InUseAfter: time.Minute, InUseCores: 4, InUseDuty: 100, IdleCores: 1, IdleDuty: 100, GPUMode: "auto"}, nil)
	if err := s.Validate(4); err == nil {
		t.Fatal("an idle share below the in-use share was accepted")
	}
}

func TestParseWindows(t *testing.T) {
	ws, err := parseWindows([]string{"Mon 09:00–17:00", "sat 22:00-24:00"})
	if err != nil || len(ws) != 2 || windowTexts(ws)[1] != "Sat 22:00–24:00" {
		t.Fatalf("%v %v", ws, err)
	}
	if _, err := parseWindows([]string{"Mon 09:00–17:00", "someday"}); err == nil {
		t.Fatal("a bad window accepted")
	}
}
