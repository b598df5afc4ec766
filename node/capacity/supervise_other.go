//go:build !unix

package capacity

import (
	"context"
	"fmt"
)

// SuperviseProcess is not available on this platform: the job worker must follow the
// gate itself (see Gate.Changed).
func SuperviseProcess(ctx context.Context, gate *Gate, pid int) error {
	return fmt.Errorf("supervise process %d: %w", pid, ErrUnsupported)
}
