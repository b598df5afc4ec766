package capacity

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Preset names a ready-made set of sharing settings.
type Preset string

// The presets. Custom marks settings the user changed after picking a preset.
const (
	Quiet    Preset = "quiet"
	Balanced Preset = "balanced"
	Max      Preset = "max"
	Custom   Preset = "custom"
)

// RunMode says when sharing may run at all.
type RunMode string

// The run modes. Always ignores whether the computer is in use, the time windows, other
// programs and the exclusive programs, but still pauses on battery, when too hot and
// while snoozed: those rules protect the machine, not a preference.
const (
	Auto   RunMode = "auto"
	Always RunMode = "always"
	Never  RunMode = "never"
)

// Share is how much of the CPU sharing may use in one situation.
type Share struct {
	// Cores is how many cores may work; 0 means pause.
	Cores int `json:"cores"`
	// Duty is the fraction of each period the cores work, in (0, 1].
	Duty float64 `json:"duty"`
}

// capacity is the share in cores' worth of work, to compare two shares.
func (s Share) capacity() float64 { return float64(s.Cores) * s.Duty }

// GPUSettings are the rules for graphics processors, apart from the CPU's.
type GPUSettings struct {
	Mode RunMode `json:"mode"`
	// WhileInUse lets the GPU work while someone uses the computer.
	WhileInUse bool `json:"while_in_use"`
	// TempCeiling pauses the GPU at this temperature in °C; 0 means no ceiling.
	TempCeiling float64 `json:"temp_ceiling"`
	// TempResume resumes the GPU below this temperature; under TempCeiling.
	TempResume float64 `json:"temp_resume"`
}

// Settings are the user's sharing preferences (docs/capacity.md). Zero numbers switch a
// rule off, except where a field says otherwise.
type Settings struct {
	Preset Preset  `json:"preset"`
	Mode   RunMode `json:"mode"`
	// InUseAfter: the computer counts as in use while the last keyboard or mouse input
	// is more recent than this.
	InUseAfter time.Duration `json:"in_use_after"`
	// InUse applies while the computer is in use or when that cannot be told.
	InUse Share `json:"in_use"`
	// Idle applies when nobody uses the computer, and in run mode Always.
	Idle Share `json:"idle"`
	// PauseAboveOtherCPU pauses when programs other than ours use more than this
	// percentage of the machine.
	PauseAboveOtherCPU float64 `json:"pause_above_other_cpu"`
	// PauseOnBattery pauses whenever the machine runs on battery.
	PauseOnBattery bool `json:"pause_on_battery"`
	// MinBatteryCharge pauses on battery below this charge in percent; only
	// meaningful when PauseOnBattery is off.
	MinBatteryCharge float64 `json:"min_battery_charge"`
	// TempCeiling pauses at this CPU temperature in °C.
	TempCeiling float64 `json:"temp_ceiling"`
	// TempResume resumes below this CPU temperature; under TempCeiling.
	TempResume float64 `json:"temp_resume"`
	// Windows are the hours sharing may run; none means any time.
	Windows []Window `json:"windows,omitempty"`
	// MemoryCap is the share of installed memory, in percent, that jobs may use.
	MemoryCap float64 `json:"memory_cap"`
	// ExclusivePrograms pause sharing while any of them runs (names as the process
	// list shows them; case and a trailing ".exe" do not matter).
	ExclusivePrograms []string    `json:"exclusive_programs,omitempty"`
	GPU               GPUSettings `json:"gpu"`
	// SnoozeUntil pauses everything until this time.
	SnoozeUntil time.Time `json:"snooze_until,omitzero"`
	// ShareNowUntil shares the idle share until this time whatever the preferences
	// (in use, hours, other programs); the rules that protect the machine (battery,
	// temperature) and the exclusive programs still pause it. It ends by itself.
	ShareNowUntil time.Time `json:"share_now_until,omitzero"`
	// PausedByUser pauses everything until the user resumes (FollowRules).
	PausedByUser bool `json:"paused_by_user,omitempty"`
}

