//go:build linux

package capacity

import (
	"bufio"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/xvfbtest"
	"github.com/godbus/dbus/v5"
	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"
)

// TestX11IdleProbe reads the idle time from a virtual X server, then fakes a pointer
// motion with XTEST and sees the idle time start over.
func TestX11IdleProbe(t *testing.T) {
	display := xvfbtest.Start(t, "320x240x24")
	probe := &X11IdleProbe{Display: display}
	defer probe.Close()
	ctx := context.Background()

	var before time.Duration
	waitFor(t, "some idle time", func() bool {
		d, err := probe.IdleTime(ctx)
		if err != nil {
			t.Fatalf("IdleTime: %v", err)
		}
		before = d
		return d >= 300*time.Millisecond
	})

	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := xtest.Init(conn); err != nil {
		t.Fatalf("Xvfb has no XTEST extension: %v", err)
	}
	root := xproto.Setup(conn).DefaultScreen(conn).Root
	if err := xtest.FakeInputChecked(conn, xproto.MotionNotify, 0, 0, root, 10, 10, 0).Check(); err != nil {
		t.Fatal(err)
	}
	xproto.GetInputFocus(conn).Reply() // a round trip: the server has handled the motion

	after, err := probe.IdleTime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after >= before {
		t.Errorf("idle time %v after input, %v before", after, before)
	}
	t.Logf("idle %v before the motion, %v after", before, after)
}

func TestX11IdleProbeWithoutDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	if _, err := (&X11IdleProbe{}).IdleTime(context.Background()); !errors.Is(err, ErrUnknown) {
		t.Errorf("no display: %v, want ErrUnknown", err)
	}
	if _, err := (&X11IdleProbe{Display: ":999"}).IdleTime(context.Background()); !errors.Is(err, ErrUnknown) {
		t.Errorf("absent display: %v, want ErrUnknown", err)
	}
}

// fakeMutter answers GetIdletime like GNOME Shell's idle monitor.
type fakeMutter struct{ ms uint64 }

func (m fakeMutter) GetIdletime() (uint64, *dbus.Error) { return m.ms, nil }

// TestGnomeIdleProbe runs a private session bus with a fake GNOME idle monitor.
func TestGnomeIdleProbe(t *testing.T) {
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Fatal("dbus-daemon is needed (make test installs it): apt-get install dbus-daemon")
	}
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1",
		"--address=unix:path="+t.TempDir()+"/bus")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	address, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	address = strings.TrimSpace(address)

	ctx := context.Background()
	probe := &GnomeIdleProbe{Address: address}
	defer probe.Close()
	if _, err := probe.IdleTime(ctx); !errors.Is(err, ErrUnknown) {
		t.Errorf("bus without GNOME: %v, want ErrUnknown", err)
	}

	shell, err := dbus.Connect(address)
	if err != nil {
		t.Fatal(err)
	}
	defer shell.Close()
	if err := shell.Export(fakeMutter{ms: 12_345}, mutterIdlePath, "org.gnome.Mutter.IdleMonitor"); err != nil {
		t.Fatal(err)
	}
	if reply, err := shell.RequestName(mutterIdleService, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName: %v %v", reply, err)
	}
	got, err := probe.IdleTime(ctx)
	if err != nil || got != 12345*time.Millisecond {
		t.Errorf("IdleTime = %v, %v; want 12.345s", got, err)
	}

	// In a Wayland session the desktop probe asks GNOME only.
	desktop := &DesktopIdleProbe{X11: &X11IdleProbe{Display: ":999"}, GNOME: probe, Wayland: true}
	if got, err := desktop.IdleTime(ctx); err != nil || got != 12345*time.Millisecond {
		t.Errorf("desktop probe = %v, %v", got, err)
	}
}
