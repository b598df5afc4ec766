package capacity

import (
	"fmt"
	"time"
)

// Cause is the rule behind a Decision, for a UI that shows an icon next to the reason.
type Cause string

// The causes, in the order the governor checks them.
const (
	CauseStarting         Cause = "starting"          // no decision yet
	CauseStopped          Cause = "stopped"           // the governor is not running
	CauseOff              Cause = "off"               // run mode Never
	CauseSnoozed          Cause = "snoozed"           // snoozed by the user
	CausePausedByUser     Cause = "paused_by_user"    // paused by the user until resumed
	CauseOnBattery        Cause = "on_battery"        // pause on battery
	CauseLowBattery       Cause = "low_battery"       // below the minimum charge
	CauseHot              Cause = "hot"               // above the temperature ceiling
	CauseAlways           Cause = "always"            // run mode Always
	CauseShareNow         Cause = "share_now"         // the user asked to share now
	CauseOutsideHours     Cause = "outside_hours"     // outside the time windows
	CauseExclusiveProgram Cause = "exclusive_program" // an exclusive program runs
	CauseBusy             Cause = "busy"              // other programs use the CPU
	CauseInUse            Cause = "in_use"            // someone uses the computer
	CauseIdleUnknown      Cause = "idle_unknown"      // no idle sensor
	CauseIdle             Cause = "idle"              // nobody uses the computer
	CauseNoGPU            Cause = "no_gpu"            // no GPU to share
)

// Hysteresis: how far a value must come back before a pause it caused ends.
const (
	// batteryResumeMargin: a pause below the minimum charge ends this many points above it.
	batteryResumeMargin = 5.0
	// busyResumeMargin: a pause for other programs ends this many points below the limit…
	busyResumeMargin = 10.0
	// busyCalmHold: …once they have stayed there this long, so a program that works in
	// bursts does not toggle sharing every second.
	busyCalmHold = 5 * time.Second
	// busyRepeatWindow, busyHoldMax: a busy pause that comes back within a minute of
	// the last one ending doubles the calm it waits for, up to a minute, like route
	// flap damping; a minute of running without one resets it.
	busyRepeatWindow = time.Minute
	busyHoldMax      = time.Minute
)

// Decision is what the governor allows now. Reason is one line for the user; it
// always says why.
type Decision struct {
	Run   bool    `json:"run"`
	Cores int     `json:"cores"`
	Duty  float64 `json:"duty"`
	// MemoryLimit is the memory jobs may use in bytes; 0 when there is no cap or the
	// installed memory is unknown.
	MemoryLimit uint64 `json:"memory_limit,omitempty"`
	Reason      string `json:"reason"`
	Cause       Cause  `json:"cause"`
	// Since is when Run last changed.
	Since time.Time   `json:"since,omitzero"`
	GPU   GPUDecision `json:"gpu"`

	// latch carries the hysteresis to the next Decide.
	latch latch
}

// GPUDecision is the decision for graphics processors, made by their own rules.
type GPUDecision struct {
	Run    bool   `json:"run"`
	Reason string `json:"reason"`
	Cause  Cause  `json:"cause"`
}

// latch remembers the pauses that only end once a value has come well back.
type latch struct {
	hot        bool          // CPU reached the ceiling and has not yet cooled below resume
	gpuHot     bool          // the same for the hottest GPU
	lowBattery bool          // charge fell below the minimum and has not yet recovered
	busy       bool          // other programs went over the limit
	calmSince  time.Time     // when other programs fell below the resume level while busy
	busyHold   time.Duration // calm the current busy pause waits for
	busyEnded  time.Time     // when the last busy pause ended
}

// StartingDecision is the decision before the first sample: paused.
func StartingDecision(now time.Time) Decision {
	return Decision{
		Reason: "Paused: checking the computer", Cause: CauseStarting, Since: now,
		GPU: GPUDecision{Reason: "GPU paused: checking the computer", Cause: CauseStarting},
	}
}

