package ui

import (
	"testing"
	"time"
)

// recordControl records which of the one-click choices a menu item called.
type recordControl struct{ calls []string }

func (r *recordControl) ShareNow(d time.Duration) error {
	r.calls = append(r.calls, "share now "+d.String())
	return nil
}
func (r *recordControl) PauseSharing() error { r.calls = append(r.calls, "pause"); return nil }
func (r *recordControl) FollowRules() error  { r.calls = append(r.calls, "rules"); return nil }

// TestTrayMenu: the tray shows the governor's line as its first item and tooltip, the
// dashboard's choices for each state, each calling its control, and the switch.
func TestTrayMenu(t *testing.T) {
	now := time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)
	waiting := "Waiting: you are using the computer (input 1 s ago); sharing starts after 3 min without input"
	tests := []struct {
		name    string
		view    SharingView
		choices []string
		calls   []string
		toggle  string
	}{
		{"waiting", SharingView{On: true, Reason: waiting},
			[]string{ChoiceShareNow, ChoicePause}, []string{"share now 1h0m0s", "pause"}, TrayStopSharing},
		{"sharing", SharingView{On: true, Running: true, Reason: "Sharing: 1 of 4 cores at half duty, idle for 4 min"},
			[]string{ChoiceShareNow, ChoicePause}, []string{"share now 1h0m0s", "pause"}, TrayStopSharing},
		{"paused by the user", SharingView{On: true, PausedByUser: true, Reason: "Paused: by you, until you resume"},
			[]string{ChoiceShareNow, ChoiceRules}, []string{"share now 1h0m0s", "rules"}, TrayStartSharing},
		{"sharing now", SharingView{On: true, Running: true, ShareNowUntil: now.Add(52 * time.Minute),
			Reason: "Sharing: 1 of 4 cores at half duty, shared now, 52 min left"},
			[]string{ChoicePause, ChoiceRules}, []string{"pause", "rules"}, TrayStopSharing},
		{"share now ended", SharingView{On: true, ShareNowUntil: now.Add(-time.Second), Reason: waiting},
			[]string{ChoiceShareNow, ChoicePause}, []string{"share now 1h0m0s", "pause"}, TrayStopSharing},
		{"snoozed", SharingView{On: true, SnoozedUntil: now.Add(time.Hour), Reason: "Paused: snoozed until 15:00"},
			[]string{ChoiceShareNow, ChoicePause, ChoiceRules}, []string{"share now 1h0m0s", "pause", "rules"}, TrayStopSharing},
		{"off", SharingView{Reason: "Paused: sharing is off"},
			[]string{ChoiceShareNow}, []string{"share now 1h0m0s"}, TrayStartSharing},
		{"always", SharingView{On: true, Always: true, Running: true, Reason: "Sharing: 4 of 4 cores at full duty, always"},
			[]string{ChoicePause}, []string{"pause"}, TrayStopSharing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := TrayMenuFor(tt.view, now)
			if m.State != tt.view.Reason || m.Tooltip != "Daoli: "+tt.view.Reason {
				t.Errorf("state %q, tooltip %q; want the line %q", m.State, m.Tooltip, tt.view.Reason)
			}
			if got := m.Labels(); !equalStrings(got, tt.choices) {
				t.Errorf("choices %q, want %q", got, tt.choices)
			}
			if m.Toggle != tt.toggle || m.SwitchOn != (tt.toggle == TrayStartSharing) {
				t.Errorf("switch %q (on: %v), want %q", m.Toggle, m.SwitchOn, tt.toggle)
			}
			r := &recordControl{}
			for _, c := range m.Choices {
				if err := c.Do(r); err != nil {
					t.Fatalf("%s: %v", c.Label, err)
				}
			}
			if !equalStrings(r.calls, tt.calls) {
				t.Errorf("the choices called %q, want %q", r.calls, tt.calls)
			}
		})
	}
}
