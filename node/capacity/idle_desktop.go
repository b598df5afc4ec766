//go:build linux || freebsd || openbsd || netbsd || dragonfly

package capacity

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// DesktopIdleProbe finds the idle time on a Unix desktop: from the X server in an X11
// session, from GNOME's idle monitor in a Wayland session (XWayland sees only its own
// clients' input, so X11 would say idle while the user types), and from GNOME as a
// second source under X11.
type DesktopIdleProbe struct {
	X11     IdleProbe
	GNOME   IdleProbe
	Wayland bool
}

// NewDesktopIdleProbe looks at the session's environment to pick the sources.
func NewDesktopIdleProbe() *DesktopIdleProbe {
	return &DesktopIdleProbe{
		X11:     &X11IdleProbe{},
		GNOME:   newGnomeIdleProbe(),
		Wayland: os.Getenv("WAYLAND_DISPLAY") != "" || os.Getenv("XDG_SESSION_TYPE") == "wayland",
	}
}

// IdleTime returns the first source's answer.
func (p *DesktopIdleProbe) IdleTime(ctx context.Context) (time.Duration, error) {
	sources := []IdleProbe{p.X11, p.GNOME}
	if p.Wayland {
		sources = []IdleProbe{p.GNOME}
	}
	var errs []error
	for _, src := range sources {
		idle, err := src.IdleTime(ctx)
		if err == nil {
			return idle, nil
		}
		errs = append(errs, err)
	}
	return 0, fmt.Errorf("desktop idle time: %w", errors.Join(errs...))
}

func defaultIdleProbe() IdleProbe { return NewDesktopIdleProbe() }
