//go:build linux

package capacity

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// The GNOME Shell (Mutter) idle monitor on the session bus; it sees Wayland input,
// which the X server of XWayland does not.
const (
	mutterIdleService = "org.gnome.Mutter.IdleMonitor"
	mutterIdlePath    = dbus.ObjectPath("/org/gnome/Mutter/IdleMonitor/Core")
	mutterIdleMethod  = "org.gnome.Mutter.IdleMonitor.GetIdletime"
)

// GnomeIdleProbe asks GNOME's idle monitor over D-Bus.
type GnomeIdleProbe struct {
	// Address is the session bus address; empty means $DBUS_SESSION_BUS_ADDRESS, else
	// $XDG_RUNTIME_DIR/bus. The probe never launches a bus.
	Address string

	mu       sync.Mutex
	conn     *dbus.Conn
	failedAt time.Time
}

// IdleTime returns GNOME's time since the last user input.
func (p *GnomeIdleProbe) IdleTime(ctx context.Context) (time.Duration, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		if err := p.connect(); err != nil {
			return 0, err
		}
	}
	var ms uint64
	err := p.conn.Object(mutterIdleService, mutterIdlePath).CallWithContext(ctx, mutterIdleMethod, 0).Store(&ms)
	if err != nil {
		if !p.conn.Connected() {
			p.drop()
		}
		return 0, fmt.Errorf("GNOME idle monitor: %w: %v", ErrUnknown, err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Close ends the bus connection.
func (p *GnomeIdleProbe) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drop()
}

func (p *GnomeIdleProbe) connect() error {
	address := sessionBusAddress(p.Address)
	if address == "" {
		return fmt.Errorf("GNOME idle monitor: no session bus: %w", ErrUnknown)
	}
	if !p.failedAt.IsZero() && time.Since(p.failedAt) < reconnectDelay {
		return fmt.Errorf("GNOME idle monitor: session bus unavailable: %w", ErrUnknown)
	}
	conn, err := dbus.Connect(address)
	if err != nil {
		p.failedAt = time.Now()
		return fmt.Errorf("GNOME idle monitor: connect: %w: %v", ErrUnknown, err)
	}
	p.conn, p.failedAt = conn, time.Time{}
	return nil
}

func (p *GnomeIdleProbe) drop() {
	if p.conn != nil {
		p.conn.Close()
		p.conn = nil
		p.failedAt = time.Now()
	}
}

// sessionBusAddress resolves the session bus without starting one (godbus's own
// lookup may run dbus-launch).
func sessionBusAddress(configured string) string {
	if configured != "" {
		return configured
	}
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return a
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		bus := filepath.Join(dir, "bus")
		if fi, err := os.Stat(bus); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return "unix:path=" + bus
		}
	}
	return ""
}

func newGnomeIdleProbe() IdleProbe { return &GnomeIdleProbe{} }
