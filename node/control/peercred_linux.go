package control

import (
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// sameUser wraps ln so that connections from processes of other users are closed at
// once. The socket's mode already keeps them out; this holds even if someone loosens it.
func sameUser(ln net.Listener) net.Listener { return userListener{ln} }

type userListener struct{ net.Listener }

func (l userListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if uc, ok := c.(*net.UnixConn); ok && peerIsUs(uc) {
			return c, nil
		}
		c.Close()
	}
}

func peerIsUs(c *net.UnixConn) bool {
	raw, err := c.SyscallConn()
	if err != nil {
		return false
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil || credErr != nil {
		return false
	}
	return int(cred.Uid) == os.Getuid()
}