// Decide applies the settings to a sample. It is pure: no clock, no probes; the same
// arguments give the same Decision. prev must be what the previous call returned (the
// zero Decision at the start): it carries the hysteresis, which a Decision decoded
// from JSON does not. Settings are expected to be valid (Settings.Validate); core
// counts above the machine's are clamped.
func Decide(s Settings, sample Sample, prev Decision, now time.Time) Decision {
	l := prev.latch.update(s, sample, now)
	d := decideCPU(s, sample, l, now)
	d.GPU = decideGPU(s, sample, l, now)
	d.latch = l
	d.Since = prev.Since
	if prev.Reason == "" || prev.Run != d.Run || d.Since.IsZero() {
		d.Since = now
	}
	if total, ok := sample.MemoryTotal.Get(); ok && s.MemoryCap > 0 {
		d.MemoryLimit = uint64(float64(total) * s.MemoryCap / 100)
	}
	return d
}

// update moves the latches to this sample. A latch whose value is unknown is let go:
// with no measurement the rule cannot apply.
func (l latch) update(s Settings, sample Sample, now time.Time) latch {
	l.hot = ceilingLatch(l.hot, sample.CPUTemperature, s.TempCeiling, s.TempResume)
	l.gpuHot = ceilingLatch(l.gpuHot, sample.hottestGPU(), s.GPU.TempCeiling, s.GPU.TempResume)

	onBattery, _ := sample.Power.OnBattery.Get()
	charge, chargeKnown := sample.Power.Charge.Get()
	switch {
	case !onBattery || !chargeKnown || s.MinBatteryCharge <= 0:
		l.lowBattery = false
	case charge < s.MinBatteryCharge:
		l.lowBattery = true
	case charge >= s.MinBatteryCharge+batteryResumeMargin:
		l.lowBattery = false
	}

	other, otherKnown := sample.OtherCPU.Get()
	switch {
	case !otherKnown || s.PauseAboveOtherCPU <= 0:
		l.busy, l.calmSince, l.busyHold = false, time.Time{}, 0
	case other > s.PauseAboveOtherCPU:
		if !l.busy {
			hold := busyCalmHold
			if !l.busyEnded.IsZero() && now.Sub(l.busyEnded) < busyRepeatWindow {
				hold = min(2*l.lastHold(), busyHoldMax)
			}
			l.busyHold = hold
		}
		l.busy, l.calmSince = true, time.Time{}
	case !l.busy:
	case other < busyResumeLevel(s):
		if l.calmSince.IsZero() {
			l.calmSince = now
		}
		if now.Sub(l.calmSince) >= l.lastHold() {
			l.busy, l.calmSince, l.busyEnded = false, time.Time{}, now
		}
	default:
		l.calmSince = time.Time{}
	}
	return l
}

// lastHold is the calm the current or last busy pause waits for.
func (l latch) lastHold() time.Duration {
	if l.busyHold <= 0 {
		return busyCalmHold
	}
	return l.busyHold
}

func ceilingLatch(held bool, temp Reading[float64], ceiling, resume float64) bool {
	t, ok := temp.Get()
	switch {
	case !ok || ceiling <= 0:
		return false
	case t >= ceiling:
		return true
	case t < resume:
		return false
	}
	return held
}

// busyResumeLevel is where other programs' CPU must fall to end a busy pause; for a
// low limit, half of it.
func busyResumeLevel(s Settings) float64 {
	if s.PauseAboveOtherCPU > 2*busyResumeMargin {
		return s.PauseAboveOtherCPU - busyResumeMargin
	}
	return s.PauseAboveOtherCPU / 2
}

func paused(cause Cause, format string, args ...any) Decision {
	return Decision{Cause: cause, Reason: "Paused: " + fmt.Sprintf(format, args...)}
}

