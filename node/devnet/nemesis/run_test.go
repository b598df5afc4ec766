package nemesis

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
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

// TestRelativeDir: a run's directory is made absolute, since the trustees'
// configurations are rewritten with the paths they were loaded with: with a relative
// one, `make soak`'s bin/soak, every trustee looked for its key under a doubled path.
func TestRelativeDir(t *testing.T) {
	cfg := Config{Trustees: 4, Lights: 3, Dir: "bin/soak"}
	if err := cfg.defaults(); err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(cfg.Dir) || !strings.HasSuffix(cfg.Dir, "/bin/soak") {
		t.Fatalf("directory %q", cfg.Dir)
	}
}
