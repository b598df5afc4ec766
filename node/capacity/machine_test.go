package capacity

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
)

// TestProbesOnThisMachine runs the real probes and logs what they report. Where this
// machine plainly lacks a sensor, the probe must say unknown or none, never a value.
func TestProbesOnThisMachine(t *testing.T) {
	ctx := context.Background()
	p := NewProbes()
	p.Sample(ctx, nil) // the first CPU figures need a previous reading
	time.Sleep(200 * time.Millisecond)
	s := p.Sample(ctx, []string{"init", "systemd", "go"})
	b, _ := json.MarshalIndent(s, "", "  ")
	t.Logf("sample:\n%s", b)

	hw := DetectHardware(ctx, p)
	hb, _ := json.Marshal(hw.CPU)
	t.Logf("CPU: %s", hb)
	t.Logf("fingerprint: %s", hw.Fingerprint())

	if s.Cores != runtime.NumCPU() {
		t.Errorf("cores %d, runtime says %d", s.Cores, runtime.NumCPU())
	}
	if other, ok := s.OtherCPU.Get(); ok && (other < 0 || other > 100) {
		t.Errorf("other CPU %v %%", other)
	}
	if runtime.GOOS == "linux" {
		if !s.MemoryTotal.IsKnown() {
			t.Error("memory total unknown on Linux")
		}
		if !s.OtherCPU.IsKnown() || !s.OwnCPU.IsKnown() || !s.OwnMemory.IsKnown() {
			t.Errorf("CPU or memory figures unknown on Linux: %+v", s)
		}
		if !s.Programs.IsKnown() {
			t.Error("process list unknown on Linux")
		}
	}

	entries, err := os.ReadDir("/sys/class/power_supply")
	if runtime.GOOS == "linux" && err == nil && len(entries) == 0 {
		if s.Power != (Power{HasBattery: Known(false), OnBattery: Known(false)}) {
			t.Errorf("no power supply listed, yet the probe reports %+v", s.Power)
		}
	}
	_, drmErr := os.Stat("/sys/class/drm")
	_, smiErr := exec.LookPath("nvidia-smi")
	if runtime.GOOS == "linux" && errors.Is(drmErr, os.ErrNotExist) && smiErr != nil {
		// Only the PCI bus can tell, and only that there is no GPU.
		classes, _ := filepath.Glob("/sys/bus/pci/devices/*/class")
		display := false
		for _, c := range classes {
			class, _ := os.ReadFile(c)
			vendor, _ := os.ReadFile(filepath.Join(filepath.Dir(c), "vendor"))
			switch strings.TrimSpace(string(vendor)) {
			case "0x10de", "0x1002", "0x8086":
				display = display || strings.HasPrefix(string(class), "0x03")
			}
		}
		gpus, known := s.GPUs.Get()
		switch {
		case len(classes) > 0 && !display && (!known || len(gpus) != 0):
			t.Errorf("no GPU maker's display controller on the PCI bus, yet GPUs %+v", s.GPUs)
		case (len(classes) == 0 || display) && s.GPUs.IsKnown():
			t.Errorf("no DRM class, no nvidia-smi and a PCI bus that cannot tell, yet GPUs are known: %+v", s.GPUs)
		}
	}
	if runtime.GOOS == "linux" && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" &&
		os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" && os.Getenv("XDG_RUNTIME_DIR") == "" && s.UserIdle.IsKnown() {
		t.Errorf("no display and no session bus, yet idle time %v", s.UserIdle)
	}
	if _, err := os.Stat("/sys/class/hwmon"); runtime.GOOS == "linux" && errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat("/sys/class/thermal/thermal_zone0"); errors.Is(err, os.ErrNotExist) && s.CPUTemperature.IsKnown() {
			t.Errorf("no hwmon and no thermal zone, yet %v °C", s.CPUTemperature)
		}
	}

	d := Decide(DefaultSettings(s.Cores), s, Decision{}, time.Now())
	t.Logf("Balanced would decide: %s / %s", d.Reason, d.GPU.Reason)
}

// TestLoadProbeSeesOwnWork burns CPU in this process and checks that the load probe
// books it as ours, not as other programs'.
func TestLoadProbeSeesOwnWork(t *testing.T) {
	ctx := context.Background()
	machBefore, err := machineCPU(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cpuBefore, ok := nodetest.ProcessCPU()
	if !ok {
		t.Fatal("getrusage failed")
	}
	p := NewProcessLoadProbe()
	if l, err := p.Load(ctx); err == nil && l.OwnCPU.IsKnown() {
		t.Errorf("first call already knows CPU figures: %+v", l)
	}
	start := time.Now()
	x := 0.0
	for stop := start.Add(500 * time.Millisecond); time.Now().Before(stop); {
		x += 1e-9
	}
	l, err := p.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cpuAfter, _ := nodetest.ProcessCPU()
	machAfter, err := machineCPU(ctx)
	if err != nil {
		t.Fatal(err)
	}
	own, ok := l.OwnCPU.Get()
	if !ok {
		t.Fatal("own CPU unknown")
	}
	// What getrusage says this process used, as a share of the CPU time the machine
	// had over the same span: the probe's denominator. On a virtual machine under
	// load, time the hypervisor steals is not the machine's, so wall time × cores
	// would overstate it. The machine may be shared, so the spin may get less than
	// a core; the probe must agree with getrusage either way (within the 10 ms
	// ticks of /proc).
	machine := machAfter.total - machBefore.total
	if machine <= 0 {
		t.Fatalf("the machine's CPU time did not advance: %+v then %+v", machBefore, machAfter)
	}
	want := 100 * (cpuAfter - cpuBefore).Seconds() / machine
	if math.Abs(own-want) > 8 {
		t.Errorf("own CPU %.1f %%, getrusage says %.1f %% (x=%v)", own, want, x)
	}
	other, _ := l.OtherCPU.Get()
	wall := time.Since(start).Seconds() * float64(runtime.NumCPU())
	t.Logf("own %.1f %% (getrusage %.1f %%), other %.1f %% of the machine, own memory %v bytes; machine time %.2f s, wall × cores %.2f s",
		own, want, other, l.OwnMemory, machine, wall)
}

func TestRunningPrograms(t *testing.T) {
	names, err := ProcessProgramProbe{}.RunningPrograms(context.Background())
	if err != nil {
		t.Fatalf("no process list: %v", err)
	}
	if len(names) == 0 {
		t.Fatal("no programs running, not even this test")
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] >= names[i] {
			t.Fatalf("names not sorted and distinct: %q, %q", names[i-1], names[i])
		}
	}
}
