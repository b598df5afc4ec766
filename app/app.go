package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/daolicloud/daoli/assets"
	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/light"
	"github.com/daolicloud/daoli/node/version"
	"github.com/daolicloud/daoli/ui"
)

// ID is the application ID; Fyne keys preferences and storage by it. It matches
// FyneApp.toml.
const ID = "cloud.daoli.app"

// RunOptions are the desktop app's command-line choices.
type RunOptions struct {
	DataDir string // empty: the per-user data directory
	Network string // a network file; empty: the embedded local demo network
}

// Run opens the main window and blocks until the user quits.
func Run(opts RunOptions) error {
	dir, err := dataDirOrDefault(opts.DataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	opts.Network = networkFileOf(dir, opts.Network)
	a := fyneapp.NewWithID(ID)
	ui.ApplyTheme(a.Preferences().StringWithFallback(prefTheme, ui.ThemeSystem))
	icon := fyne.NewStaticResource("icon.png", assets.Icon)
	a.SetIcon(icon)
	w := a.NewWindow(ui.AppName)
	w.Resize(fyne.NewSize(960, 680))
	w.SetMaster()

	ring := &logRing{max: 2000}
	log := newLogger(ring, os.Stderr)
	// A plain go build runs Fyne's 60 Hz loop; say so where a user or a bug report sees it.
	if idle, text := mainLoop(); idle {
		log.Info(text)
	} else {
		log.Warn(text)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sess *Session
	start := func(wallet *keys.Key) {
		status := widget.NewLabel("Starting…")
		if opts.Network == "" {
			status.SetText("Starting the local demo network on this computer…")
		}
		w.SetContent(container.NewCenter(container.NewVBox(widget.NewProgressBarInfinite(), status)))
		go func() {
			s, err := StartSession(ctx, SessionConfig{DataDir: dir, NetworkFile: opts.Network, Wallet: wallet, Mine: true, Logger: log, Worker: selfWorker(nodeCacheDir(dir))})
			fyne.Do(func() {
				if err != nil {
					w.SetContent(container.NewCenter(widget.NewLabel("Daoli could not start: " + err.Error() +
						"\nClose the window and start it again; if it keeps failing, the Logs in " + dir + " say why.")))
					return
				}
				sess = s
				// The capacity check measures this machine once per hardware, in the
				// background at the lowest priority the governor allows.
				go func() {
					store := capacity.FileCheckStore{Path: filepath.Join(dir, capacityCheckFile)}
					fp := capacity.DetectHardware(ctx, nil).Fingerprint()
					if _, ran, err := capacity.EnsureCheck(ctx, store, fp, capacity.CheckOptions{Duration: time.Second}); err != nil {
						log.Warn("capacity check", "err", err)
					} else if ran {
						log.Info("capacity check done", "hardware", fp)
					}
				}()
				b := &uiBackend{s: s, dataDir: dir, netFile: opts.Network, logs: ring, prefs: a.Preferences(), names: newJobNames(dir)}
				m := ui.NewMain(w, b, runInBackground, func(text string) { a.Clipboard().SetContent(text) })
				w.SetContent(m.Content)
				tray := newTray(a, w, b, m)
				go bridge(ctx, s, m, tray, func(n *fyne.Notification) {
					if b.prefs.BoolWithFallback(prefNotifications, true) {
						a.SendNotification(n)
					}
				})
			})
		}()
	}
	w.SetContent(walletScreen(dir, icon, start))
	// Closing the window keeps Daoli earning in the tray; Quit is in the tray's menu.
	if _, ok := a.(desktop.App); ok {
		w.SetCloseIntercept(w.Hide)
	}
	w.ShowAndRun()
	cancel()
	if sess != nil {
		return sess.Stop()
	}
	return nil
}

// runInBackground is the ui.Runner of the app: work on a goroutine, the result on the
// UI goroutine.
func runInBackground(work func() error, done func(error)) {
	go func() {
		err := work()
		fyne.Do(func() { done(err) })
	}()
}

// bridge is the one place node events reach the UI: it refreshes the screens when the
// node reports something, and once a second for what changes without an event (peers,
// the governor's reason), never more than four times a second.
func bridge(ctx context.Context, s *Session, m *ui.Main, tray *tray, notify func(*fyne.Notification)) {
	events, stop := s.Node.Subscribe()
	defer stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-events:
			if !ok {
				return
			}
			if n := notification(e); n != nil {
				fyne.Do(func() { notify(n) })
			}
		case <-tick.C:
		}
		if time.Since(last) < 250*time.Millisecond {
			continue
		}
		last = time.Now()
		fyne.Do(func() {
			m.Refresh()
			tray.refresh()
		})
	}
}

