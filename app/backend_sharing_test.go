package app

import (
	"slices"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/capacity"
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
