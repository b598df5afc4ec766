package capacity

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// SysfsPowerProbe reads the Linux power supply class under Root (normally "/sys").
type SysfsPowerProbe struct {
	Root string
}

// Power reports the system batteries and the external supplies. Batteries of
// attached devices (scope "Device": mice, headsets) are not the machine's. A machine
// whose power supply class lists no battery has none, so it is known not to run on
// one; without the class at all nothing is known.
func (p SysfsPowerProbe) Power(ctx context.Context) (Power, error) {
	dir := filepath.Join(p.Root, "class", "power_supply")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Power{}, fmt.Errorf("power supply: %w: %w", ErrUnknown, err)
	}
	var (
		batteries                    int
		supplySeen, supplyOnline     bool
		statusKnown, discharging     bool
		energyNow, energyFull        float64
		energyComplete               = true
		capacitySum                  float64
		capacityCount, capacityTotal int
	)
	for _, e := range entries {
		if ctx.Err() != nil {
			return Power{}, ctx.Err()
		}
		supply := filepath.Join(dir, e.Name())
		if readTrimmed(filepath.Join(supply, "scope")) == "Device" {
			continue
		}
		switch readTrimmed(filepath.Join(supply, "type")) {
		case "Battery":
			batteries++
			switch readTrimmed(filepath.Join(supply, "status")) {
			case "Discharging":
				statusKnown, discharging = true, true
			case "Charging", "Full", "Not charging":
				statusKnown = true
			}
			now, okNow := readBatteryAmount(supply, "now")
			full, okFull := readBatteryAmount(supply, "full")
			if okNow && okFull && full > 0 {
				energyNow += now
				energyFull += full
			} else {
				energyComplete = false
			}
			capacityTotal++
			if c, err := strconv.ParseFloat(readTrimmed(filepath.Join(supply, "capacity")), 64); err == nil {
				capacitySum += c
				capacityCount++
			}
		case "Mains", "USB", "USB_C", "USB_PD", "USB_PD_DRP", "Wireless":
			supplySeen = true
			if readTrimmed(filepath.Join(supply, "online")) == "1" {
				supplyOnline = true
			}
		}
	}
	pw := Power{HasBattery: Known(batteries > 0)}
	switch {
	case batteries == 0:
		pw.OnBattery = Known(false)
	case supplySeen:
		pw.OnBattery = Known(!supplyOnline)
	case statusKnown:
		pw.OnBattery = Known(discharging)
	}
	switch {
	case batteries > 0 && energyComplete && energyFull > 0:
		pw.Charge = Known(clampPercent(100 * energyNow / energyFull))
	case batteries > 0 && capacityCount == capacityTotal:
		pw.Charge = Known(clampPercent(capacitySum / float64(capacityCount)))
	}
	return pw, nil
}

// readBatteryAmount reads energy_<which> (µWh) or else charge_<which> (µAh).
func readBatteryAmount(supply, which string) (float64, bool) {
	for _, kind := range []string{"energy_", "charge_"} {
		if v, err := strconv.ParseFloat(readTrimmed(filepath.Join(supply, kind+which)), 64); err == nil {
			return v, true
		}
	}
	return 0, false
}

// readTrimmed returns a sysfs attribute without its newline; "" when unreadable.
func readTrimmed(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
