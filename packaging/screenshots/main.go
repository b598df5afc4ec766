// Command screenshots renders every screen of the app, running on a fresh local demo
// network, into docs/screenshots (make screenshots). It draws with Fyne's test driver
// (a software painter, no display), which is why it is a command of its own: the daoli
// binary does not link that driver.
package main

import (
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/daolicloud/daoli/app"
	"github.com/daolicloud/daoli/ui"
)

func main() {
	out := flag.String("out", "docs/screenshots", "directory for the PNG files")
	earn := flag.Duration("earn", 30*time.Second, "how long the node earns before the screens are drawn")
	flag.Parse()
	if err := run(*out, *earn); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
	fmt.Println("screenshots in", *out)
}

func run(outDir string, earnFor time.Duration) error {
	n, err := app.StartScreenshotNetwork(earnFor)
	if err != nil {
		return err
	}
	defer n.Stop()
	// The software painter runs on its own goroutine: the test driver treats the main
	// goroutine as a foreign thread.
	done := make(chan error, 1)
	go func() { done <- render(n, outDir) }()
	return <-done
}

// render draws each tab of the main window into outDir as <tab>.png.
func render(n *app.ScreenshotNetwork, outDir string) error {
	a := test.NewApp()
	a.Settings().SetTheme(theme.DarkTheme())
	w := test.NewWindow(nil)
	defer w.Close()
	m := ui.NewMain(w, n.Backend(a.Preferences()), func(work func() error, done func(error)) { done(work()) }, func(string) {})
	w.SetContent(m.Content)
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
	// The Buy screen's Batches tab, the batch chosen.
	m.Tabs.SelectIndex(2)
	if m.Buy.Mine != nil {
		m.Buy.Mine.SelectIndex(1)
		m.Refresh()
		if bs := n.Backend(a.Preferences()).(ui.BatchBackend).Batches(); len(bs) > 0 {
			m.Buy.Batches.Select(bs[0].ID)
		}
		f, err := os.Create(filepath.Join(outDir, "buy-batches.png"))
		if err != nil {
			return err
		}
		if err := png.Encode(f, w.Canvas().Capture()); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	return nil
}
