//go:build !linux && !windows

package control

import "net"

// sameUser relies on the socket's file mode where the peer's credentials are not read.
func sameUser(ln net.Listener) net.Listener { return ln }
