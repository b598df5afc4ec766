package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Settings are the app's own settings; sharing has its screen.
type Settings struct {
	b        Backend
	win      fyne.Window // for dialogs
	login    *widget.Check
	notify   *widget.Check
	theme    *widget.RadioGroup
	dataDir  *widget.Label
	network  *widget.Label
	next     *widget.Label // the network of the next start, when another
	demo     *widget.Button
	message  *widget.Label
	updating bool
	Content  fyne.CanvasObject
}

// NewSettings builds the settings screen, its dialogs over win.
func NewSettings(win fyne.Window, b Backend) *Settings {
	s := &Settings{b: b, win: win, dataDir: widget.NewLabel(""), network: widget.NewLabel(""), message: widget.NewLabel(""), next: widget.NewLabel("")}
	s.network.Wrapping = fyne.TextWrapWord
	s.next.Wrapping = fyne.TextWrapWord
	s.next.Hide() // shown when the next start joins another network
	choose := widget.NewButtonWithIcon("Choose a network file…", theme.FolderOpenIcon(), s.onChooseNetwork)
	s.demo = widget.NewButtonWithIcon("Use the local demo network", theme.HomeIcon(), func() { s.chooseNetwork(nil) })
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
	s.theme = widget.NewRadioGroup(Themes, func(name string) {
		if s.updating || name == "" {
			return
		}
		if err := s.b.SetTheme(name); err != nil {
			s.message.SetText("Not changed: " + err.Error())
		} else {
			ApplyTheme(name)
		}
		s.Refresh()
	})
	s.theme.Horizontal = true
	s.Content = container.NewVScroll(container.NewVBox(
		widget.NewCard("This computer", "", container.NewVBox(s.login, s.notify)),
		widget.NewCard("Theme", "system follows the desktop's light or dark setting", s.theme),
		widget.NewCard("Network", "a network's operators publish its network file", container.NewVBox(s.network, s.next,
			container.NewHBox(choose, s.demo))),
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
	s.theme.SetSelected(v.Theme)
	s.updating = false
	setText(s.dataDir, v.DataDir)
	if v.Network == "" {
		setText(s.network, "In use: the local demo network, four trustees and your node, all on this computer.")
	} else {
		setText(s.network, "In use: "+v.NetworkName+" ("+v.Network+")")
	}
	next := ""
	switch {
	case v.NextNetwork == "" && v.Network != "":
		next = "From the next start: the local demo network."
	case v.NextNetwork != "" && v.NextNetwork != v.NetworkName:
		next = "From the next start: " + v.NextNetwork + "."
	}
	if s.next.Text != next {
		showLine(s.next, next) // no empty line in the card
	}
	if v.NextNetwork == "" {
		s.demo.Disable()
	} else {
		s.demo.Enable()
	}
}

// onChooseNetwork asks for a network file.
func (s *Settings) onChooseNetwork() {
	chooseSmallFile(s.win, []string{".json"}, maxNetworkFileBytes, "a network file", s.message.SetText, s.chooseNetwork)
}

// maxNetworkFileBytes bounds a network file: a genesis and trustees' addresses.
const maxNetworkFileBytes = 4 << 20

// chooseNetwork makes data the network of the next start; nil: the demo network.
func (s *Settings) chooseNetwork(data []byte) {
	name, err := s.b.ChooseNetwork(data)
	switch {
	case err != nil:
		s.message.SetText("Not changed: " + err.Error())
	case data == nil:
		s.message.SetText("Daoli runs the local demo network from its next start: quit from the tray icon and start it again.")
	default:
		s.message.SetText("Daoli joins " + name + " from its next start: quit from the tray icon and start it again.")
	}
	s.Refresh()
}
