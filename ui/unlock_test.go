package ui

import (
	"errors"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// fakeDoor is an UnlockBackend over a wallet held in memory.
type fakeDoor struct {
	exists    bool
	pass      string // the wallet's passphrase once it exists
	preset    string
	shareNow  time.Duration
	presetErr error
	opens     int
}

func (d *fakeDoor) WalletExists() bool { return d.exists }

func (d *fakeDoor) OpenWallet(pass []byte) error {
	if string(pass) != d.pass {
		return ErrWrongPassphrase
	}
	d.opens++
	return nil
}

func (d *fakeDoor) CreateWallet(pass []byte) error {
	d.exists, d.pass = true, string(pass)
	d.opens++
	return nil
}

func (d *fakeDoor) SavePreset(p string, shareNow time.Duration) error {
	if d.presetErr != nil {
		return d.presetErr
	}
	d.preset, d.shareNow = p, shareNow
	return nil
}

func (d *fakeDoor) WhenItShares(p string) string { return "When " + p + " shares." }

func newUnlock(t *testing.T, d *fakeDoor) (*Unlock, fyne.Window, *int) {
	t.Helper()
	test.NewTempApp(t)
	opened := 0
	u := NewUnlock(d, inline, testIcon(t), "1.2.3 (abcdef0)", func() { opened++ })
	w := test.NewTempWindow(t, u.Content)
	w.Resize(fyne.NewSize(960, 680))
	return u, w, &opened
}

func TestUnlockRenders(t *testing.T) {
	_, w, _ := newUnlock(t, &fakeDoor{})
	test.AssertRendersToMarkup(t, "unlock_first_run.xml", w.Canvas())
	_, w, _ = newUnlock(t, &fakeDoor{exists: true, pass: "long enough"})
	test.AssertRendersToMarkup(t, "unlock.xml", w.Canvas())
}

func TestUnlockFirstRun(t *testing.T) {
	d := &fakeDoor{}
	u, w, opened := newUnlock(t, d)
	u.pass.SetText("short")
	u.form.OnSubmit()
	if u.message.Text != "Use at least 8 characters." || d.exists {
		t.Fatalf("short: message %q, wallet made %v", u.message.Text, d.exists)
	}
	u.pass.SetText("long enough")
	u.again.SetText("long enougH")
	u.form.OnSubmit()
	if u.message.Text != "The two passphrases differ." || d.exists {
		t.Fatalf("differ: message %q, wallet made %v", u.message.Text, d.exists)
	}
	test.AssertRendersToMarkup(t, "unlock_differ.xml", w.Canvas())

	d.presetErr = errors.New("disk full")
	u.again.SetText("long enough")
	u.form.OnSubmit()
	if u.message.Text != "The sharing choice could not be saved: disk full" || d.exists || *opened != 0 || u.form.Disabled() {
		t.Fatalf("preset refused: message %q, wallet made %v, opened %d", u.message.Text, d.exists, *opened)
	}
	d.presetErr = nil
	if u.when.Text != "When balanced shares." {
		t.Fatalf("the sentence under Balanced: %q", u.when.Text)
	}
	u.presets.SetSelected("Max")
	if u.when.Text != "When max shares." {
		t.Fatalf("the sentence under Max: %q", u.when.Text)
	}
	test.Tap(u.now)
	u.form.OnSubmit()
	if !d.exists || d.pass != "long enough" || d.preset != "max" || d.shareNow != ShareNowFor || *opened != 1 {
		t.Fatalf("made %v with %q, preset %q, share now %v, opened %d", d.exists, d.pass, d.preset, d.shareNow, *opened)
	}
}

func TestUnlockExisting(t *testing.T) {
	d := &fakeDoor{exists: true, pass: "long enough"}
	u, _, opened := newUnlock(t, d)
	u.pass.SetText("not the one")
	u.form.OnSubmit()
	if u.message.Text != "That passphrase does not open this wallet." || *opened != 0 || u.form.Disabled() {
		t.Fatalf("wrong passphrase: message %q, opened %d, form disabled %v", u.message.Text, *opened, u.form.Disabled())
	}
	u.pass.SetText("long enough")
	u.form.OnSubmit()
	if *opened != 1 || d.opens != 1 || d.preset != "" {
		t.Fatalf("opened %d, backend opens %d, preset %q", *opened, d.opens, d.preset)
	}
}

// TestUnlockWaits: the wallet opens off the UI goroutine; the form is disabled until
// it answers.
func TestUnlockWaits(t *testing.T) {
	test.NewTempApp(t)
	d := &fakeDoor{exists: true, pass: "long enough"}
	var pending []func()
	run := func(work func() error, done func(error)) { pending = append(pending, func() { done(work()) }) }
	opened := 0
	u := NewUnlock(d, run, testIcon(t), "1", func() { opened++ })
	test.NewTempWindow(t, u.Content)
	u.pass.SetText("long enough")
	u.form.OnSubmit()
	if len(pending) != 1 || !u.form.Disabled() || u.message.Text != "Opening the wallet…" || d.opens != 0 {
		t.Fatalf("while opening: %d pending, form disabled %v, message %q", len(pending), u.form.Disabled(), u.message.Text)
	}
	pending[0]()
	if opened != 1 {
		t.Fatalf("opened %d", opened)
	}
}

func TestStartingScreens(t *testing.T) {
	test.NewTempApp(t)
	for name, o := range map[string]fyne.CanvasObject{
		"starting_demo.xml": NewStarting(true),
		"start_failed.xml":  NewStartFailed(errors.New("the port is taken"), "/home/me/.local/share/daoli"),
	} {
		w := test.NewTempWindow(t, o)
		w.Resize(fyne.NewSize(960, 680))
		test.AssertRendersToMarkup(t, name, w.Canvas())
	}
}