// DefaultInUseAfter is how recent input must be for the computer to count as in use.
const DefaultInUseAfter = 3 * time.Minute

// PresetSettings returns the settings of a preset for a machine with the given
// number of logical cores. Custom returns Balanced's values, marked Custom.
//
//   - Quiet: only when nobody is at the computer, a quarter of the cores at half duty,
//     cool (70 °C), yields to other programs early (25 %), no GPU.
//   - Balanced: only when nobody is at the computer, half the cores at full duty,
//     80 °C, yields at 40 %, GPU when idle.
//   - Max: a quarter of the cores at half duty even while in use, all cores when idle,
//     90 °C, yields at 70 %, GPU when idle.
//
// Every preset pauses on battery: comfort first, the user may trade it away.
func PresetSettings(p Preset, cores int) Settings {
	if cores < 1 {
		cores = 1
	}
	quarter, half := max(1, (cores+3)/4), max(1, (cores+1)/2)
	s := Settings{
		Preset:         p,
		Mode:           Auto,
		InUseAfter:     DefaultInUseAfter,
		InUse:          Share{Cores: 0, Duty: 1},
		PauseOnBattery: true,
	}
	switch p {
	case Quiet:
		s.Idle = Share{Cores: quarter, Duty: 0.5}
		s.PauseAboveOtherCPU = 25
		s.TempCeiling, s.TempResume = 70, 60
		s.MemoryCap = 25
		s.GPU = GPUSettings{Mode: Never, TempCeiling: 70, TempResume: 60}
	case Max:
		s.InUse = Share{Cores: quarter, Duty: 0.5}
		s.Idle = Share{Cores: cores, Duty: 1}
		s.PauseAboveOtherCPU = 70
		s.TempCeiling, s.TempResume = 90, 80
		s.MemoryCap = 75
		s.GPU = GPUSettings{Mode: Auto, TempCeiling: 85, TempResume: 75}
	default:
		s.Idle = Share{Cores: half, Duty: 1}
		s.PauseAboveOtherCPU = 40
		s.TempCeiling, s.TempResume = 80, 70
		s.MemoryCap = 50
		s.GPU = GPUSettings{Mode: Auto, TempCeiling: 80, TempResume: 70}
	}
	if p != Quiet && p != Max && p != Balanced {
		s.Preset = Custom
	}
	return s
}

// DefaultSettings are the Balanced preset for the machine.
func DefaultSettings(cores int) Settings { return PresetSettings(Balanced, cores) }

// ForMachine fits settings that follow a preset to a machine with another number of
// cores (after a hardware change); custom settings are returned as they are and the
// governor clamps their core counts.
func (s Settings) ForMachine(cores int) Settings {
	if s.Preset == Custom {
		return s
	}
	p := PresetSettings(s.Preset, cores)
	s.InUse, s.Idle = p.InUse, p.Idle
	return s
}

// Snooze returns the settings with sharing paused until the given time.
func (s Settings) Snooze(until time.Time) Settings {
	s.SnoozeUntil = until
	return s
}

// Switch returns the settings with the sharing switch turned on or off. On means on:
// it clears the user's pause and snooze (a user who switches sharing on expects it
// to share, not to stay paused by an earlier click) and restores run mode Auto if the
// mode was Never; a share-now in force is kept. Off is run mode Never and drops the
// one-click choices, so that on again follows the rules.
func (s Settings) Switch(on bool) Settings {
	if !on {
		s = s.FollowRules()
		s.Mode = Never
		return s
	}
	if s.Mode == Never {
		s.Mode = Auto
	}
	s.PausedByUser, s.SnoozeUntil = false, time.Time{}
	return s
}

// ShareNow returns the settings sharing at once until the given time: the switch on,
// no pause or snooze in the way, the preferences set aside until then.
func (s Settings) ShareNow(until time.Time) Settings {
	if s.Mode == Never {
		s.Mode = Auto
	}
	s.ShareNowUntil, s.PausedByUser, s.SnoozeUntil = until, false, time.Time{}
	return s
}