// notification is what the user hears of an event, if anything.
func notification(e light.Event) *fyne.Notification {
	switch e.Kind {
	case light.EventWon:
		return fyne.NewNotification("You won an epoch", fmt.Sprintf("Block %d paid you %d coins for the luckiest ticket.", e.Height, e.Amount))
	case light.EventPayment:
		return fyne.NewNotification("Payment received", fmt.Sprintf("%d coins arrived in block %d.", e.Amount, e.Height))
	case light.EventJob:
		if e.Phase != chain.PhaseClosed {
			return nil
		}
		id := e.Deal.Short()
		if !e.Bought {
			if e.Outcome == chain.OutcomePaid || e.Outcome == chain.OutcomeBuyerLate || e.Outcome == chain.OutcomeBuyerFined {
				return fyne.NewNotification("Compute sold", fmt.Sprintf("Job %s ran on this computer and was paid for.", id))
			}
			return nil
		}
		if e.Outcome == chain.OutcomePaid || e.Outcome == chain.OutcomeBuyerFined {
			return fyne.NewNotification("Job finished", fmt.Sprintf("Job %s is done; its result is on the Buy screen.", id))
		}
		return fyne.NewNotification("Job ended without a result", fmt.Sprintf("Job %s ended: %s. The Buy screen says what came back.", id, e.Outcome))
	}
	return nil
}

// walletScreen creates the wallet on first run, or unlocks it, then calls start. A
// passphrase in $DAOLI_PASSPHRASE is used without asking (for scripted runs).
func walletScreen(dir string, icon fyne.Resource, start func(*keys.Key)) fyne.CanvasObject {
	path := filepath.Join(dir, WalletFile)
	_, statErr := os.Stat(path)
	exists := statErr == nil
	if p, ok := os.LookupEnv(PassphraseEnv); ok {
		k, err := openOrCreateWallet(path, []byte(p), exists)
		if err == nil {
			fyne.Do(func() { start(k) })
			return widget.NewLabel("Opening the wallet…")
		}
		return widget.NewLabel("The wallet could not be opened with $" + PassphraseEnv + ": " + err.Error())
	}
	pass, again := widget.NewPasswordEntry(), widget.NewPasswordEntry()
	msg := widget.NewLabel("")
	msg.Wrapping = fyne.TextWrapWord
	title := "Unlock your wallet"
	hint := "Enter the passphrase you chose when you made this wallet."
	items := []*widget.FormItem{widget.NewFormItem("Passphrase", pass)}
	presets := widget.NewRadioGroup([]string{"Quiet", "Balanced", "Max"}, nil)
	presets.Horizontal = true
	presets.SetSelected("Balanced")
	if !exists {
		title = "Make your wallet"
		hint = "Your earnings go to a wallet kept on this computer, encrypted with a passphrase. Without the passphrase it cannot be opened, so keep it safe. Then choose how much of this computer to share when you are not using it; you can change it any time."
		items = append(items, widget.NewFormItem("Again", again), widget.NewFormItem("Sharing", presets))
	}
	var form *widget.Form
	form = widget.NewForm(items...)
	form.SubmitText = "Continue"
	form.OnSubmit = func() {
		if len(pass.Text) < 8 {
			msg.SetText("Use at least 8 characters.")
			return
		}
		if !exists && pass.Text != again.Text {
			msg.SetText("The two passphrases differ.")
			return
		}
		form.Disable()
		msg.SetText("Opening the wallet…")
		p := []byte(pass.Text)
		preset := capacity.Preset(strings.ToLower(presets.Selected))
		go func() {
			if !exists {
				if err := savePreset(dir, preset); err != nil {
					fyne.Do(func() { form.Enable(); msg.SetText("The sharing choice could not be saved: " + err.Error()) })
					return
				}
			}
			k, err := openOrCreateWallet(path, p, exists)
			fyne.Do(func() {
				if err != nil {
					form.Enable()
					if errors.Is(err, keys.ErrWrongPassphrase) {
						msg.SetText("That passphrase does not open this wallet.")
					} else {
						msg.SetText(err.Error())
					}
					return
				}
				start(k)
			})
		}()
	}
	hintLabel := widget.NewLabel(hint)
	hintLabel.Wrapping = fyne.TextWrapWord
	return container.NewCenter(container.NewGridWrap(fyne.NewSize(500, 640),
		widget.NewCard(title, "", container.NewVBox(ui.NewWelcome(icon, version.String()), hintLabel, form, msg))))
}

func openOrCreateWallet(path string, pass []byte, exists bool) (*keys.Key, error) {
	if exists {
		return keys.LoadKeystore(path, pass)
	}
	k, err := keys.Generate(rand.Reader)
	if err != nil {
		return nil, err
	}
	if err := keys.SaveKeystore(path, k, pass); err != nil {
		return nil, fmt.Errorf("save the wallet: %w", err)
	}
	return k, nil
}

// savePreset saves the first run's sharing choice, unless settings exist already.
func savePreset(dir string, p capacity.Preset) error {
	store := capacity.FileSettingsStore{Path: filepath.Join(dir, sharingSettingsFile)}
	if _, err := store.Load(); err == nil {
		return nil
	}
	cores := capacity.DetectHardware(context.Background(), capacity.NewProbes()).UsableCores
	return store.Save(capacity.PresetSettings(p, cores))
}
