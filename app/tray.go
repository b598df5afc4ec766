package app

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/daolicloud/daoli/ui"
)

// tray is the system tray menu: state, the sharing switch, snooze, open and quit.
type tray struct {
	a      fyne.App
	w      fyne.Window
	b      *uiBackend
	m      *ui.Main
	menu   *fyne.Menu
	state  *fyne.MenuItem
	toggle *fyne.MenuItem
	snooze *fyne.MenuItem
}

func newTray(a fyne.App, w fyne.Window, b *uiBackend, m *ui.Main) *tray {
	t := &tray{a: a, w: w, b: b, m: m}
	desk, ok := a.(desktop.App)
	if !ok {
		return t
	}
	t.state = fyne.NewMenuItem("", nil)
	t.state.Disabled = true
	t.toggle = fyne.NewMenuItem("", func() {
		_ = b.SetSharing(!b.Sharing().On)
		t.refresh()
		m.Refresh()
	})
	t.snooze = fyne.NewMenuItem("Snooze for 1 hour", func() {
		_ = b.Snooze(time.Hour)
		t.refresh()
		m.Refresh()
	})
	open := fyne.NewMenuItem("Open Daoli", func() {
		w.Show()
		w.RequestFocus()
	})
	// Fyne adds Quit to the tray menu itself.
	t.menu = fyne.NewMenu("Daoli", t.state, fyne.NewMenuItemSeparator(), t.toggle, t.snooze, open)
	desk.SetSystemTrayMenu(t.menu)
	desk.SetSystemTrayWindow(w)
	t.refresh()
	return t
}

// refresh shows the governor's state; it runs on the UI goroutine. The menu is sent
// to the desktop again only when a label changed: the bridge calls this every second.
func (t *tray) refresh() {
	if t.menu == nil {
		return
	}
	s := t.b.Sharing()
	toggle := "Start sharing"
	if s.On {
		toggle = "Stop sharing"
	}
	if t.state.Label == s.Reason && t.toggle.Label == toggle {
		return
	}
	t.state.Label, t.toggle.Label = s.Reason, toggle
	t.menu.Refresh()
}
