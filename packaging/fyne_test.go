package packaging

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daolicloud/daoli/internal/xvfbtest"
)

// fyneSkeleton copies what packaging/fyne/prepare.sh reads (go.mod, go.sum and the
// script with its patch) into a directory of its own, where the script's bin/ is the
// test's, and returns it.
func fyneSkeleton(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum", "packaging/fyne/prepare.sh", "packaging/fyne/idle-loop.patch"} {
		data, err := os.ReadFile(filepath.Join(repoRoot, f))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// prepareIn runs prepare.sh of the skeleton dir and returns its output and exit error.
func prepareIn(dir string) (stdout, stderr string, err error) {
	cmd := exec.Command("sh", filepath.Join(dir, "packaging", "fyne", "prepare.sh"))
	cmd.Dir = dir
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// fyneVersion is the Fyne version go.mod names.
func fyneVersion(t *testing.T) string {
	return strings.TrimSpace(command(t, []string{"GOFLAGS="}, "go", "list", "-m", "-f", "{{.Version}}", "fyne.io/fyne/v2"))
}

// TestFynePatchApplies runs prepare.sh on the Fyne module go.mod names: the patch
// applies, the copy holds the idle loop, the flags name the copy and stamp the
// version, and a second run prints the same flags without making the copy again.
func TestFynePatchApplies(t *testing.T) {
	need(t, "patch")
	dir := fyneSkeleton(t)
	version := fyneVersion(t)
	out, errOut, err := prepareIn(dir)
	if err != nil {
		t.Fatalf("prepare.sh: %v\n%s", err, errOut)
	}
	want := "-modfile=" + filepath.Join(dir, "bin", "fyne", "go.mod") +
		" -ldflags=-X=github.com/daolicloud/daoli/app.idleLoopFyne=" + version + "\n"
	if out != want {
		t.Fatalf("prepare.sh printed %q, want %q", out, want)
	}
	copyDir := filepath.Join(dir, "bin", "fyne", "v2")
	loop, err := os.ReadFile(filepath.Join(copyDir, "internal", "driver", "glfw", "loop.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(loop, []byte("func (d *gLDriver) idle() (quit bool)")) {
		t.Error("the patched loop.go has no idle wait")
	}
	if _, err := os.Stat(filepath.Join(copyDir, "internal", "animation", "running.go")); err != nil {
		t.Errorf("the patch's new file: %v", err)
	}
	mod, err := os.ReadFile(filepath.Join(dir, "bin", "fyne", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(mod, []byte("replace fyne.io/fyne/v2 => ./bin/fyne/v2")) {
		t.Errorf("bin/fyne/go.mod does not replace Fyne by the copy:\n%s", mod)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "bin", "fyne.new.*"))
	if len(leftovers) > 0 {
		t.Errorf("prepare.sh left %v behind", leftovers)
	}

	before, err := os.Stat(copyDir)
	if err != nil {
		t.Fatal(err)
	}
	again, errOut, err := prepareIn(dir)
	if err != nil || again != out {
		t.Fatalf("second prepare.sh: %v, printed %q, want %q\n%s", err, again, out, errOut)
	}
	after, err := os.Stat(copyDir)
	if err != nil || !os.SameFile(before, after) {
		t.Errorf("the second run made the copy again (%v)", err)
	}
}

// TestFynePatchFailsOnDriftedFyne gives prepare.sh a Fyne whose loop.go differs from
// the released one in a line of the patch's context, as a new Fyne that touched the
// main loop would: the script stops with a message naming the Fyne version and
// leaves no copy to build with. The changed line is the last of its hunk's context,
// which patch's default fuzz would let go, so the test also shows that the patch is
// applied without fuzz.
func TestFynePatchFailsOnDriftedFyne(t *testing.T) {
	need(t, "patch")
	dir := fyneSkeleton(t)
	version := fyneVersion(t)
	src := strings.TrimSpace(command(t, []string{"GOFLAGS="}, "go", "list", "-m", "-f", "{{.Dir}}", "fyne.io/fyne/v2"))
	if src == "" {
		command(t, []string{"GOFLAGS="}, "go", "mod", "download", "fyne.io/fyne/v2")
		src = strings.TrimSpace(command(t, []string{"GOFLAGS="}, "go", "list", "-m", "-f", "{{.Dir}}", "fyne.io/fyne/v2"))
	}
	drifted := filepath.Join(dir, "drifted")
	command(t, nil, "cp", "-R", src, drifted)
	command(t, nil, "chmod", "-R", "u+w", drifted)

	const line, changed = "func (d *gLDriver) runGL() {\n", "func (d *gLDriver) runGL() { // the main loop\n"
	patch, err := os.ReadFile(filepath.Join(repoRoot, "packaging", "fyne", "idle-loop.patch"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(patch, []byte("\n+\treturn drew\n }\n \n "+line+"@@ ")) {
		t.Fatalf("idle-loop.patch has no hunk that ends with the context line %q: choose another line to change", line)
	}
	loopGo := filepath.Join(drifted, "internal", "driver", "glfw", "loop.go")
	loop, err := os.ReadFile(loopGo)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(loop, []byte(line)) != 1 {
		t.Fatalf("Fyne's loop.go holds %q %d times, want once", line, bytes.Count(loop, []byte(line)))
	}
	if err := os.WriteFile(loopGo, bytes.Replace(loop, []byte(line), []byte(changed), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	fuzzy := exec.Command("patch", "--dry-run", "--batch", "-p1", "-d", drifted, "-i", filepath.Join(dir, "packaging", "fyne", "idle-loop.patch"))
	if out, err := fuzzy.CombinedOutput(); err != nil || !strings.Contains(string(out), "with fuzz") {
		t.Fatalf("patch with its default fuzz: %v, want it to apply with fuzz\n%s", err, out)
	}

	f, err := os.OpenFile(filepath.Join(dir, "go.mod"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("\nreplace fyne.io/fyne/v2 => ./drifted\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	out, errOut, err := prepareIn(dir)
	if err == nil {
		t.Fatalf("prepare.sh succeeded on a drifted Fyne, printed %q", out)
	}
	if want := "packaging/fyne/idle-loop.patch does not apply to Fyne " + version; !strings.Contains(errOut, want) {
		t.Errorf("prepare.sh said:\n%s\nwant %q", errOut, want)
	}
	if out != "" {
		t.Errorf("prepare.sh printed flags %q after failing", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "bin", "fyne")); !os.IsNotExist(err) {
		t.Errorf("bin/fyne exists after a failed patch (%v)", err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "bin", "fyne.new.*"))
	if len(leftovers) > 0 {
		t.Errorf("prepare.sh left %v behind", leftovers)
	}
}

// TestMainLoopStamp checks what each build of the app says of its main loop, in
// --version and in its log at start-up: the release binary (built as make builds,
// with the patch and its -X stamp) runs the idle loop, a plain `go build` Fyne's own.
func TestMainLoopStamp(t *testing.T) {
	trackInputs(t)
	version := fyneVersion(t)
	plain := filepath.Join(t.TempDir(), "daoli")
	command(t, []string{"GOFLAGS="}, "go", "build", "-o", plain, ".")
	idle := "main loop: idle (patched Fyne " + version + ")"
	upstream := "main loop: upstream Fyne " + version + " (unpatched: it wakes 60 times a second even when idle; build with make for the idle loop)"
	for _, c := range []struct {
		name, bin, want string
	}{
		{"release", filepath.Join(releaseBinaries(t), "daoli"), idle},
		{"plain go build", plain, upstream},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := exec.Command(c.bin, "--version").Output()
			if err != nil {
				t.Fatalf("daoli --version: %v", err)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "daoli ") || lines[1] != c.want {
				t.Errorf("daoli --version printed\n%s\nwant its second line %q", out, c.want)
			}
			if got := startupMainLoop(t, c.bin); !strings.Contains(got, `msg="`+c.want+`"`) {
				t.Errorf("the log at start-up says %q, want %q", got, c.want)
			}
		})
	}
}

// startupMainLoop starts the app on a private X server with empty data and returns the
// line of its log that names the main loop.
func startupMainLoop(t *testing.T, bin string) string {
	t.Helper()
	need(t, "Xvfb")
	display := xvfbtest.Start(t, "1280x800x24")
	home := t.TempDir()
	cmd := exec.Command(bin, "--data", filepath.Join(home, "data"))
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_DATA_HOME="+filepath.Join(home, "share"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	// The log line comes before the window; stderr closes if the app exits first.
	var seen []string
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "main loop:") {
			return sc.Text()
		}
		seen = append(seen, sc.Text())
	}
	t.Fatalf("the app's log ended without naming its main loop:\n%s", strings.Join(seen, "\n"))
	return ""
}
