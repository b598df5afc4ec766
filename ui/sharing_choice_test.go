package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// TestDashboardSharingLine: the dashboard shows the governor's line with the choices
// that change something in each state, and a press changes the state.
func TestDashboardSharingLine(t *testing.T) {
	now := time.Now()
	tests := []struct {
		golden  string
		view    SharingView
		choices []string
	}{
		{"sharing_waiting.xml", SharingView{On: true,
			Reason: "Waiting: you are using the computer (input 1 s ago); sharing starts after 3 min without input"},
			[]string{ChoiceShareNow, ChoicePause}},
		{"sharing_running.xml", SharingView{On: true, Running: true, Reason: "Sharing: 1 of 2 cores at full duty, idle for 4 min"},
			[]string{ChoiceShareNow, ChoicePause}},
		{"sharing_battery.xml", SharingView{On: true, Reason: "Paused: on battery"},
			[]string{ChoiceShareNow, ChoicePause}},
		{"sharing_paused_by_user.xml", SharingView{On: true, PausedByUser: true, Reason: "Paused: by you, until you resume"},
			[]string{ChoiceShareNow, ChoiceRules}},
		{"sharing_now.xml", SharingView{On: true, Running: true, ShareNowUntil: now.Add(52 * time.Minute),
			Reason: "Sharing: 1 of 2 cores at full duty, shared now, 52 min left"},
			[]string{ChoicePause, ChoiceRules}},
		{"sharing_now_battery.xml", SharingView{On: true, ShareNowUntil: now.Add(50 * time.Minute),
			Reason: "Paused: on battery; sharing now resumes after it, 50 min left"},
			[]string{ChoicePause, ChoiceRules}},
		{"sharing_off.xml", SharingView{Reason: "Paused: sharing is off"}, []string{ChoiceShareNow}},
		{"sharing_always.xml", SharingView{On: true, Always: true, Running: true, Reason: "Sharing: 1 of 2 cores at full duty, always"}, []string{ChoicePause}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			test.NewTempApp(t)
			f := newFake()
			f.sharing = tt.view
			d := NewDashboard(f)
			w := test.NewTempWindow(t, d.sharingCard)
			w.Resize(fyne.NewSize(700, 200))
			if got := d.choicesShown; !equalStrings(got, tt.choices) {
				t.Errorf("choices %q, want %q", got, tt.choices)
			}
			test.AssertRendersToMarkup(t, tt.golden, w.Canvas())
		})
	}
}

// TestDashboardShareNowPress: pressing the choices moves through the states.
func TestDashboardShareNowPress(t *testing.T) {
	test.NewTempApp(t)
	f := newFake()
	f.sharing = SharingView{On: true, Reason: "Waiting: you are using the computer (input 1 s ago); sharing starts after 3 min without input"}
	d := NewDashboard(f)
	press := func(label string) {
		t.Helper()
		for _, o := range d.choices.Objects {
			if b := o.(*widget.Button); b.Text == label {
				test.Tap(b)
				return
			}
		}
		t.Fatalf("no button %q among %q", label, d.choicesShown)
	}
	press(ChoiceShareNow)
	if !f.sharing.Running || d.sharing.Text != "Sharing: 1 of 2 cores at full duty, shared now, 1 h left" || !equalStrings(d.choicesShown, []string{ChoicePause, ChoiceRules}) {
		t.Fatalf("after share now: %q, choices %q", d.sharing.Text, d.choicesShown)
	}
	press(ChoicePause)
	if d.sharing.Text != "Paused: by you, until you resume" || !equalStrings(d.choicesShown, []string{ChoiceShareNow, ChoiceRules}) {
		t.Fatalf("after pause: %q, choices %q", d.sharing.Text, d.choicesShown)
	}
	press(ChoiceRules)
	if f.sharing.PausedByUser || !equalStrings(d.choicesShown, []string{ChoiceShareNow, ChoicePause}) {
		t.Fatalf("after back to the rules: %q, choices %q", d.sharing.Text, d.choicesShown)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestEarningsChart: per day over 30 days and per hour today, by source, each panel to
// its own scale; a new install says that nothing is earned yet, a day without
// earnings so far says so for today.
func TestEarningsChart(t *testing.T) {
	noneToday := fakeEarnings()
	for i := range noneToday.Hours {
		noneToday.Hours[i] = map[string]uint64{}
	}
	empty := EarningsView{FirstDay: fakeEarnings().FirstDay, Days: make([]map[string]uint64, EarningDays), Hours: make([]map[string]uint64, 24)}
	for name, e := range map[string]EarningsView{"chart_week.xml": fakeEarnings(), "chart_none_today.xml": noneToday, "chart_new.xml": empty} {
		t.Run(name, func(t *testing.T) {
			test.NewTempApp(t)
			c := newEarningsChart()
			c.set(e)
			w := test.NewTempWindow(t, c)
			w.Resize(fyne.NewSize(800, 200))
			test.AssertRendersToMarkup(t, name, w.Canvas())
		})
	}
}
