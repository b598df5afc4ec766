package app

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/ui"
)

// ShareNow implements ui.SharingControl.
func (b *uiBackend) ShareNow(d time.Duration) error {
	until := time.Now().Add(d)
	return b.update(func(s *capacity.Settings) { *s = s.ShareNow(until) })
}

// PauseSharing implements ui.SharingControl.
func (b *uiBackend) PauseSharing() error {
	return b.update(func(s *capacity.Settings) { *s = s.Pause() })
}

// FollowRules implements ui.SharingControl.
func (b *uiBackend) FollowRules() error {
	return b.update(func(s *capacity.Settings) { *s = s.FollowRules() })
}

func (b *uiBackend) Sharing() ui.SharingView {
	d := b.s.Governor.Decision()
	s := b.s.Governor.Settings()
	v := ui.SharingView{On: s.Mode != capacity.Never, Running: d.Run, Reason: d.Reason, Preset: string(s.Preset),
		Presets: []string{string(capacity.Quiet), string(capacity.Balanced), string(capacity.Max)}}
	now := time.Now()
	if now.Before(s.ShareNowUntil) {
		v.ShareNowUntil = s.ShareNowUntil
	}
	if now.Before(s.SnoozeUntil) {
		v.SnoozedUntil = s.SnoozeUntil
	}
	v.PausedByUser, v.Always = s.PausedByUser, s.Mode == capacity.Always
	sm := b.s.Governor.Sample()
	v.SampledAt = sm.At
	v.OwnCPU, v.OwnCPUKnown = sm.OwnCPU.Get()
	v.OwnMemory, v.OwnMemoryKnown = sm.OwnMemory.Get()
	v.MemoryTotal, v.MemKnown = sm.MemoryTotal.Get()
	var gpus []capacity.GPU
	gpus, v.GPUsKnown = sm.GPUs.Get()
	for _, g := range gpus {
		name := g.Name
		if name == "" {
			name = g.Vendor + " " + g.PCIID
		}
		v.GPUs = append(v.GPUs, name)
	}
	if b.s.Node != nil {
		// Registered on chain with the webgpu executor: what the provider offers, not
		// only what the probe found.
		if rec, ok := b.s.Node.Provider(); ok {
			v.GPUJobs = slices.Contains(rec.Executors, chain.ExecutorWebGPU)
		}
	}
	return v
}

func (b *uiBackend) update(change func(*capacity.Settings)) error { return b.s.UpdateSharing(change) }

// SetSharing is the switch; unlike the control API it does not wait for the
// governor's decision, which the window shows when it comes.
func (b *uiBackend) SetSharing(on bool) error {
	return b.update(func(s *capacity.Settings) { switchSharing(s, on) })
}

func (b *uiBackend) SetPreset(p string) error {
	if !slices.Contains([]string{string(capacity.Quiet), string(capacity.Balanced), string(capacity.Max)}, p) {
		return fmt.Errorf("no preset %q", p)
	}
	return b.update(func(s *capacity.Settings) {
		old := *s
		*s = capacity.PresetSettings(capacity.Preset(p), runtime.NumCPU())
		// The switch and the one-click choices are not part of a preset.
		s.Mode, s.SnoozeUntil, s.ShareNowUntil, s.PausedByUser = old.Mode, old.SnoozeUntil, old.ShareNowUntil, old.PausedByUser
	})
}

