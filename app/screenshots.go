package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/ui"
)

// Screenshots runs the app's screens on a fresh local demo network until the wallet
// has earned for a while, then renders every screen with Fyne's software painter into
// outDir as <screen>.png: real data from a real node, drawn without a display.
func Screenshots(outDir string, earnFor time.Duration) error {
	dir, err := os.MkdirTemp("", "daoli-screenshots")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	settings := capacity.DefaultSettings(2)
	settings.Mode = capacity.Always // this machine may be busy; the screenshots want a node that earns
	if err := (capacity.FileSettingsStore{Path: filepath.Join(dir, sharingSettingsFile)}).Save(settings); err != nil {
		return err
	}
	k, err := keys.Generate(rand.Reader)
	if err != nil {
		return err
	}
	ring := &logRing{max: 200}
	log := slog.New(slog.NewTextHandler(ring, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := StartSession(ctx, SessionConfig{DataDir: dir, Wallet: k, Mine: true, Logger: log})
	if err != nil {
		return err
	}
	defer s.Stop()
	deadline := time.Now().Add(earnFor)
	for time.Now().Before(deadline) || s.Node.Status().BalanceAt == 0 {
		if time.Now().After(deadline.Add(time.Minute)) {
			return fmt.Errorf("no proven balance after %v", earnFor+time.Minute)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := s.Node.Balance(ctx); err != nil {
		return err
	}

	// The software painter runs on its own goroutine: the test driver treats the main
	// goroutine as a foreign thread.
	done := make(chan error, 1)
	go func() { done <- render(s, ring, outDir) }()
	return <-done
}

func render(s *Session, ring *logRing, outDir string) error {
	a := test.NewApp()
	a.Settings().SetTheme(theme.DarkTheme())
	b := &uiBackend{s: s, dataDir: "~/.local/share/daoli", logs: ring, prefs: a.Preferences()}
	m := ui.NewMain(b, func(work func() error, done func(error)) { done(work()) }, func(string) {})
	w := test.NewWindow(m.Content)
	defer w.Close()
	w.Resize(fyne.NewSize(960, 680))
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	for i, item := range m.Tabs.Items {
		m.Tabs.SelectIndex(i)
		m.Refresh()
		f, err := os.Create(filepath.Join(outDir, strings.ToLower(item.Text)+".png"))
		if err != nil {
			return err
		}
		if err := png.Encode(f, w.Canvas().Capture()); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}
