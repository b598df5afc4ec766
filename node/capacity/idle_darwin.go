package capacity

import (
	"context"
	"fmt"
	"os/exec"
	"time"
)

// IoregIdleProbe reads macOS's HIDIdleTime through ioreg; no cgo, no entitlement.
type IoregIdleProbe struct{}

// IdleTime runs `ioreg -r -c IOHIDSystem -d 1`: the IOHIDSystem object alone.
func (IoregIdleProbe) IdleTime(ctx context.Context) (time.Duration, error) {
	out, err := exec.CommandContext(ctx, "ioreg", "-r", "-c", "IOHIDSystem", "-d", "1").Output()
	if err != nil {
		return 0, fmt.Errorf("ioreg: %w: %w", ErrUnknown, err)
	}
	return parseHIDIdleTime(out)
}

func defaultIdleProbe() IdleProbe { return IoregIdleProbe{} }