// ruleLines writes the governor's settings (docs/capacity.md) for the Share screen.
func ruleLines(s capacity.Settings) []string {
	share := func(sh capacity.Share) string {
		if sh.Cores == 0 {
			return "paused"
		}
		return fmt.Sprintf("%d %s at %.0f %% duty", sh.Cores, plural(sh.Cores, "core", "cores"), 100*sh.Duty)
	}
	lines := []string{
		fmt.Sprintf("Run mode: %s", s.Mode),
		fmt.Sprintf("In use (input in the last %v): %s", s.InUseAfter, share(s.InUse)),
		fmt.Sprintf("Idle: %s", share(s.Idle)),
	}
	if s.PauseAboveOtherCPU > 0 {
		lines = append(lines, fmt.Sprintf("Pause while other programs use more than %.0f %% of the CPU", s.PauseAboveOtherCPU))
	}
	switch {
	case s.PauseOnBattery:
		lines = append(lines, "Pause on battery: yes")
	case s.MinBatteryCharge > 0:
		lines = append(lines, fmt.Sprintf("On battery: pause below %.0f %% charge", s.MinBatteryCharge))
	default:
		lines = append(lines, "Pause on battery: no")
	}
	if s.TempCeiling > 0 {
		lines = append(lines, fmt.Sprintf("Pause at %.0f °C, resume below %.0f °C", s.TempCeiling, s.TempResume))
	}
	if len(s.Windows) > 0 {
		var ws []string
		for _, w := range s.Windows {
			ws = append(ws, w.String())
		}
		lines = append(lines, "Only during: "+strings.Join(ws, ", "))
	}
	if s.MemoryCap > 0 {
		lines = append(lines, fmt.Sprintf("Jobs may use up to %.0f %% of the memory", s.MemoryCap))
	}
	if len(s.ExclusivePrograms) > 0 {
		lines = append(lines, "Pause while running: "+strings.Join(s.ExclusivePrograms, ", "))
	}
	gpu := fmt.Sprintf("Graphics processor: %s", s.GPU.Mode)
	if s.GPU.WhileInUse {
		gpu += ", also while the computer is in use"
	}
	lines = append(lines, gpu)
	if s.PausedByUser {
		lines = append(lines, "Paused by you until you resume")
	}
	if time.Now().Before(s.ShareNowUntil) {
		lines = append(lines, "Sharing now until "+s.ShareNowUntil.Local().Format(time.TimeOnly))
	}
	if !s.SnoozeUntil.IsZero() && time.Now().Before(s.SnoozeUntil) {
		lines = append(lines, "Snoozed until "+s.SnoozeUntil.Local().Format(time.TimeOnly))
	}
	return lines
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (b *uiBackend) SharingDetail() ui.SharingDetail {
	s := b.s.Governor.Settings()
	return ui.SharingDetail{Mode: string(s.Mode), InUseAfter: s.InUseAfter, InUseCores: s.InUse.Cores, IdleCores: s.Idle.Cores,
		InUseDuty: 100 * s.InUse.Duty, IdleDuty: 100 * s.Idle.Duty, PauseAboveOtherCPU: s.PauseAboveOtherCPU,
		PauseOnBattery: s.PauseOnBattery, MinBatteryCharge: s.MinBatteryCharge, TempCeiling: s.TempCeiling, TempResume: s.TempResume,
		MemoryCap: s.MemoryCap, ExclusivePrograms: slices.Clone(s.ExclusivePrograms), GPUMode: string(s.GPU.Mode), GPUWhileInUse: s.GPU.WhileInUse,
		Windows: windowTexts(s.Windows)}
}

func windowTexts(ws []capacity.Window) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.String())
	}
	return out
}

func (b *uiBackend) SetSharingDetail(d ui.SharingDetail) error {
	ws, err := parseWindows(d.Windows)
	if err != nil {
		return err
	}
	return b.update(func(s *capacity.Settings) { applyDetail(s, d, ws) })
}

// parseWindows reads the detail's time windows.
func parseWindows(texts []string) ([]capacity.Window, error) {
	var ws []capacity.Window
	for _, t := range texts {
		w, err := capacity.ParseWindow(t)
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	return ws, nil
}

// applyDetail writes the Share screen's detail, with its time windows ws, into s,
// which becomes custom.
func applyDetail(s *capacity.Settings, d ui.SharingDetail, ws []capacity.Window) {
	s.Windows = ws
	s.Preset = capacity.Custom
	s.Mode = capacity.RunMode(d.Mode)
	s.InUseAfter = d.InUseAfter
	s.InUse = capacity.Share{Cores: d.InUseCores, Duty: d.InUseDuty / 100}
	s.Idle = capacity.Share{Cores: d.IdleCores, Duty: d.IdleDuty / 100}
	s.PauseAboveOtherCPU = d.PauseAboveOtherCPU
	s.PauseOnBattery, s.MinBatteryCharge = d.PauseOnBattery, d.MinBatteryCharge
	s.TempCeiling, s.TempResume = d.TempCeiling, d.TempResume
	s.MemoryCap = d.MemoryCap
	s.ExclusivePrograms = slices.Clone(d.ExclusivePrograms)
	s.GPU.Mode, s.GPU.WhileInUse = capacity.RunMode(d.GPUMode), d.GPUWhileInUse
}

func (b *uiBackend) Activity() ui.ActivityView {
	v := ui.ActivityView{Rules: ruleLines(b.s.Governor.Settings())}
	st := b.s.Node.Status()
	v.Mining, v.HashRate = st.Mining, st.HashRate
	for _, r := range b.s.Node.Runs() {
		v.Runs = append(v.Runs, ui.RunView{Deal: r.Deal.String(), Module: r.Module.String(), Price: r.Price, Paused: r.Paused})
	}
	return v
}
