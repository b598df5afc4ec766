package app

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daolicloud/daoli/node/capacity"
)

func TestStatusJSON(t *testing.T) {
	dir := t.TempDir()
	// Saved settings are reported as such; Never makes the decision predictable.
	s := capacity.PresetSettings(capacity.Balanced, 2)
	s.Mode = capacity.Never
	if err := (capacity.FileSettingsStore{Path: filepath.Join(dir, sharingSettingsFile)}).Save(s); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := Main([]string{"status", "--json", "--data", dir}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var st Status
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("status is not JSON: %v\n%s", err, out.String())
	}
	switch {
	case st.DataDir != dir:
		t.Errorf("data_dir %q", st.DataDir)
	case st.Node.Running:
		t.Error("reports a node that does not run")
	case st.Machine.UsableCores <= 0:
		t.Errorf("usable cores %d", st.Machine.UsableCores)
	case !st.Sharing.SettingsSaved:
		t.Error("saved settings not found")
	case st.Sharing.Decision.Run || !strings.HasPrefix(st.Sharing.Decision.Reason, "Paused"):
		t.Errorf("decision under run mode Never: %+v", st.Sharing.Decision)
	case st.CapacityCheck != nil:
		t.Error("a capacity check that never ran is reported")
	}
}

func TestStatusText(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main([]string{"status", "--data", t.TempDir()}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"Node: not running", "Machine", "CPU", "Sharing", "Decision", "not run yet"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status text lacks %q:\n%s", want, out.String())
		}
	}
}

func TestStatusRefusesBadSettingsFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, sharingSettingsFile), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := Main([]string{"status", "--data", dir}, &out, &errOut); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(errOut.String(), sharingSettingsFile) {
		t.Fatalf("error does not name the file: %s", errOut.String())
	}
}

func TestCommandLineErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"status", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"status", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"--version"}, 0, ""},
		{[]string{"node", "--data", dir, "--recheck", "-1"}, 2, "--recheck -1: want a probability from 0 to 1"},
		{[]string{"node", "--data", dir, "--recheck", "1.5"}, 2, "--recheck 1.5: want a probability from 0 to 1"},
		{[]string{"node", "--data", dir, "--recheck", "NaN"}, 2, "want a probability from 0 to 1"},
		{[]string{"node", "--data", dir, "--max-time", "2h"}, 2, "--max-time 2h0m0s: give whole milliseconds from 1s to 1h0m0s"},
		{[]string{"node", "--data", dir, "--max-time", "0s"}, 2, "--max-time 0s"},
		{[]string{"job", "run", "pi", "--data", dir, "--env", "A"}, 2, `--env: environment variable "A" is not NAME=value`},
		{[]string{"job", "run", "pi", "--data", dir, "--time", "1500us"}, 2, "--time 1.5ms: give whole milliseconds"},
		{[]string{"job", "run", "pi", "--data", dir, "--memory", "0"}, 2, "--memory 0: give 1 to 4096 MiB"},
	} {
		var out, errOut bytes.Buffer
		if code := Main(tc.args, &out, &errOut); code != tc.code || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut.String(), tc.code, tc.want)
		}
	}
}

func TestCheckStoresAndReuses(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := Main(append([]string{"check", "--data", dir, "--each", "50ms"}, args...), &out, &errOut); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		return out.String()
	}
	first := run()
	if !strings.Contains(first, "Miner") || strings.Contains(first, "measured on") {
		t.Fatalf("first check:\n%s", first)
	}
	if again := run(); !strings.Contains(again, "measured on") {
		t.Fatalf("second check did not reuse the stored result:\n%s", again)
	}
	if forced := run("--force"); strings.Contains(forced, "measured on") {
		t.Fatalf("--force reused the stored result:\n%s", forced)
	}
	var out, errOut bytes.Buffer
	if code := Main([]string{"status", "--json", "--data", dir}, &out, &errOut); code != 0 {
		t.Fatalf("status: exit %d: %s", code, errOut.String())
	}
	var st Status
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if st.CapacityCheck == nil || st.CapacityCheck.Miner.SingleCore <= 0 || st.CapacityCheck.Job.AllCores <= 0 {
		t.Fatalf("status does not show the stored check: %+v", st.CapacityCheck)
	}
}
