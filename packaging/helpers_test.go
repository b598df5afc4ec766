package packaging

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if release.dir != "" {
		os.RemoveAll(release.dir)
	}
	if crossBuild.dir != "" {
		os.RemoveAll(crossBuild.dir)
	}
	stopWine()
	os.Exit(code)
}

// release holds the release binaries of the working tree, built once by
// packaging/release.sh for every test that needs them: the app's release build
// compiles Fyne and GLFW without the race detector and with -trimpath, which no other
// build shares, and two tests building it at once would compile it all twice.
var release struct {
	once sync.Once
	dir  string
	err  error
}

// releaseBinaries returns the directory of the release binaries (daoli,
// daoli-trustee, SHA256SUMS), building them on first use.
func releaseBinaries(t *testing.T) string {
	t.Helper()
	release.once.Do(func() {
		dir, err := os.MkdirTemp("", "daoli-release")
		if err != nil {
			release.err = err
			return
		}
		release.dir = dir
		cmd := exec.Command("packaging/release.sh", dir)
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			release.err = fmt.Errorf("packaging/release.sh: %v\n%s", err, tail(string(out)))
		}
	})
	if release.err != nil {
		t.Fatal(release.err)
	}
	return release.dir
}

// repoRoot is the repository, seen from this package's directory.
const repoRoot = ".."

// packageOf names the Debian package that brings each tool the tests run, for the
// message when one is missing (packaging/build-deps.sh test installs them all).
var packageOf = map[string]string{
	"git": "git", "objdump": "binutils", "xz": "xz-utils", "tar": "tar",
	"dpkg": "dpkg", "dpkg-deb": "dpkg", "dpkg-query": "dpkg", "ldd": "libc-bin", "unshare": "util-linux", "setpriv": "util-linux",
	"mount": "mount", "chroot": "coreutils", "ip": "iproute2",
	"systemd-analyze": "systemd", "desktop-file-validate": "desktop-file-utils",
	"appstreamcli": "appstream", "useradd": "passwd", "deb-systemd-helper": "init-system-helpers",
	"patch": "patch", "Xvfb": "xvfb",
	"x86_64-w64-mingw32-gcc": "gcc-mingw-w64-x86-64", "x86_64-w64-mingw32-objdump": "binutils-mingw-w64-x86-64",
	"wine": "wine wine64", "wineserver": "wine", "makensis": "nsis",
}

// need fails the test, never skips it, when a tool is missing: a check that quietly
// does not run would look like one that passed.
func need(t *testing.T, tools ...string) {
	t.Helper()
	var missing, pkgs []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
			pkgs = append(pkgs, packageOf[tool])
		}
	}
	if len(missing) > 0 {
		t.Fatalf("missing %s: run packaging/build-deps.sh test (apt-get install %s)",
			strings.Join(missing, ", "), strings.Join(pkgs, " "))
	}
}

// trackInputs reads every file the artifacts are made from. go test remembers the
// files a test opened and reruns it when one changes; the builds happen in child
// processes, which it does not watch, so without this a cached pass would outlive a
// change to a recipe or to the code.
func trackInputs(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "bin", "dist", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		_, err = os.ReadFile(path)
		return err
	})
	if err != nil {
		t.Fatalf("read the sources: %v", err)
	}
}

// command runs name in the repository root with env added to the environment and
// returns its standard output; it fails the test with everything the command said.
func command(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err,
			tail(stdout.String()), tail(stderr.String()))
	}
	return stdout.String()
}

// tail keeps the end of a long output, where the error is.
func tail(s string) string {
	const max = 6000
	if len(s) > max {
		return "…" + s[len(s)-max:]
	}
	return s
}