// Pause returns the settings paused until FollowRules.
func (s Settings) Pause() Settings {
	s.PausedByUser, s.ShareNowUntil = true, time.Time{}
	return s
}

// FollowRules returns the settings without the user's one-off choices: no share-now,
// no pause, no snooze; the preset's rules decide again.
func (s Settings) FollowRules() Settings {
	s.PausedByUser, s.ShareNowUntil, s.SnoozeUntil = false, time.Time{}, time.Time{}
	return s
}

// Validate refuses settings that contradict themselves or, when machineCores is
// positive, the machine. The error wraps ErrInvalidSettings and names every problem.
//
// An idle share smaller than the in-use share is refused: working harder while
// someone is at the computer than when nobody is would defeat the point of the two
// shares, so such settings are taken for a slip.
func (s Settings) Validate(machineCores int) error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	switch s.Preset {
	case Quiet, Balanced, Max, Custom:
	default:
		add("unknown preset %q", s.Preset)
	}
	if !validMode(s.Mode) {
		add("unknown run mode %q", s.Mode)
	}
	if s.InUseAfter < time.Second {
		add("\"in use\" needs input within at least one second, not %s", s.InUseAfter)
	}
	for _, sh := range []struct {
		name  string
		share Share
	}{{"in-use share", s.InUse}, {"idle share", s.Idle}} {
		switch {
		case sh.share.Cores < 0:
			add("%s has a negative core count (%d)", sh.name, sh.share.Cores)
		case machineCores > 0 && sh.share.Cores > machineCores:
			add("%s asks for %d cores; this machine has %d", sh.name, sh.share.Cores, machineCores)
		}
		if !(sh.share.Duty > 0 && sh.share.Duty <= 1) {
			add("%s duty %s is outside (0, 1]", sh.name, formatNumber(sh.share.Duty))
		}
	}
	if s.Idle.capacity() < s.InUse.capacity() {
		add("idle share (%s) is smaller than the in-use share (%s)", describeShare(s.Idle), describeShare(s.InUse))
	}
	if s.Mode == Auto && s.Idle.Cores == 0 && s.InUse.Cores == 0 {
		add("run mode Auto with no cores in use or idle never runs; choose run mode Never instead")
	}
	if s.Mode == Always && s.Idle.Cores == 0 {
		add("run mode Always uses the idle share, which has no cores")
	}
	if s.PauseAboveOtherCPU < 0 || s.PauseAboveOtherCPU >= 100 {
		add("pause above other programs' CPU of %s %% is outside 0–99 %% (0 switches it off)", formatNumber(s.PauseAboveOtherCPU))
	}
	if s.MinBatteryCharge < 0 || s.MinBatteryCharge >= 100 {
		add("minimum battery charge %s %% is outside 0–99 %%", formatNumber(s.MinBatteryCharge))
	}
	if s.PauseOnBattery && s.MinBatteryCharge > 0 {
		add("pause on battery already pauses at any charge; set the minimum charge to 0 or allow running on battery")
	}
	if msg := validateCeiling("CPU", s.TempCeiling, s.TempResume); msg != "" {
		add("%s", msg)
	}
	for _, w := range s.Windows {
		if err := w.validate(); err != nil {
			add("%s", err.Error())
		}
	}
	if s.MemoryCap < 0 || s.MemoryCap > 100 {
		add("memory cap %s %% is outside 0–100 %% (0 switches it off)", formatNumber(s.MemoryCap))
	}
	seen := map[string]bool{}
	for _, name := range s.ExclusivePrograms {
		key := programKey(name)
		switch {
		case key == "":
			add("an exclusive program has an empty name")
		case seen[key]:
			add("exclusive program %q is listed twice", name)
		}
		seen[key] = true
	}
	if !validMode(s.GPU.Mode) {
		add("unknown GPU run mode %q", s.GPU.Mode)
	}
	if msg := validateCeiling("GPU", s.GPU.TempCeiling, s.GPU.TempResume); msg != "" {
		add("%s", msg)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidSettings, strings.Join(problems, "; "))
	}
	return nil
}

