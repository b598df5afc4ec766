package ui

import "time"

// The tray menu's fixed labels.
const (
	TrayStartSharing = "Start sharing"
	TrayStopSharing  = "Stop sharing"
	TrayOpen         = "Open Daoli"
)

// TrayMenu is what the tray shows for the governor's state: its line (as a disabled
// first item and, prefixed with "Daoli: ", as the icon's tooltip), the same one-click
// choices as the dashboard, and the sharing switch. app's tray renders it; the system
// tray host itself cannot run in a test, so this is where its contents are tested.
type TrayMenu struct {
	State    string
	Tooltip  string
	Choices  []SharingChoice
	Toggle   string // the switch's label: what pressing it does
	SwitchOn bool   // what pressing the switch sets: on (ending a pause) or off
}

// TrayMenuFor lays the tray menu out for state v at now.
func TrayMenuFor(v SharingView, now time.Time) TrayMenu {
	toggle := TrayStartSharing
	if v.SwitchedOn() {
		toggle = TrayStopSharing
	}
	return TrayMenu{State: v.Reason, Tooltip: "Daoli: " + v.Reason, Choices: SharingChoices(v, now),
		Toggle: toggle, SwitchOn: !v.SwitchedOn()}
}

// Labels lists the choices' labels in menu order.
func (m TrayMenu) Labels() []string {
	out := make([]string, len(m.Choices))
	for i, c := range m.Choices {
		out[i] = c.Label
	}
	return out
}
