package app

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/light"
	"github.com/daolicloud/daoli/ui"
)

func TestRuleLines(t *testing.T) {
	s := capacity.DefaultSettings(4)
	s.ExclusivePrograms = []string{"steam"}
	s.PauseOnBattery, s.MinBatteryCharge = false, 30
	s.SnoozeUntil = time.Now().Add(time.Hour)
	lines := ruleLines(s)
	for _, want := range []string{"Pause while running: steam", "On battery: pause below 30 % charge"} {
		if !slices.Contains(lines, want) {
			t.Errorf("no line %q in %q", want, lines)
		}
	}
	if lines[0] != "Run mode: "+string(s.Mode) || len(lines) < 6 {
		t.Errorf("lines %q", lines)
	}
	if last := lines[len(lines)-1]; last[:len("Snoozed until")] != "Snoozed until" {
		t.Errorf("last line %q, want the snooze", last)
	}
}

// TestApplyDetail: the Share screen's detail lands in the settings, custom, and the
// governor's validation judges it.
func TestApplyDetail(t *testing.T) {
	s := capacity.DefaultSettings(4)
	applyDetail(&s, ui.SharingDetail{Mode: "always", InUseAfter: 2 * time.Minute, InUseCores: 1, InUseDuty: 50, IdleCores: 3, IdleDuty: 100,
		PauseAboveOtherCPU: 30, MinBatteryCharge: 20, TempCeiling: 85, TempResume: 75, MemoryCap: 40, ExclusivePrograms: []string{"steam"}, GPUMode: "never"},
		[]capacity.Window{{Day: time.Monday, Start: 9 * 60, End: 17 * 60}})
	if s.Preset != capacity.Custom || s.Mode != capacity.Always || s.InUse != (capacity.Share{Cores: 1, Duty: 0.5}) || s.Idle != (capacity.Share{Cores: 3, Duty: 1}) ||
		s.PauseOnBattery || s.MinBatteryCharge != 20 || s.GPU.Mode != capacity.Never || s.ExclusivePrograms[0] != "steam" || len(s.Windows) != 1 {
		t.Fatalf("settings %+v", s)
	}
	if err := s.Validate(4); err != nil {
		t.Fatalf("valid detail refused: %v", err)
	}
	applyDetail(&s, ui.SharingDetail{Mode: "auto", InUseAfter: time.Minute, InUseCores: 4, InUseDuty: 100, IdleCores: 1, IdleDuty: 100, GPUMode: "auto"}, nil)
	if err := s.Validate(4); err == nil {
		t.Fatal("an idle share below the in-use share was accepted")
	}
}

func TestParseWindows(t *testing.T) {
	ws, err := parseWindows([]string{"Mon 09:00–17:00", "sat 22:00-24:00"})
	if err != nil || len(ws) != 2 || windowTexts(ws)[1] != "Sat 22:00–24:00" {
		t.Fatalf("%v %v", ws, err)
	}
	if _, err := parseWindows([]string{"Mon 09:00–17:00", "someday"}); err == nil {
		t.Fatal("a bad window accepted")
	}
}

// TestEarningsByTime: the ledger's earnings land on their local calendar day and,
// today, their hour; spending and what is older than 30 days do not.
func TestEarningsByTime(t *testing.T) {
	loc := time.FixedZone("here", 2*3600)
	now := time.Date(2026, 3, 10, 15, 30, 0, 0, loc)
	entry := func(at time.Time, src light.Source, amount uint64) light.Entry {
		return light.Entry{Time: at.UnixNano(), Source: src, Amount: amount}
	}
	es := []light.Entry{
		entry(time.Date(2026, 3, 10, 0, 5, 0, 0, loc), light.SourceWin, 400),      // today, hour 0
		entry(time.Date(2026, 3, 10, 15, 10, 0, 0, loc), light.SourcePayroll, 50), // today, hour 15
		entry(time.Date(2026, 3, 10, 15, 20, 0, 0, loc), light.SourceSale, 12),    // compute
		entry(time.Date(2026, 3, 9, 23, 59, 0, 0, loc), light.SourceWin, 400),     // yesterday
		entry(time.Date(2026, 2, 9, 12, 0, 0, 0, loc), light.SourceWin, 400),      // the first of the 30 days
		entry(time.Date(2026, 2, 8, 23, 0, 0, 0, loc), light.SourceWin, 400),      // before them
		entry(time.Date(2026, 3, 10, 12, 0, 0, 0, loc), light.SourceSent, 99),     // spending
	}
	first, days, hours := earningsByTime(es, now)
	if !first.Equal(time.Date(2026, 2, 9, 0, 0, 0, 0, loc)) || len(days) != ui.EarningDays || len(hours) != 24 {
		t.Fatalf("first day %v, %d days, %d hours", first, len(days), len(hours))
	}
	want := map[int]map[string]uint64{0: {"win": 400}, 28: {"win": 400}, 29: {"win": 400, "payroll": 50, "compute": 12}}
	for i, day := range days {
		if !maps.Equal(day, want[i]) && (len(day) != 0 || want[i] != nil) {
			t.Errorf("day %d: %v, want %v", i, day, want[i])
		}
	}
	wantH := map[int]map[string]uint64{0: {"win": 400}, 15: {"payroll": 50, "compute": 12}}
	for i, h := range hours {
		if !maps.Equal(h, wantH[i]) && (len(h) != 0 || wantH[i] != nil) {
			t.Errorf("hour %d: %v, want %v", i, h, wantH[i])
		}
	}
}
