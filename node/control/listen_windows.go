package control

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// pipePrefix starts the name of every Daoli control pipe.
const pipePrefix = `\\.\pipe\daoli-`

// Address is where the node of dataDir serves the control API on Windows: a named
// pipe whose name is a hash of the data directory's absolute path (case folded, as
// Windows paths are), so that the CLI finds it from the same --data. Windows 8 and
// Wine have no AF_UNIX sockets, and a pipe's access is an ACL of its own.
func Address(dataDir string) (string, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(strings.ToLower(filepath.Clean(abs))))
	return pipePrefix + hex.EncodeToString(sum[:16]), nil
}

// pipeSDDL is the pipe's security descriptor: owned by the user, and a protected DACL
// with one entry that gives the user full access. Nobody else, not even
// Administrators or SYSTEM, is let in; remote clients are refused as well
// (go-winio sets FILE_PIPE_REJECT_REMOTE_CLIENTS).
func pipeSDDL(user *windows.SID) string {
	return "O:" + user.String() + "D:P(A;;GA;;;" + user.String() + ")"
}

func currentUser() (*windows.SID, error) {
	tu, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("the process's user: %w", err)
	}
	return tu.User.Sid.Copy()
}

func listen(path string) (net.Listener, error) {
	user, err := currentUser()
	if err != nil {
		return nil, fmt.Errorf("control pipe: %w", err)
	}
	// Windows creates the first instance of a pipe with FILE_CREATE, so a name in use
	// fails here; Wine does not, so a node that answers is looked for first. (A pipe
	// goes when its process does: nothing stale is left to replace.)
	if c, err := dial(context.Background(), path); err == nil {
		c.Close()
		return nil, fmt.Errorf("%w (%s)", ErrRunning, path)
	}
	ln, err := winio.ListenPipe(path, &winio.PipeConfig{SecurityDescriptor: pipeSDDL(user)})
	if err != nil {
		if c, derr := winio.DialPipe(path, nil); derr == nil {
			c.Close()
			return nil, fmt.Errorf("%w (%s)", ErrRunning, path)
		}
		return nil, fmt.Errorf("control pipe %s: %w", path, err)
	}
	return ln, nil
}

// unlisten has nothing to remove: a pipe ends with its last handle.
func unlisten(string) {}

// dial connects to the pipe and checks that its owner is this user, so that no
// other user's process that took the name first hears the CLI's requests.
func dial(ctx context.Context, path string) (net.Conn, error) {
	c, err := winio.DialPipeContext(ctx, path)
	if err != nil {
		return nil, err
	}
	if err := ownedByUs(c); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// ownedByUs reads the owner of the pipe behind c.
func ownedByUs(c net.Conn) error {
	f, ok := c.(interface{ Fd() uintptr })
	if !ok {
		return fmt.Errorf("control pipe: %w", ErrNotOurs)
	}
	sd, err := windows.GetSecurityInfo(windows.Handle(f.Fd()), windows.SE_KERNEL_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("control pipe's owner: %w", err)
	}
	owner, _, err := sd.Owner()
	if err != nil {
		return fmt.Errorf("control pipe's owner: %w", err)
	}
	user, err := currentUser()
	if err != nil {
		return err
	}
	if !owner.Equals(user) {
		return fmt.Errorf("control pipe owned by %s: %w", owner, ErrNotOurs)
	}
	return nil
}

// noNode tells a pipe nobody serves from other failures.
func noNode(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, windows.ERROR_FILE_NOT_FOUND)
}
