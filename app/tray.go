package app

import (
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/systray"

	"github.com/daolicloud/daoli/ui"
)

// tray is the system tray menu: the governor's line (also the icon's tooltip), the
// one-click sharing choices the dashboard has, the sharing switch, open and quit.
type tray struct {
	a       fyne.App
	w       fyne.Window
	b       *uiBackend
	m       *ui.Main
	menu    *fyne.Menu
	state   *fyne.MenuItem
	toggle  *fyne.MenuItem
	open    *fyne.MenuItem
	choices []string // the labels of the choices in the menu
	tooltip string
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
		_ = b.SetSharing(ui.TrayMenuFor(b.Sharing(), time.Now()).SwitchOn)
		t.refresh()
		m.Refresh()
	})
	t.open = fyne.NewMenuItem(ui.TrayOpen, func() {
		w.Show()
		w.RequestFocus()
	})
	// Fyne adds Quit to the tray menu itself.
	t.menu = fyne.NewMenu("Daoli")
	t.build(ui.TrayMenuFor(b.Sharing(), time.Now()).Choices)
	desk.SetSystemTrayMenu(t.menu)
	desk.SetSystemTrayWindow(w)
	t.refresh()
	return t
}

// build lays the menu out with the given choices.
func (t *tray) build(choices []ui.SharingChoice) {
	items := []*fyne.MenuItem{t.state, fyne.NewMenuItemSeparator()}
	t.choices = t.choices[:0]
	for _, c := range choices {
		items = append(items, fyne.NewMenuItem(c.Label, func() {
			_ = c.Do(t.b)
			t.refresh()
			t.m.Refresh()
		}))
		t.choices = append(t.choices, c.Label)
	}
	t.menu.Items = append(items, fyne.NewMenuItemSeparator(), t.toggle, t.open)
}

// refresh renders ui.TrayMenuFor the governor's state; it runs on the UI goroutine.
// The menu is sent to the desktop again only when a label changed: the bridge calls
// this every second.
func (t *tray) refresh() {
	if t.menu == nil {
		return
	}
	m := ui.TrayMenuFor(t.b.Sharing(), time.Now())
	if m.Tooltip != t.tooltip {
		t.tooltip = m.Tooltip
		systray.SetTooltip(m.Tooltip)
	}
	labels := m.Labels()
	if t.state.Label == m.State && t.toggle.Label == m.Toggle && slices.Equal(labels, t.choices) {
		return
	}
	t.state.Label, t.toggle.Label = m.State, m.Toggle
	if !slices.Equal(labels, t.choices) {
		t.build(m.Choices)
	}
	t.menu.Refresh()
}
