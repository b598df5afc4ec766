// Package capacity measures the machine and decides when it may share: the hardware
// and idle probes, a capacity check, and the sharing governor (docs/capacity.md).
//
// Probes. Each measurement sits behind a small interface (IdleProbe, PowerProbe,
// TemperatureProbe, LoadProbe, ProgramProbe, GPUProbe) with one implementation per
// platform chosen by build tags: user idle time from the X server's screensaver
// extension or GNOME's idle monitor over D-Bus (Linux and BSD; under Wayland only
// GNOME's, because XWayland sees only its own clients), HIDIdleTime from ioreg
// (macOS) and GetLastInputInfo (Windows); the battery from sysfs, pmset or
// GetSystemPowerStatus; temperatures, CPU load and processes from gopsutil; the CPU
// model and features from cpuid; GPUs from nvidia-smi and the DRM class of sysfs.
// A probe that cannot measure says so (ErrUnknown, or an unknown Reading); it never
// makes a value up. Probes gathers them into a Sample.
//
// Governor. Decide is pure: settings, a sample, the previous decision and the time
// in, a Decision out: run or pause, cores, duty cycle, a memory limit, a separate
// GPU decision, and always a one-line reason. Rules are checked in order and the
// first that pauses names the reason: sharing off, paused by the user, snoozed, on
// battery or below the minimum charge, above the temperature ceiling, then (unless the
// run mode is Always) the user's share-now until its end (yielding only to exclusive
// programs), outside the time windows, an exclusive program running, other programs busy, and
// finally whether someone uses the computer. The pauses for heat, charge and other
// programs' CPU have hysteresis (they end only well below the level that started
// them), and "in use" ends only after minutes without input, so decisions do not flap.
//
// What the governor does with unknown values: an unknown temperature, power source,
// CPU load or process list switches that rule off, since nothing can be compared; an
// unknown idle time counts as "in use", the careful side, so a machine without an
// idle sensor (a headless server) shares only with run mode Always, which the reason
// says. Settings refuse an idle share smaller than the in-use share (Validate).
//
// Governor runs the loop: a full sample every second, a look at the idle time every
// 200 ms while sharing runs on an idle computer, and the decision applied to a Gate.
// The miner's goroutines hold Throttles of the gate and call Checkpoint between
// batches, so they work on the allowed cores at the duty; the job worker process is
// held by SuperviseProcess (stopped while paused, stopped and continued over each
// duty period, every thread pinned to one of the allowed CPUs on Linux) and takes that
// core from the miner while it runs. Settings persist through a SettingsStore.
//
// Capacity check. RunCheck times single-core and all-core throughput of SHA-256
// compressions (the miner's inner step) and of a floating-point kernel (the jobs'),
// for a configurable few seconds; EnsureCheck keeps the result with a hardware
// Fingerprint and runs it again when the hardware changes.
package capacity
