//go:build freebsd || openbsd || netbsd || dragonfly

package capacity

// newGnomeIdleProbe: the D-Bus library does not build on every BSD, and GNOME on a
// BSD runs under X11, which the X11 probe covers.
func newGnomeIdleProbe() IdleProbe { return unknownIdle{} }
