package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/ui"
)

// ScreenshotNetwork is a fresh local demo network whose wallet has earned for a while
// and bought a job: real data from a real node, for the screenshots. The drawing is
// packaging/screenshots' (make screenshots), with Fyne's test driver, which stays out
// of the daoli binary.
type ScreenshotNetwork struct {
	s      *Session
	ring   *logRing
	dir    string
	cancel context.CancelFunc
}

// StartScreenshotNetwork starts the app's session on a fresh local demo network and
// returns once its wallet has earned for earnFor (and enough for a job) and a job
// bought from the demo provider has closed.
func StartScreenshotNetwork(earnFor time.Duration) (_ *ScreenshotNetwork, err error) {
	dir, err := os.MkdirTemp("", "daoli-screenshots")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &ScreenshotNetwork{ring: &logRing{max: 200}, dir: dir, cancel: cancel}
	defer func() {
		if err != nil {
			n.Stop()
		}
	}()
	settings := capacity.DefaultSettings(2)
	settings.Mode = capacity.Always // this machine may be busy; the screenshots want a node that earns
	if err := (capacity.FileSettingsStore{Path: filepath.Join(dir, sharingSettingsFile)}).Save(settings); err != nil {
		return nil, err
	}
	k, err := keys.Generate(rand.Reader)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(n.ring, nil))
	s, err := StartSession(ctx, SessionConfig{DataDir: dir, Wallet: k, Mine: true, Logger: log})
	if err != nil {
		return nil, err
	}
	n.s = s
	deadline := time.Now().Add(earnFor)
	// Long enough to earn, and to afford the job below (its price and deposit).
	for time.Now().Before(deadline) || s.Node.Status().Balance < 300 {
		if time.Now().After(deadline.Add(3 * time.Minute)) {
			return nil, fmt.Errorf("a proven balance of %d after %v", s.Node.Status().Balance, earnFor+3*time.Minute)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := s.Node.Balance(ctx); err != nil {
		return nil, err
	}
	// A real job for the Buy screen, bought from the demo provider.
	b := &uiBackend{s: s, names: newJobNames(dir)}
	if _, err := b.RunJob(ctx, ui.JobRequest{Template: "mandelbrot", Args: []string{"256", "256"}, MaxPrice: 150, Deadline: 5 * time.Minute}); err != nil {
		return nil, fmt.Errorf("a job for the Buy screen: %w", err)
	}
	for done := false; !done; {
		if time.Now().After(deadline.Add(6 * time.Minute)) {
			return nil, errors.New("the Buy screen's job did not finish")
		}
		time.Sleep(200 * time.Millisecond)
		for _, j := range s.Node.Jobs() {
			done = j.Deal.Phase == chain.PhaseClosed
		}
	}
	// A batch for the Buy screen's Batches tab: four runs of the π example, once the
	// wallet holds their escrow.
	for s.Node.Status().Balance < 4*300 {
		if time.Now().After(deadline.Add(9 * time.Minute)) {
			return nil, fmt.Errorf("a proven balance of %d, short of the batch's escrow", s.Node.Status().Balance)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := b.RunBatch(ctx, ui.BatchRequest{Job: ui.JobRequest{Template: "pi", Args: []string{"1000{task}"}, MaxPrice: 150, Deadline: 5 * time.Minute}, Tasks: 4}); err != nil {
		return nil, fmt.Errorf("a batch for the Buy screen: %w", err)
	}
	for done := false; !done; {
		if time.Now().After(deadline.Add(10 * time.Minute)) {
			return nil, errors.New("the Buy screen's batch did not finish")
		}
		time.Sleep(200 * time.Millisecond)
		for _, bs := range s.Node.Batches() {
			done = bs.Batch.Finished()
		}
	}
	return n, nil
}

// Backend is what the screens show of this network, the backend the window uses,
// with prefs as the app's preferences; it names the usual data directory, not the
// temporary one.
func (n *ScreenshotNetwork) Backend(prefs fyne.Preferences) ui.Backend {
	return &uiBackend{s: n.s, dataDir: "~/.local/share/daoli", logs: n.ring, prefs: prefs, names: newJobNames(n.dir)}
}

// Stop stops the session and removes the network's files.
func (n *ScreenshotNetwork) Stop() error {
	var err error
	if n.s != nil {
		err = n.s.Stop()
	}
	n.cancel()
	return errors.Join(err, os.RemoveAll(n.dir))
}
