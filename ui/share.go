package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Share is the sharing switch, the preset and the governor's reason.
type Share struct {
	b        Backend
	toggle   *widget.Check
	presets  *widget.RadioGroup
	reason   *widget.Label
	message  *widget.Label
	updating bool
	Content  fyne.CanvasObject
}

// NewShare builds the sharing screen.
func NewShare(b Backend) *Share {
	s := &Share{b: b, reason: widget.NewLabel(""), message: widget.NewLabel("")}
	s.reason.Wrapping = fyne.TextWrapWord
	s.toggle = widget.NewCheck("Share this computer's idle time (mine and run jobs)", func(on bool) {
		if s.updating {
			return
		}
		if err := s.b.SetSharing(on); err != nil {
			s.message.SetText("Not changed: " + err.Error())
		}
		s.Refresh()
	})
	s.presets = widget.NewRadioGroup(b.Sharing().Presets, func(p string) {
		if s.updating || p == "" {
			return
		}
		if err := s.b.SetPreset(p); err != nil {
			s.message.SetText("Not changed: " + err.Error())
		}
		s.Refresh()
	})
	s.Content = container.NewVScroll(container.NewVBox(
		widget.NewCard("Sharing", "", container.NewVBox(s.toggle, s.reason)),
		widget.NewCard("How much", "Quiet keeps the fans down; Max uses what the rules allow", s.presets),
		s.message))
	s.Refresh()
	return s
}

// Refresh reads the backend again.
func (s *Share) Refresh() {
	v := s.b.Sharing()
	s.updating = true
	s.toggle.SetChecked(v.On)
	s.presets.SetSelected(v.Preset)
	s.updating = false
	setText(s.reason, v.Reason)
}
