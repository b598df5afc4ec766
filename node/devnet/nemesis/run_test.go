package nemesis

import (
	"context"
	"errors"
	"testing"
)

// TestRunRefusesBadConfig: a configuration that cannot make a run is refused before
// any namespace, process or file is made.
func TestRunRefusesBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Trustees: 3, Lights: 3, Dir: t.TempDir()},
		{Trustees: 4, Lights: 0, Dir: t.TempDir()},
		{Trustees: 4, Lights: 3},
	} {
		if _, err := Run(context.Background(), cfg); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%d trustees, %d light nodes, dir %q: %v, want ErrBadConfig", cfg.Trustees, cfg.Lights, cfg.Dir, err)
		}
	}
}
