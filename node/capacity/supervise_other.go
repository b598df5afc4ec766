//go:build !unix

package capacity

import (
	"context"
	"fmt"
)

// Supervised is a process that SuperviseProcess would hold to the gate.
type Supervised interface {
	Pid() int
	Pause()
	Resume()
}

// SuperviseProcess is not available on this platform: the job worker is neither
// paused nor throttled here (see docs/capacity.md).
func SuperviseProcess(ctx context.Context, gate *Gate, p Supervised) error {
	return fmt.Errorf("supervise process %d: %w", p.Pid(), ErrUnsupported)
}
