package app

import (
	"errors"

	"context"
	"crypto/rand"
	"fmt"
	"github.com/daolicloud/daoli/node/chain"
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
	// Long enough to earn, and to afford the job below (its price and deposit).
	for time.Now().Before(deadline) || s.Node.Status().Balance < 300 {
		if time.Now().After(deadline.Add(3 * time.Minute)) {
			return fmt.Errorf("a proven balance of %d after %v", s.Node.Status().Balance, earnFor+3*time.Minute)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := s.Node.Balance(ctx); err != nil {
		return err
	}
	// A real job for the Buy screen, bought from the demo provider.
	b := &uiBackend{s: s, names: newJobNames(dir)}
	if _, err := b.RunJob(ctx, ui.JobRequest{Template: "mandelbrot", Args: []string{"256", "256"}, MaxPrice: 150, Deadline: 5 * time.Minute}); err != nil {
		return fmt.Errorf("a job for the Buy screen: %w", err)
	}
	for done := false; !done; {
		if time.Now().After(deadline.Add(6 * time.Minute)) {
			return errors.New("the Buy screen's job did not finish")
		}
		time.Sleep(200 * time.Millisecond)
		for _, j := range s.Node.Jobs() {
			done = j.Deal.Phase == chain.PhaseClosed
		}
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
	b := &uiBackend{s: s, dataDir: "~/.local/share/daoli", logs: ring, prefs: a.Preferences(), names: newJobNames(s.dataDir)}
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
