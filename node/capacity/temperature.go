package capacity

import (
	"context"
	"fmt"
	"strings"

	"github.com/shirou/gopsutil/v3/host"
)

// SensorTemperatureProbe reads the CPU temperature from gopsutil's sensors (hwmon
// and thermal zones on Linux, SMC on macOS, WMI on Windows).
type SensorTemperatureProbe struct{}

// CPUTemperature returns the hottest CPU sensor, or ErrUnknown when there is none.
func (SensorTemperatureProbe) CPUTemperature(ctx context.Context) (float64, error) {
	stats, err := host.SensorsTemperaturesWithContext(ctx)
	// gopsutil reports unreadable sensors as warnings next to the readable ones.
	if t, ok := cpuTemperature(stats); ok {
		return t, nil
	}
	if err != nil {
		return 0, fmt.Errorf("temperature sensors: %w: %w", ErrUnknown, err)
	}
	return 0, fmt.Errorf("no CPU temperature sensor: %w", ErrUnknown)
}

// cpuSensorNames are hwmon driver and label fragments of CPU packages and cores
// (Intel coretemp, AMD k10temp/zenpower, ARM SoCs, macOS SMC keys).
var cpuSensorNames = []string{"coretemp", "k10temp", "zenpower", "cpu", "package", "tctl", "tdie", "soc_thermal", "x86_pkg_temp", "tc0", "tcxc"}

// zoneSensorNames are board thermal zones, used only when no CPU sensor exists:
// on many laptops the ACPI zone is the CPU's.
var zoneSensorNames = []string{"acpitz", "thermal_zone", "tz"}

// cpuTemperature picks the hottest CPU sensor, else the hottest thermal zone. Disks,
// batteries, Wi-Fi and GPUs have other limits and are left out. Readings outside
// 1–150 °C are missing sensors reporting 0 or garbage, not temperatures.
func cpuTemperature(stats []host.TemperatureStat) (float64, bool) {
	pick := func(names []string) (float64, bool) {
		var hottest float64
		found := false
		for _, s := range stats {
			key := strings.ToLower(s.SensorKey)
			if s.Temperature < 1 || s.Temperature > 150 || !containsAny(key, names) {
				continue
			}
			if !found || s.Temperature > hottest {
				hottest, found = s.Temperature, true
			}
		}
		return hottest, found
	}
	if t, ok := pick(cpuSensorNames); ok {
		return t, true
	}
	return pick(zoneSensorNames)
}

func containsAny(s string, parts []string) bool {
	for _, p := range parts {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}
