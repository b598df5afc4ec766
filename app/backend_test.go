package app

import (
	"slices"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/capacity"
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
