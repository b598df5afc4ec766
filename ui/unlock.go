package ui

import (
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Unlock is the first screen: it makes the wallet on the first run, with the first
// sharing preset, or unlocks the wallet there is, then calls opened.
type Unlock struct {
	b       UnlockBackend
	run     Runner
	opened  func()
	exists  bool // the wallet was there when the screen was built
	pass    *widget.Entry
	again   *widget.Entry
	presets *widget.RadioGroup
	when    *widget.Label // when the chosen preset shares
	now     *widget.Check // share now for an hour
	form    *widget.Form
	message *widget.Label
	Content fyne.CanvasObject
}

// NewUnlock builds the screen with the product's icon and version above the form;
// opened is called on the UI goroutine once the wallet is open.
func NewUnlock(b UnlockBackend, run Runner, icon fyne.Resource, version string, opened func()) *Unlock {
	u := &Unlock{b: b, run: run, opened: opened, exists: b.WalletExists(), pass: widget.NewPasswordEntry(),
		again: widget.NewPasswordEntry(), message: widget.NewLabel("")}
	u.message.Wrapping = fyne.TextWrapWord
	title := "Unlock your wallet"
	hint := "Enter the passphrase you chose when you made this wallet."
	items := []*widget.FormItem{widget.NewFormItem("Passphrase", u.pass)}
	u.when = widget.NewLabel("")
	u.when.Wrapping = fyne.TextWrapWord
	u.now = widget.NewCheck("Share now for an hour, also while I use the computer", nil)
	u.presets = widget.NewRadioGroup([]string{"Quiet", "Balanced", "Max"}, func(p string) {
		if p != "" && !u.exists {
			u.when.SetText(b.WhenItShares(strings.ToLower(p)))
		}
	})
	u.presets.Horizontal = true
	u.presets.Required = true
	u.presets.SetSelected("Balanced")
	if !u.exists {
		title = "Make your wallet"
		hint = "Your earnings go to a wallet kept on this computer, encrypted with a passphrase. Without the passphrase it cannot be opened, so keep it safe. Then choose how much of this computer to share when you are not using it; you can change it any time."
		items = append(items, widget.NewFormItem("Again", u.again), widget.NewFormItem("Sharing", container.NewVBox(u.presets, u.when, u.now)))
	}
	u.form = widget.NewForm(items...)
	u.form.SubmitText = "Continue"
	u.form.OnSubmit = u.onSubmit
	hintLabel := widget.NewLabel(hint)
	hintLabel.Wrapping = fyne.TextWrapWord
	u.Content = container.NewCenter(container.NewGridWrap(fyne.NewSize(500, 640),
		widget.NewCard(title, "", container.NewVBox(NewWelcome(icon, version), hintLabel, u.form, u.message))))
	return u
}

// errPreset marks a first sharing choice that could not be saved.
type errPreset struct{ err error }

func (e errPreset) Error() string { return e.err.Error() }

func (u *Unlock) onSubmit() {
	if len(u.pass.Text) < 8 {
		u.message.SetText("Use at least 8 characters.")
		return
	}
	if !u.exists && u.pass.Text != u.again.Text {
		u.message.SetText("The two passphrases differ.")
		return
	}
	u.form.Disable()
	u.message.SetText("Opening the wallet…")
	pass := []byte(u.pass.Text)
	preset := strings.ToLower(u.presets.Selected)
	var shareNow time.Duration
	if u.now.Checked {
		shareNow = ShareNowFor
	}
	u.run(func() error {
		if u.exists {
			return u.b.OpenWallet(pass)
		}
		if err := u.b.SavePreset(preset, shareNow); err != nil {
			return errPreset{err}
		}
		return u.b.CreateWallet(pass)
	}, func(err error) {
		var bad errPreset
		switch {
		case errors.As(err, &bad):
			u.form.Enable()
			u.message.SetText("The sharing choice could not be saved: " + bad.err.Error())
		case errors.Is(err, ErrWrongPassphrase):
			u.form.Enable()
			u.message.SetText("That passphrase does not open this wallet.")
		case err != nil:
			u.form.Enable()
			u.message.SetText(err.Error())
		default:
			u.opened()
		}
	})
}
