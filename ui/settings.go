package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Settings are the app's own settings; sharing has its screen.
type Settings struct {
	b        Backend
	login    *widget.Check
	notify   *widget.Check
	dataDir  *widget.Label
	network  *widget.Label
	message  *widget.Label
	updating bool
	Content  fyne.CanvasObject
}

// NewSettings builds the settings screen.
func NewSettings(b Backend) *Settings {
	s := &Settings{b: b, dataDir: widget.NewLabel(""), network: widget.NewLabel(""), message: widget.NewLabel("")}
	s.network.Wrapping = fyne.TextWrapWord
	s.message.Wrapping = fyne.TextWrapWord
	s.login = widget.NewCheck("Start Daoli when I log in", func(on bool) {
		if s.updating {
			return
		}
		if err := s.b.SetStartAtLogin(on); err != nil {
			s.message.SetText("Not changed: " + err.Error())
		}
		s.Refresh()
	})
	s.notify = widget.NewCheck("Tell me when I win an epoch, a job finishes or a payment arrives", func(on bool) {
		if s.updating {
			return
		}
		if err := s.b.SetNotifications(on); err != nil {
			s.message.SetText("Not changed: " + err.Error())
		}
		s.Refresh()
	})
	s.Content = container.NewVScroll(container.NewVBox(
		widget.NewCard("This computer", "", container.NewVBox(s.login, s.notify)),
		widget.NewCard("Network", "", container.NewVBox(s.network,
			widget.NewLabel("To join another network, start Daoli with --network FILE (the network file its operators publish)."))),
		widget.NewCard("Data", "wallet, chain and settings", s.dataDir),
		s.message))
	s.Refresh()
	return s
}

// Refresh reads the backend again.
func (s *Settings) Refresh() {
	v := s.b.Settings()
	s.updating = true
	s.login.SetChecked(v.StartAtLogin)
	s.notify.SetChecked(v.Notifications)
	s.updating = false
	setText(s.dataDir, v.DataDir)
	if v.Network == "" {
		setText(s.network, "The local demo network: four trustees and your node, all on this computer.")
	} else {
		setText(s.network, v.Network)
	}
}
