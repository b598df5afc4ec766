// Package xvfbtest runs a private virtual X server for tests that need a display: the
// app's window tests and the X11 idle probe's. Only tests import it.
package xvfbtest

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// startWait bounds how long Xvfb may take to report its display.
const startWait = 30 * time.Second

// Start runs Xvfb with one screen of the given geometry ("1280x800x24") until the test
// ends and returns its display name (":N"). Xvfb picks a free display number and
// reports it on the file descriptor given to -displayfd.
func Start(t testing.TB, screen string) string {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Fatal("Xvfb is needed to open a real window headless; install it (make test does): apt-get install xvfb")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", screen, "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	number := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		number <- strings.TrimSpace(line)
	}()
	select {
	case n := <-number:
		if n == "" {
			t.Fatal("Xvfb did not report its display")
		}
		return ":" + n
	case <-time.After(startWait):
		t.Fatalf("Xvfb did not report its display within %v", startWait)
		return ""
	}
}
