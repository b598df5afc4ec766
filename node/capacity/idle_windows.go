package capacity

import (
	"context"
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	procGetLastInputInfo = windows.NewLazySystemDLL("user32.dll").NewProc("GetLastInputInfo")
	procGetTickCount     = windows.NewLazySystemDLL("kernel32.dll").NewProc("GetTickCount")
)

// lastInputInfo is Windows' LASTINPUTINFO.
type lastInputInfo struct {
	size uint32
	time uint32
}

// WindowsIdleProbe asks GetLastInputInfo. It sees the input of the session the
// process runs in, so it works for the app, not for a service in session 0.
type WindowsIdleProbe struct{}

// IdleTime returns the time since the session's last input. Both tick counts are
// 32-bit milliseconds that wrap every 49.7 days; unsigned subtraction absorbs that.
func (WindowsIdleProbe) IdleTime(context.Context) (time.Duration, error) {
	info := lastInputInfo{size: uint32(unsafe.Sizeof(lastInputInfo{}))}
	if r, _, err := procGetLastInputInfo.Call(uintptr(unsafe.Pointer(&info))); r == 0 {
		return 0, fmt.Errorf("GetLastInputInfo: %w: %w", ErrUnknown, err)
	}
	now, _, _ := procGetTickCount.Call()
	return time.Duration(uint32(now)-info.time) * time.Millisecond, nil
}

func defaultIdleProbe() IdleProbe { return WindowsIdleProbe{} }
