package packaging

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The Windows code, run under Wine (packaging/README.md, "Windows"): what Wine can
// show of it. Each test fails, never skips, when MinGW-w64 or Wine is missing.

// winePrefix is the Wine prefix the tests share, made on first use by wine-exec.sh.
var winePrefix struct {
	once sync.Once
	dir  string
	err  error
}

// wine is a Windows program to run under Wine: wine-exec.sh with the tests' prefix.
func wine(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	need(t, "wine", "wineserver", "x86_64-w64-mingw32-gcc")
	winePrefix.once.Do(func() {
		dir, err := os.MkdirTemp("", "daoli-wine")
		if err != nil {
			winePrefix.err = err
			return
		}
		winePrefix.dir = filepath.Join(dir, "prefix")
		// Makes the prefix: the first Wine start takes the longest.
		cmd := exec.Command("packaging/windows/wine-exec.sh", "cmd", "/c", "ver")
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "WINEPREFIX="+winePrefix.dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			winePrefix.err = fmt.Errorf("make a Wine prefix: %v\n%s", err, tail(string(out)))
		}
	})
	if winePrefix.err != nil {
		t.Fatal(winePrefix.err)
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(root, "packaging/windows/wine-exec.sh"), args...)
	cmd.Env = append(os.Environ(), "WINEPREFIX="+winePrefix.dir)
	return cmd
}

// stopWine ends the prefix's Wine server and every program still running in it, and
// removes the prefix (TestMain).
func stopWine() {
	if winePrefix.dir == "" {
		return
	}
	cmd := exec.Command("wineserver", "-k")
	cmd.Env = append(os.Environ(), "WINEPREFIX="+winePrefix.dir)
	_ = cmd.Run()
	os.RemoveAll(filepath.Dir(winePrefix.dir))
}

// TestWindowsUnitsUnderWine runs the Windows tests of the control API (the named
// pipe and its ACL) and of the job worker (idle priority, Job Object, suspension)
// under Wine, compiled for Windows.
func TestWindowsUnitsUnderWine(t *testing.T) {
	trackInputs(t)
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	wine(t) // the prefix
	for _, c := range []struct{ pkg, run string }{
		// The API over the pipe and the pipe's ACL; the package's other tests use
		// Unix paths and t.TempDir, whose removal Wine 8 fails (packaging/README.md).
		{"./node/control", "^(TestControlAPI|TestControlSocketLifecycle|TestControlSharing|TestClientChooseSharing|TestPipeAddress|TestDialRefusesAnotherOwner)$"},
		{"./node/compute", "^TestWindowsWorker$"},
	} {
		cmd := exec.Command("go", "test", "-count=1", "-v", "-exec", filepath.Join(root, "packaging/windows/wine-exec.sh"), "-run", c.run, c.pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=", "WINEPREFIX="+winePrefix.dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("GOOS=windows go test %s under Wine: %v\n%s", c.pkg, err, tail(string(out)))
			continue
		}
		// A name that matches no test (renamed, or built out) runs nothing and passes.
		for _, name := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(c.run, "^("), ")$"), "|") {
			name = strings.Trim(name, "^$")
			if !strings.Contains(string(out), "--- PASS: "+name+" ") {
				t.Errorf("GOOS=windows go test %s under Wine did not pass %s:\n%s", c.pkg, name, tail(string(out)))
			}
		}
	}
}
