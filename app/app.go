package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/daolicloud/daoli/assets"
	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/light"
	"github.com/daolicloud/daoli/node/market/terms"
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
		w.SetContent(ui.NewStarting(opts.Network == ""))
		var s *Session
		runInBackground(func() (err error) {
			s, err = StartSession(ctx, SessionConfig{DataDir: dir, NetworkFile: opts.Network, Wallet: wallet, Mine: true, Logger: log, Worker: selfWorker(nodeCacheDir(dir))})
			return err
		}, func(err error) {
			if err != nil {
				w.SetContent(ui.NewStartFailed(err, dir))
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
	}
	// The wallet is made or unlocked first; a passphrase in $DAOLI_PASSPHRASE is used
	// without asking (for scripted runs).
	door := &walletDoor{dir: dir}
	if p, ok := os.LookupEnv(PassphraseEnv); ok {
		if err := door.openWithEnv([]byte(p)); err != nil {
			w.SetContent(ui.NewNotice("The wallet could not be opened with $" + PassphraseEnv + ": " + err.Error()))
		} else {
			start(door.key)
		}
	} else {
		w.SetContent(ui.NewUnlock(door, runInBackground, icon, version.String(), func() { start(door.key) }).Content)
	}
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
			if terms.Sold(e.Outcome.String()) {
				return fyne.NewNotification("Compute sold", fmt.Sprintf("Job %s ran on this computer and was paid for.", id))
			}
			return nil
		}
		if terms.Delivered(e.Outcome.String()) {
			return fyne.NewNotification("Job finished", fmt.Sprintf("Job %s is done; its result is on the Buy screen.", id))
		}
		return fyne.NewNotification("Job ended without a result", fmt.Sprintf("Job %s ended: %s. The Buy screen says what came back.", id, e.Outcome))
	}
	return nil
}
