package packaging

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestPatchedFyneLoop runs Fyne's own tests of its GLFW driver, which open windows and
// drive them through the main loop, against the copy with Daoli's idle loop
// (packaging/fyne). TestMenuBar compares a hover image with a golden this machine's
// font rendering does not match, patched or not, so it is left out.
func TestPatchedFyneLoop(t *testing.T) {
	need(t, "Xvfb")
	trackInputs(t)
	modfile := strings.TrimSpace(command(t, nil, "packaging/fyne/prepare.sh"))
	display := startXvfb(t)
	command(t, []string{"DISPLAY=" + display, "GOFLAGS="}, "go", "test", modfile, "-count=1",
		"-skip", "^TestMenuBar$", "fyne.io/fyne/v2/internal/driver/glfw", "fyne.io/fyne/v2/internal/animation")
}

// startXvfb starts a virtual display for the test and returns its name.
func startXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("Xvfb did not report its display: %v", err)
	}
	return ":" + strings.TrimSpace(line)
}
