package capacity

import (
	"context"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

var procGetSystemPowerStatus = windows.NewLazySystemDLL("kernel32.dll").NewProc("GetSystemPowerStatus")

// systemPowerStatus is Windows' SYSTEM_POWER_STATUS.
type systemPowerStatus struct {
	ACLineStatus        byte
	BatteryFlag         byte
	BatteryLifePercent  byte
	SystemStatusFlag    byte
	BatteryLifeTime     uint32
	BatteryFullLifeTime uint32
}

// WindowsPowerProbe asks GetSystemPowerStatus.
type WindowsPowerProbe struct{}

// Power reports the AC line, the battery flag and the charge; 255 means unknown in
// every field, and battery flag 128 means no system battery.
func (WindowsPowerProbe) Power(context.Context) (Power, error) {
	var st systemPowerStatus
	if r, _, err := procGetSystemPowerStatus.Call(uintptr(unsafe.Pointer(&st))); r == 0 {
		return Power{}, fmt.Errorf("GetSystemPowerStatus: %w: %w", ErrUnknown, err)
	}
	var pw Power
	switch st.BatteryFlag {
	case 255:
	case 128:
		pw.HasBattery, pw.OnBattery = Known(false), Known(false)
	default:
		pw.HasBattery = Known(true)
		if st.BatteryLifePercent <= 100 {
			pw.Charge = Known(float64(st.BatteryLifePercent))
		}
	}
	switch st.ACLineStatus {
	case 0:
		pw.OnBattery = Known(true)
	case 1:
		pw.OnBattery = Known(false)
	}
	return pw, nil
}

func defaultPowerProbe() PowerProbe { return WindowsPowerProbe{} }
