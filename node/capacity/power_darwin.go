package capacity

import (
	"context"
	"fmt"
	"os/exec"
)

// PmsetPowerProbe asks macOS's pmset for the power source and battery charge.
type PmsetPowerProbe struct{}

// Power runs `pmset -g batt`.
func (PmsetPowerProbe) Power(ctx context.Context) (Power, error) {
	out, err := exec.CommandContext(ctx, "pmset", "-g", "batt").Output()
	if err != nil {
		return Power{}, fmt.Errorf("pmset: %w: %w", ErrUnknown, err)
	}
	return parsePmset(out)
}

func defaultPowerProbe() PowerProbe { return PmsetPowerProbe{} }
