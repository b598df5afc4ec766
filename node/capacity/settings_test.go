package capacity

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPresetsAreValid(t *testing.T) {
	for _, cores := range []int{1, 2, 3, 4, 8, 64} {
		for _, p := range []Preset{Quiet, Balanced, Max, Custom} {
			s := PresetSettings(p, cores)
			if err := s.Validate(cores); err != nil {
				t.Errorf("%s on %d cores: %v", p, cores, err)
			}
			if s.Idle.Cores < 1 || s.Idle.Cores > cores {
				t.Errorf("%s on %d cores: idle share %d cores", p, cores, s.Idle.Cores)
			}
			if !s.PauseOnBattery {
				t.Errorf("%s does not pause on battery", p)
			}
		}
	}
	if got := PresetSettings("turbo", 4).Preset; got != Custom {
		t.Errorf("unknown preset became %q, want custom", got)
	}
}

func TestForMachine(t *testing.T) {
	s := PresetSettings(Max, 16).ForMachine(4)
	if s.Idle.Cores != 4 || s.InUse.Cores != 1 {
		t.Errorf("Max refitted to 4 cores: in use %d, idle %d", s.InUse.Cores, s.Idle.Cores)
	}
	custom := PresetSettings(Balanced, 16)
	custom.Preset = Custom
	if got := custom.ForMachine(4); got.Idle.Cores != 8 {
		t.Errorf("custom settings were refitted: idle %d cores", got.Idle.Cores)
	}
}

func TestValidateRefusesContradictions(t *testing.T) {
	base := func() Settings { return PresetSettings(Balanced, 8) }
	tests := []struct {
		name   string
		change func(*Settings)
		want   string
	}{
		{"more cores than the machine", func(s *Settings) { s.Idle.Cores = 9 }, "idle share asks for 9 cores; this machine has 8"},
		{"negative cores", func(s *Settings) { s.InUse.Cores = -1 }, "in-use share has a negative core count (-1)"},
		{"duty zero", func(s *Settings) { s.Idle.Duty = 0 }, "idle share duty 0 is outside (0, 1]"},
		{"duty above one", func(s *Settings) { s.Idle.Duty = 1.5 }, "idle share duty 1.5 is outside (0, 1]"},
		{"idle smaller than in use", func(s *Settings) { s.InUse = Share{Cores: 4, Duty: 1}; s.Idle = Share{Cores: 2, Duty: 1} },
			"idle share (2 cores) is smaller than the in-use share (4 cores)"},
		{"auto that never runs", func(s *Settings) { s.Idle.Cores = 0 }, "run mode Auto with no cores in use or idle never runs"},
		{"always without cores", func(s *Settings) { s.Mode = Always; s.Idle.Cores = 0 }, "run mode Always uses the idle share, which has no cores"},
		{"resume at the ceiling", func(s *Settings) { s.TempResume = 80 }, "CPU resume temperature 80 °C is not below the ceiling 80 °C"},
		{"resume above the ceiling", func(s *Settings) { s.TempResume = 85 }, "CPU resume temperature 85 °C is not below the ceiling 80 °C"},
		{"resume without ceiling", func(s *Settings) { s.TempCeiling = 0 }, "CPU resume temperature 70 °C is set without a ceiling"},
		{"absurd ceiling", func(s *Settings) { s.TempCeiling, s.TempResume = 150, 100 }, "CPU temperature ceiling 150 °C is outside 30–110 °C"},
		{"GPU resume above ceiling", func(s *Settings) { s.GPU.TempResume = 90 }, "GPU resume temperature 90 °C is not below the ceiling 80 °C"},
		{"window ending before it starts", func(s *Settings) {
			s.Windows = []Window{{Day: time.Monday, Start: 22 * 60, End: 6 * 60}}
		}, "time window Mon 22:00–06:00 ends before it starts"},
		{"empty window", func(s *Settings) { s.Windows = []Window{{Day: time.Friday, Start: 600, End: 600}} }, "time window Fri 10:00–10:00 ends before it starts"},
		{"battery both ways", func(s *Settings) { s.MinBatteryCharge = 30 }, "pause on battery already pauses at any charge"},
		{"charge of 100", func(s *Settings) { s.PauseOnBattery = false; s.MinBatteryCharge = 100 }, "minimum battery charge 100 % is outside 0–99 %"},
		{"other CPU of 100", func(s *Settings) { s.PauseAboveOtherCPU = 100 }, "pause above other programs' CPU of 100 % is outside 0–99 %"},
		{"memory cap above 100", func(s *Settings) { s.MemoryCap = 120 }, "memory cap 120 % is outside 0–100 %"},
		{"in use after zero", func(s *Settings) { s.InUseAfter = 0 }, "\"in use\" needs input within at least one second, not 0s"},
		{"duplicate program", func(s *Settings) { s.ExclusivePrograms = []string{"zoom", "Zoom.exe"} }, "exclusive program \"Zoom.exe\" is listed twice"},
		{"empty program", func(s *Settings) { s.ExclusivePrograms = []string{" "} }, "an exclusive program has an empty name"},
		{"unknown mode", func(s *Settings) { s.Mode = "sometimes" }, "unknown run mode \"sometimes\""},
		{"unknown GPU mode", func(s *Settings) { s.GPU.Mode = "" }, "unknown GPU run mode \"\""},
		{"unknown preset", func(s *Settings) { s.Preset = "turbo" }, "unknown preset \"turbo\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			tt.change(&s)
			err := s.Validate(8)
			if !errors.Is(err, ErrInvalidSettings) {
				t.Fatalf("Validate = %v, want ErrInvalidSettings", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %q\nwant it to say %q", err, tt.want)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	s := PresetSettings(Quiet, 8)
	s.Preset = Custom
	s.PauseOnBattery, s.MinBatteryCharge = false, 20
	s.Windows = []Window{{Day: time.Saturday, Start: 0, End: minutesPerDay}, {Day: time.Sunday, Start: 22 * 60, End: minutesPerDay}}
	s.ExclusivePrograms = []string{"zoom", "obs"}
	s.InUse = Share{Cores: 1, Duty: 0.25}
	if err := s.Validate(8); err != nil {
		t.Fatal(err)
	}
	// The machine's cores are checked only when known.
	s.Idle.Cores = 32
	if err := s.Validate(0); err != nil {
		t.Errorf("without the machine: %v", err)
	}
}

func TestSettingsEncodeDecode(t *testing.T) {
	s := PresetSettings(Balanced, 8)
	s.Preset = Custom
	s.Windows = []Window{{Day: time.Wednesday, Start: 9 * 60, End: 17*60 + 30}}
	s.ExclusivePrograms = []string{"zoom"}
	s.SnoozeUntil = time.Date(2025, 3, 3, 14, 5, 0, 0, time.UTC)
	b, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"in_use_after": "3m0s"`, `"day": "wed"`, `"end": "17:30"`, `"snooze_until": "2025-03-03T14:05:00Z"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("encoding lacks %s:\n%s", want, b)
		}
	}
	got, err := DecodeSettings(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, s)
	}
}

func TestDecodeSettingsRejects(t *testing.T) {
	for name, text := range map[string]string{
		"typo":         `{"pause_on_batery": true}`,
		"bad duration": `{"in_use_after": "three minutes"}`,
		"bad day":      `{"windows": [{"day": "mondi", "start": "09:00", "end": "10:00"}]}`,
		"bad time":     `{"windows": [{"day": "mon", "start": "9:00", "end": "10:00"}]}`,
		"late time":    `{"windows": [{"day": "mon", "start": "09:00", "end": "24:01"}]}`,
		"not json":     `{`,
	} {
		if _, err := DecodeSettings([]byte(text)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: DecodeSettings = %v, want ErrCorrupt", name, err)
		}
	}
}

func TestFileSettingsStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "share", "settings.json")
	store := FileSettingsStore{Path: path}
	if _, err := store.Load(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load before Save = %v, want ErrNotFound", err)
	}
	s := PresetSettings(Quiet, 4)
	if err := store.Save(s); err != nil {
		t.Fatal(err)
	}
	got, err := store.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("Load = %+v, want %+v", got, s)
	}
	bad := s
	bad.TempResume = 99
	if err := store.Save(bad); !errors.Is(err, ErrInvalidSettings) {
		t.Errorf("Save of contradictory settings = %v", err)
	}
	if got, _ := store.Load(); !reflect.DeepEqual(got, s) {
		t.Errorf("a refused Save changed the file")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d files, want only settings.json (no temporary left)", len(entries))
	}
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Load of a broken file = %v, want ErrCorrupt", err)
	}

	var mem MemorySettingsStore
	if _, err := mem.Load(); !errors.Is(err, ErrNotFound) {
		t.Errorf("empty memory store: %v", err)
	}
	if err := mem.Save(s); err != nil {
		t.Fatal(err)
	}
	if got, _ := mem.Load(); !reflect.DeepEqual(got, s) {
		t.Errorf("memory store lost the settings")
	}
}