func validMode(m RunMode) bool { return m == Auto || m == Always || m == Never }

// validateCeiling checks a temperature ceiling and its resume point; 0/0 is off.
func validateCeiling(what string, ceiling, resume float64) string {
	switch {
	case ceiling == 0 && resume == 0:
		return ""
	case ceiling == 0:
		return fmt.Sprintf("%s resume temperature %s °C is set without a ceiling", what, formatNumber(resume))
	case ceiling < 30 || ceiling > 110:
		return fmt.Sprintf("%s temperature ceiling %s °C is outside 30–110 °C", what, formatNumber(ceiling))
	case resume <= 0:
		return fmt.Sprintf("%s temperature ceiling %s °C needs a resume temperature below it", what, formatNumber(ceiling))
	case resume >= ceiling:
		return fmt.Sprintf("%s resume temperature %s °C is not below the ceiling %s °C", what, formatNumber(resume), formatNumber(ceiling))
	}
	return ""
}

// settingsJSON spells the one duration as text ("3m0s") so a settings file reads well.
type settingsJSON struct {
	settingsFields
	InUseAfter string `json:"in_use_after"`
}

// settingsFields has Settings' fields without its methods, so encoding does not recurse.
type settingsFields Settings

// MarshalJSON encodes the settings for storage.
func (s Settings) MarshalJSON() ([]byte, error) {
	return json.Marshal(settingsJSON{settingsFields: settingsFields(s), InUseAfter: s.InUseAfter.String()})
}

// UnmarshalJSON decodes stored settings. Like any JSON decoding it keeps the fields
// the input leaves out, so a partial document overrides a preset. Fields it does not
// know are an error, so a typo in a hand-edited file is reported, not ignored.
func (s *Settings) UnmarshalJSON(b []byte) error {
	j := settingsJSON{settingsFields: settingsFields(*s)}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	*s = Settings(j.settingsFields)
	if j.InUseAfter != "" {
		d, err := time.ParseDuration(j.InUseAfter)
		if err != nil {
			return fmt.Errorf("in_use_after: %w", err)
		}
		s.InUseAfter = d
	}
	return nil
}

// Encode returns the settings as JSON.
func (s Settings) Encode() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode settings: %w", err)
	}
	return b, nil
}

// DecodeSettings reads settings written by Encode. It does not validate them: the
// caller knows the machine (see Settings.Validate).
func DecodeSettings(b []byte) (Settings, error) {
	var s Settings
	if err := json.Unmarshal(b, &s); err != nil {
		return Settings{}, fmt.Errorf("%w: settings: %w", ErrCorrupt, err)
	}
	return s, nil
}

// programKey normalises a program name for matching: lower case, no ".exe"/".app".
func programKey(name string) string {
	k := strings.ToLower(strings.TrimSpace(name))
	k = strings.TrimSuffix(k, ".exe")
	k = strings.TrimSuffix(k, ".app")
	return k
}

// WhenItShares says in one sentence when settings that follow a preset share on a
// machine with the given number of cores, for the first-run screen.
func (s Settings) WhenItShares(cores int) string {
	name := "The custom preset"
	if s.Preset != "" {
		name = strings.ToUpper(string(s.Preset[:1])) + string(s.Preset[1:])
	}
	idle := describeCores(min(s.Idle.Cores, max(cores, 1)), cores, s.Idle.Duty)
	switch {
	case s.Mode == Never:
		return name + " does not share."
	case s.Mode == Always:
		return fmt.Sprintf("%s shares at once %s, also while you use the computer.", name, idle)
	case s.InUse.Cores > 0:
		return fmt.Sprintf("%s shares at once %s, also while you use the computer, and %s after %s without keyboard or mouse input.",
			name, describeCores(min(s.InUse.Cores, max(cores, 1)), cores, s.InUse.Duty), idle, formatAgo(s.InUseAfter))
	}
	return fmt.Sprintf("%s starts sharing %s after %s without keyboard or mouse input, so not while you type here.",
		name, idle, formatAgo(s.InUseAfter))
}
