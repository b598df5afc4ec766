package control

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// checkOnlyUser reads the security descriptor of the control pipe through a client
// handle: owned by this user, with a protected DACL whose one entry lets this user
// in. Windows denies everyone a DACL does not name; Wine runs every process as one
// user, so a second user's refusal cannot be shown under it (packaging/README.md).
func checkOnlyUser(t *testing.T, dir string) {
	t.Helper()
	path, err := Address(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := winio.DialPipe(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sd, err := windows.GetSecurityInfo(windows.Handle(c.(interface{ Fd() uintptr }).Fd()), windows.SE_KERNEL_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Fatal(err)
	}
	user, err := currentUser()
	if err != nil {
		t.Fatal(err)
	}
	owner, _, err := sd.Owner()
	if err != nil || !owner.Equals(user) {
		t.Fatalf("pipe owner %v, %v; want %v", owner, err, user)
	}
	ctl, _, err := sd.Control()
	if err != nil || ctl&windows.SE_DACL_PROTECTED == 0 {
		t.Fatalf("DACL not protected: control %#x, %v", ctl, err)
	}
	dacl, _, err := sd.DACL()
	if err != nil || dacl == nil {
		t.Fatalf("no DACL: %v", err)
	}
	if n := dacl.AceCount; n != 1 {
		t.Fatalf("DACL has %d entries, want 1", n)
	}
	var ace *windows.ACCESS_ALLOWED_ACE
	if err := windows.GetAce(dacl, 0, &ace); err != nil {
		t.Fatal(err)
	}
	sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
	if ace.Header.AceType != windows.ACCESS_ALLOWED_ACE_TYPE || !sid.Equals(user) {
		t.Fatalf("DACL entry: type %d for %v, want allow for %v", ace.Header.AceType, sid, user)
	}
}

// leaveStale: a pipe dies with its process, so there is nothing to leave.
func leaveStale(*testing.T, string) {}

func TestPipeAddress(t *testing.T) {
	dir := testDir(t)
	a, err := Address(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Address(strings.ToUpper(dir) + `\.`)
	c, _ := Address(filepath.Join(dir, "other"))
	if !strings.HasPrefix(a, pipePrefix) || a != b || a == c {
		t.Fatalf("addresses %q, %q (same directory), %q (another)", a, b, c)
	}
}

// TestDialRefusesAnotherOwner: a pipe this user did not create (here one whose owner
// is the Administrators group, which the descriptor names) is refused by the
// client, so a squatter's pipe never hears the CLI.
func TestDialRefusesAnotherOwner(t *testing.T) {
	dir := testDir(t)
	path, err := Address(dir)
	if err != nil {
		t.Fatal(err)
	}
	user, err := currentUser()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := winio.ListenPipe(path, &winio.PipeConfig{SecurityDescriptor: "O:BAD:P(A;;GA;;;" + user.String() + ")"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	if _, err := dial(context.Background(), path); !errors.Is(err, ErrNotOurs) {
		t.Fatalf("dial a pipe owned by another: %v, want ErrNotOurs", err)
	}
}

// testDir is t.TempDir removed file by file: os.RemoveAll, which t.TempDir's cleanup
// calls, deletes with FileDispositionInformationEx, which Wine 8 does not implement
// (the tests of this package run under Wine: packaging/README.md).
func testDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "control")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var paths []string
		_ = filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
			paths = append(paths, p)
			return nil
		})
		for i := len(paths) - 1; i >= 0; i-- { // children before their directory
			if err := os.Remove(paths[i]); err != nil {
				t.Errorf("remove the test directory: %v", err)
			}
		}
	})
	return dir
}