func TestParseTimeOfDay(t *testing.T) {
	for text, want := range map[string]TimeOfDay{"00:00": 0, "09:30": 570, "24:00": 1440, "23:59": 1439} {
		got, err := ParseTimeOfDay(text)
		if err != nil || got != want {
			t.Errorf("ParseTimeOfDay(%q) = %d, %v; want %d", text, got, err, want)
		}
	}
	for _, text := range []string{"", "9:30", "09:60", "24:01", "+9:30", "ab:cd", "09-30"} {
		if _, err := ParseTimeOfDay(text); err == nil {
			t.Errorf("ParseTimeOfDay(%q) accepted", text)
		}
	}
}

func TestWhenItShares(t *testing.T) {
	for p, want := range map[Preset]string{
		Balanced: "Balanced starts sharing 2 of 4 cores after 3 min without keyboard or mouse input, so not while you type here.",
		Quiet:    "Quiet starts sharing 1 of 4 cores at 50 % after 3 min without keyboard or mouse input, so not while you type here.",
		Max:      "Max shares at once 1 of 4 cores at 50 %, also while you use the computer, and 4 of 4 cores after 3 min without keyboard or mouse input.",
	} {
		if got := PresetSettings(p, 4).WhenItShares(4); got != want {
			t.Errorf("%s: %q, want %q", p, got, want)
		}
	}
	// Settings of no preset (edited by hand) still get a sentence.
	custom := PresetSettings(Balanced, 4)
	custom.Preset = ""
	if got, want := custom.WhenItShares(4), "The custom preset starts sharing"; !strings.HasPrefix(got, want) {
		t.Errorf("no preset: %q, want it to begin %q", got, want)
	}
}
