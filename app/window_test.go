package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/xvfbtest"
)

// runAppEnv makes the test binary act as the app itself, so the window test needs no
// separate build.
const runAppEnv = "DAOLI_TEST_RUN_APP"

// runCLIEnv makes the test binary act as the daoli command line, with the arguments
// after the program name.
const runCLIEnv = "DAOLI_TEST_RUN_CLI"

func TestMain(m *testing.M) {
	// The app started from the test binary runs its jobs in `worker` subprocesses of
	// its own executable, this binary, with the app's environment.
	if os.Getenv(runCLIEnv) == "1" || len(os.Args) > 1 && os.Args[1] == "worker" {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	if os.Getenv(runAppEnv) == "1" {
		if err := Run(RunOptions{DataDir: os.Getenv("DAOLI_TEST_DATA")}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestRunOpensWindowTitledDaoli starts the app on a private X server and waits for a
// real top-level window named Daoli.
func TestRunOpensWindowTitledDaoli(t *testing.T) {
	display := xvfbtest.Start(t, "1280x800x24")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), runAppEnv+"=1", "DISPLAY="+display, "HOME="+t.TempDir(),
		"XDG_CONFIG_HOME="+t.TempDir(), "XDG_DATA_HOME="+t.TempDir())
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := exec.Command("xwininfo", "-display", display, "-root", "-tree").Output()
		if err != nil {
			t.Fatalf("xwininfo (from x11-utils; make test installs it): %v", err)
		}
		if strings.Contains(string(out), `"Daoli"`) {
			return
		}
		select {
		case err := <-exited:
			t.Fatalf("app exited before showing its window: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no window titled Daoli after 60 s; windows:\n%s\napp output:\n%s", out, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestAppEarnsOnDemoNetwork starts the app with nothing configured, its wallet
// passphrase given in the environment: it runs the embedded demo network, and within
// 60 s `daoli status --data DIR --json`, answered by the app's control API, reports a
// certified height above 0 and a balance read from the chain.
func TestAppEarnsOnDemoNetwork(t *testing.T) {
	display := xvfbtest.Start(t, "1280x800x24")
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), runAppEnv+"=1", "DISPLAY="+display, "HOME="+t.TempDir(),
		"XDG_CONFIG_HOME="+t.TempDir(), "DAOLI_TEST_DATA="+dir, PassphraseEnv+"=window test passphrase")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	start := time.Now()
	deadline := start.Add(60 * time.Second)
	for {
		out, err := daoliCmd("status", "--data", dir, "--json").Output()
		if err == nil {
			var st struct {
				Height *uint64
				Node   struct {
					BalanceHeight uint64 `json:"balance_height"`
				}
			}
			if err := json.Unmarshal(out, &st); err != nil {
				t.Fatalf("status --json: %v\n%s", err, out)
			}
			if st.Height != nil && *st.Height > 0 && st.Node.BalanceHeight > 0 {
				t.Logf("certified height %d and a proven balance %v after launch", *st.Height, time.Since(start).Round(time.Millisecond))
				return
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("app exited: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no certified height and proven balance after 60 s; app output:\n%s", logs.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
}