// decideCPU checks the rules in order of importance; the first that pauses names the
// reason. Safety (battery, heat) comes before run mode Always.
func decideCPU(s Settings, sample Sample, l latch, now time.Time) Decision {
	if s.Mode == Never {
		return paused(CauseOff, "sharing is off")
	}
	if s.PausedByUser {
		return paused(CausePausedByUser, "by you, until you resume")
	}
	if now.Before(s.SnoozeUntil) {
		return paused(CauseSnoozed, "snoozed until %s", formatWhen(s.SnoozeUntil, now))
	}
	// While the user shares now, a pause says that sharing comes back and for how long.
	shareNow := s.Mode != Always && now.Before(s.ShareNowUntil)
	then := ""
	if shareNow {
		then = "; sharing now resumes after it, " + formatLeft(s.ShareNowUntil.Sub(now)) + " left"
	}
	if on, _ := sample.Power.OnBattery.Get(); on && s.PauseOnBattery {
		return paused(CauseOnBattery, "on battery%s", then)
	}
	if l.lowBattery {
		charge, _ := sample.Power.Charge.Get()
		if charge < s.MinBatteryCharge {
			return paused(CauseLowBattery, "battery at %s, below %s%s", formatPercent(charge), formatPercent(s.MinBatteryCharge), then)
		}
		return paused(CauseLowBattery, "battery at %s, resumes at %s%s", formatPercent(charge), formatPercent(s.MinBatteryCharge+batteryResumeMargin), then)
	}
	if l.hot {
		t, _ := sample.CPUTemperature.Get()
		return paused(CauseHot, "CPU at %s, resumes below %s%s", formatCelsius(t), formatCelsius(s.TempResume), then)
	}
	if s.Mode == Always {
		return running(CauseAlways, "always", s.Idle, sample.Cores)
	}
	if shareNow {
		if found := exclusiveRunning(s, sample); len(found) > 0 {
			return paused(CauseExclusiveProgram, "%s %s running%s", joinNames(found), isAre(found), then)
		}
		return running(CauseShareNow, "shared now, "+formatLeft(s.ShareNowUntil.Sub(now))+" left", s.Idle, sample.Cores)
	}
	if !inWindows(s.Windows, now) {
		return paused(CauseOutsideHours, "outside the allowed hours (%s)", describeDay(s.Windows, now))
	}
	if found := exclusiveRunning(s, sample); len(found) > 0 {
		return paused(CauseExclusiveProgram, "%s %s running", joinNames(found), isAre(found))
	}
	if l.busy {
		// The line says what ends the pause from its start.
		other, _ := sample.OtherCPU.Get()
		return paused(CauseBusy, "other programs use %s CPU, resumes after %s below %s",
			formatPercent(other), formatAgo(l.lastHold()), formatPercent(busyResumeLevel(s)))
	}
	idle, known := sample.UserIdle.Get()
	switch {
	case !known && s.InUse.Cores == 0:
		return paused(CauseIdleUnknown, "cannot tell whether you are using the computer; choose Always to share anyway")
	case !known:
		return running(CauseIdleUnknown, "cannot tell whether you are using the computer", s.InUse, sample.Cores)
	case idle < s.InUseAfter && s.InUse.Cores == 0:
		return Decision{Cause: CauseInUse, Reason: fmt.Sprintf("Waiting: you are using the computer (input %s ago); sharing starts after %s without input",
			formatAgo(idle), formatAgo(s.InUseAfter))}
	case idle < s.InUseAfter:
		return running(CauseInUse, "while you use the computer", s.InUse, sample.Cores)
	}
	return running(CauseIdle, "idle for "+formatAgo(idle), s.Idle, sample.Cores)
}

// running allows a share, clamped to the machine's cores. Its line says first what
// is shared, then why: "Sharing: 1 of 4 cores at half duty, idle for 4 min".
func running(cause Cause, why string, share Share, machine int) Decision {
	cores := share.Cores
	if machine > 0 && cores > machine {
		cores = machine
	}
	return Decision{
		Run: true, Cores: cores, Duty: share.Duty, Cause: cause,
		Reason: "Sharing: " + describeSharing(cores, machine, share.Duty) + ", " + why,
	}
}

