package xvfbtest

import (
	"net"
	"strings"
	"testing"
)

// TestStart: the display Start returns has an X server listening on its socket.
func TestStart(t *testing.T) {
	display := Start(t, "320x240x24")
	c, err := net.Dial("unix", "/tmp/.X11-unix/X"+strings.TrimPrefix(display, ":"))
	if err != nil {
		t.Fatalf("display %s: %v", display, err)
	}
	c.Close()
}
