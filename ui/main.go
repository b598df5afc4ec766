package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Main is the main window's content: a badge naming the network, and the screens as
// tabs.
type Main struct {
	b         Backend
	badge     *widget.Label
	Dashboard *Dashboard
	Wallet    *Wallet
	Share     *Share
	Buy       *Buy
	Network   *Network
	Logs      *Logs
	Settings  *Settings
	Tabs      *container.AppTabs
	Content   fyne.CanvasObject
	screens   []interface{ Refresh() } // in the order of the tabs
}

// NewMain builds every screen over b, for win: the screens show their dialogs over it.
func NewMain(win fyne.Window, b Backend, run Runner, clip func(string)) *Main {
	m := &Main{b: b, badge: widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Italic: true})}
	m.Dashboard = NewDashboard(b)
	m.Wallet = NewWallet(win, b, run, clip)
	m.Share = NewShare(b)
	m.Buy = NewBuy(win, b, run)
	m.Network = NewNetwork(b)
	m.Logs = NewLogs(b)
	m.Settings = NewSettings(win, b)
	m.Tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Dashboard", theme.HomeIcon(), m.Dashboard.Content),
		container.NewTabItemWithIcon("Share", theme.ComputerIcon(), m.Share.Content),
		container.NewTabItemWithIcon("Buy", theme.UploadIcon(), m.Buy.Content),
		container.NewTabItemWithIcon("Wallet", theme.AccountIcon(), m.Wallet.Content),
		container.NewTabItemWithIcon("Network", theme.StorageIcon(), m.Network.Content),
		container.NewTabItemWithIcon("Settings", theme.SettingsIcon(), m.Settings.Content),
		container.NewTabItemWithIcon("Logs", theme.ListIcon(), m.Logs.Content),
	)
	m.screens = []interface{ Refresh() }{m.Dashboard, m.Share, m.Buy, m.Wallet, m.Network, m.Settings, m.Logs}
	// A screen out of view is not kept up to date; it catches up when chosen.
	m.Tabs.OnSelected = func(*container.TabItem) { m.screens[m.Tabs.SelectedIndex()].Refresh() }
	m.Content = container.NewBorder(m.badge, nil, nil, nil, m.Tabs)
	m.Refresh()
	return m
}

// Refresh reads the backend again for the screen in view, on the UI goroutine; the
// app's bridge calls it when the node reports a change and once a second.
func (m *Main) Refresh() {
	n := m.b.Node()
	if n.Demo {
		setText(m.badge, "Local demo network: coins here have no value outside this computer")
	} else {
		setText(m.badge, n.Network)
	}
	m.screens[m.Tabs.SelectedIndex()].Refresh()
}