func isAre(names []string) string {
	if len(names) > 1 {
		return "are"
	}
	return "is"
}

// exclusiveRunning lists the configured exclusive programs the sample found.
func exclusiveRunning(s Settings, sample Sample) []string {
	running, ok := sample.Programs.Get()
	if !ok || len(s.ExclusivePrograms) == 0 {
		return nil
	}
	seen := map[string]bool{}
	for _, name := range running {
		seen[programKey(name)] = true
	}
	var found []string
	for _, name := range s.ExclusivePrograms {
		if seen[programKey(name)] {
			found = append(found, name)
		}
	}
	return found
}

func gpuPaused(cause Cause, format string, args ...any) GPUDecision {
	return GPUDecision{Cause: cause, Reason: "GPU paused: " + fmt.Sprintf(format, args...)}
}

// decideGPU applies the GPU rules: the main switch, snooze and battery as for the CPU,
// then the GPU's own mode and temperature, then the CPU's schedule and presence rules
// (unless the GPU may work while the computer is in use).
func decideGPU(s Settings, sample Sample, l latch, now time.Time) GPUDecision {
	gpus, known := sample.GPUs.Get()
	switch {
	case !known:
		return GPUDecision{Cause: CauseNoGPU, Reason: "GPU paused: cannot tell whether this computer has a GPU"}
	case len(gpus) == 0:
		return GPUDecision{Cause: CauseNoGPU, Reason: "No GPU found"}
	case s.Mode == Never:
		return gpuPaused(CauseOff, "sharing is off")
	case s.GPU.Mode == Never:
		return gpuPaused(CauseOff, "GPU sharing is off")
	case s.PausedByUser:
		return gpuPaused(CausePausedByUser, "by you, until you resume")
	case now.Before(s.SnoozeUntil):
		return gpuPaused(CauseSnoozed, "snoozed until %s", formatWhen(s.SnoozeUntil, now))
	}
	if on, _ := sample.Power.OnBattery.Get(); on && s.PauseOnBattery {
		return gpuPaused(CauseOnBattery, "on battery")
	}
	if l.lowBattery {
		return gpuPaused(CauseLowBattery, "battery below %s", formatPercent(s.MinBatteryCharge+batteryResumeMargin))
	}
	if l.gpuHot {
		t, _ := sample.hottestGPU().Get()
		return gpuPaused(CauseHot, "GPU at %s, resumes below %s", formatCelsius(t), formatCelsius(s.GPU.TempResume))
	}
	if s.GPU.Mode == Always {
		return GPUDecision{Run: true, Cause: CauseAlways, Reason: "GPU sharing: always"}
	}
	if now.Before(s.ShareNowUntil) && len(exclusiveRunning(s, sample)) == 0 {
		return GPUDecision{Run: true, Cause: CauseShareNow, Reason: "GPU sharing now, " + formatLeft(s.ShareNowUntil.Sub(now)) + " left"}
	}
	if !inWindows(s.Windows, now) {
		return gpuPaused(CauseOutsideHours, "outside the allowed hours (%s)", describeDay(s.Windows, now))
	}
	if found := exclusiveRunning(s, sample); len(found) > 0 {
		return gpuPaused(CauseExclusiveProgram, "%s running", joinNames(found))
	}
	if s.GPU.WhileInUse {
		return GPUDecision{Run: true, Cause: CauseInUse, Reason: "GPU sharing: also while you use the computer"}
	}
	idle, ok := sample.UserIdle.Get()
	switch {
	case !ok:
		return gpuPaused(CauseIdleUnknown, "cannot tell whether you are using the computer")
	case idle < s.InUseAfter:
		return gpuPaused(CauseInUse, "you are using the computer (input %s ago)", formatAgo(idle))
	}
	return GPUDecision{Run: true, Cause: CauseIdle, Reason: "GPU sharing: idle for " + formatAgo(idle)}
}
