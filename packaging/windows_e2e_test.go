package packaging

import (
	"bytes"
	"debug/pe"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/daolicloud/daoli/node/capacity"
)

// The Windows build, run under Wine (packaging/README.md, "Windows"): what Wine can
// show of it. Each test fails, never skips, when MinGW-w64, Wine or NSIS is missing.

// crossBuild holds the output of packaging/cross.sh, built once for every test.
var crossBuild struct {
	once sync.Once
	dir  string
	err  error
}

// crossBinaries returns the directory packaging/cross.sh built into, or
// $DAOLI_CROSS_BIN: a directory it built before (as `make cross` leaves bin/cross).
func crossBinaries(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("DAOLI_CROSS_BIN"); dir != "" {
		return dir
	}
	need(t, "x86_64-w64-mingw32-gcc", "patch")
	crossBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "daoli-cross")
		if err != nil {
			crossBuild.err = err
			return
		}
		crossBuild.dir = dir
		cmd := exec.Command("packaging/cross.sh", dir)
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			crossBuild.err = fmt.Errorf("packaging/cross.sh: %v\n%s", err, tail(string(out)))
		}
	})
	if crossBuild.err != nil {
		t.Fatal(crossBuild.err)
	}
	return crossBuild.dir
}

// winPath is a Linux path as Wine's programs see it: drive Z: is the root.
func winPath(p string) string { return `Z:` + strings.ReplaceAll(p, "/", `\`) }

// wineOutput is cmd.Output for a Windows program under Wine. The first use of the
// window system in a prefix starts Wine's helpers (explorer.exe), which inherit the
// program's output pipe and outlive it; so the pipe is not waited for past the
// program's exit (WaitDelay), which is then no error.
func wineOutput(cmd *exec.Cmd) ([]byte, error) {
	cmd.WaitDelay = 3 * time.Second
	b, err := cmd.Output()
	if errors.Is(err, exec.ErrWaitDelay) {
		err = nil
	}
	return b, err
}

// output runs cmd and returns its standard output, failing the test with both.
func output(t *testing.T, cmd *exec.Cmd) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 3 * time.Second
	if err := cmd.Run(); err != nil && !errors.Is(err, exec.ErrWaitDelay) {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(cmd.Args, " "), err, tail(stdout.String()), tail(stderr.String()))
	}
	return stdout.Bytes()
}

// pollUntil calls try until it reports done or the deadline passes. Each try under
// Wine takes a second or more; the pause between tries keeps it from taking both
// cores from the node it asks.
func pollUntil(t *testing.T, what string, deadline time.Time, try func() bool, onFail func()) {
	t.Helper()
	for !try() {
		if time.Now().After(deadline) {
			onFail()
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestWindowsBuild: make cross builds both programs for Windows with their resources,
// and the trustee for both Macs, with their sums.
func TestWindowsBuild(t *testing.T) {
	trackInputs(t)
	dir := crossBinaries(t)
	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"windows-amd64/daoli.exe", "windows-amd64/daoli-trustee.exe", "darwin-amd64/daoli-trustee", "darwin-arm64/daoli-trustee"} {
		if !strings.Contains(string(sums), "  "+f+"\n") {
			t.Errorf("SHA256SUMS lacks %s:\n%s", f, sums)
		}
	}
	need(t, "x86_64-w64-mingw32-objdump")
	for _, exe := range []string{"daoli.exe", "daoli-trustee.exe"} {
		path := filepath.Join(dir, "windows-amd64", exe)
		headers := command(t, nil, "x86_64-w64-mingw32-objdump", "-p", path)
		// The app is a GUI program (no console window); the trustee a console one.
		sub := "Windows CUI"
		if exe == "daoli.exe" {
			sub = "Windows GUI"
		}
		if !strings.Contains(headers, "Subsystem\t\t00000002\t("+sub+")") && !strings.Contains(headers, "("+sub+")") {
			t.Errorf("%s: subsystem is not %s", exe, sub)
		}
		// The version resource spells its keys and values in UTF-16 ("FileVersion",
		// the release); the manifest is UTF-8 (asInvoker). Read from the .rsrc
		// section's bytes: objdump -s prints them in lines with addresses between,
		// which split a string that crosses a line.
		rsrc := section(t, path, ".rsrc")
		for _, want := range [][]byte{utf16le("FileVersion"), utf16le(releaseVersion(t)), []byte("asInvoker")} {
			if !bytes.Contains(rsrc, want) {
				t.Errorf("%s: no %q in its resources", exe, want)
			}
		}
	}
}

// section is the data of a PE file's section.
func section(t *testing.T, path, name string) []byte {
	t.Helper()
	f, err := pe.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := f.Section(name)
	if s == nil {
		t.Fatalf("%s: no %s section", path, name)
	}
	b, err := s.Data()
	if err != nil {
		t.Fatalf("%s: %s: %v", path, name, err)
	}
	return b
}

// utf16le is s in UTF-16LE, as Windows resources spell their strings.
func utf16le(s string) []byte {
	var b []byte
	for _, r := range utf16.Encode([]rune(s)) {
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}

// TestWindowsAppUnderWine runs daoli.exe under Wine: its version, a wallet, the
// headless node on the embedded demo network answering status --json with a
// certified height and a proven balance, the wallet commands, and a job bought and
// paid, run by the demo provider's job worker (daoli.exe worker, in its Job Object).
func TestWindowsAppUnderWine(t *testing.T) {
	trackInputs(t)
	exe := filepath.Join(crossBinaries(t), "windows-amd64", "daoli.exe")

	out := string(output(t, wine(t, exe, "--version")))
	if !strings.HasPrefix(out, "daoli "+releaseVersion(t)) || !strings.Contains(out, "idle") {
		t.Fatalf("daoli.exe --version: %q", out)
	}

	data := t.TempDir()
	cli := func(args ...string) *exec.Cmd {
		cmd := wine(t, append([]string{exe}, append(args, "--data", winPath(data))...)...)
		cmd.Env = append(cmd.Env, "DAOLI_PASSPHRASE=wine passphrase")
		return cmd
	}
	output(t, cli("wallet", "new"))
	s := capacity.DefaultSettings(2)
	s.Mode = capacity.Always
	if err := (capacity.FileSettingsStore{Path: filepath.Join(data, "sharing.json")}).Save(s); err != nil {
		t.Fatal(err)
	}

	node := cli("node")
	var nodeLog bytes.Buffer
	node.Stdout, node.Stderr = &nodeLog, &nodeLog
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		node.Process.Kill()
		node.Wait()
	}()
	showLog := func() { t.Log(tail(nodeLog.String())) }
	deadline := time.Now().Add(8 * time.Minute)

	var st struct {
		Height  uint64
		Address string
		Balance uint64
		Node    struct{ Demo bool }
	}
	var last []byte
	var lastErr error
	pollUntil(t, "a certified height and a balance", deadline, func() bool {
		b, err := wineOutput(cli("status", "--json"))
		last, lastErr = b, err
		return err == nil && json.Unmarshal(b, &st) == nil && st.Height > 0 && st.Balance > 0
	}, func() { showLog(); t.Logf("last status: %v\n%s", lastErr, last) })
	if !strings.HasPrefix(st.Address, "dao1") || !st.Node.Demo {
		t.Fatalf("status %+v", st)
	}
	var bal struct{ Balance, Height uint64 }
	if err := json.Unmarshal(output(t, cli("wallet", "balance", "--json")), &bal); err != nil || bal.Balance == 0 || bal.Height == 0 {
		t.Fatalf("proven balance %+v, %v", bal, err)
	}
	var hist []json.RawMessage
	if err := json.Unmarshal(output(t, cli("wallet", "history", "--json")), &hist); err != nil || len(hist) == 0 {
		t.Fatalf("history: %d entries, %v", len(hist), err)
	}
	var sent map[string]any
	if err := json.Unmarshal(output(t, cli("wallet", "send", st.Address, "1", "--fee", "1", "--json")), &sent); err != nil || sent["tx"] == nil {
		t.Fatalf("send: %+v, %v", sent, err)
	}
	over := cli("wallet", "send", st.Address, "999999999999")
	over.WaitDelay = 3 * time.Second
	if b, err := over.CombinedOutput(); err == nil || !strings.Contains(string(b), "balance") {
		t.Fatalf("send above the balance: %v %s", err, b)
	}

	// A job, paid from what the node earned.
	pollUntil(t, "a balance to pay for a job", deadline, func() bool {
		b, err := wineOutput(cli("status", "--json"))
		return err == nil && json.Unmarshal(b, &st) == nil && st.Balance >= 400
	}, showLog)
	output(t, cli("share", "off"))
	piOut := filepath.Join(t.TempDir(), "pi")
	job := cli("job", "run", "pi", "--arg", "50000", "--max-price", "150", "--out", winPath(piOut))
	var progress bytes.Buffer
	job.Stderr = &progress
	job.WaitDelay = 3 * time.Second
	if err := job.Run(); err != nil && !errors.Is(err, exec.ErrWaitDelay) {
		showLog()
		t.Fatalf("daoli.exe job run: %v\n%s", err, progress.String())
	}
	if res, err := os.ReadFile(filepath.Join(piOut, "stdout")); err != nil || !strings.Contains(string(res), "3.1") {
		t.Fatalf("the job's output %q, %v", res, err)
	}
	if !strings.Contains(progress.String(), "Done: paid") {
		t.Fatalf("progress of the job:\n%s", progress.String())
	}
}

// userDir is the Wine prefix's profile directory of the user the tests run as.
func userDir(t *testing.T) string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(winePrefix.dir, "drive_c", "users", "*", "AppData"))
	for _, d := range dirs {
		if !strings.Contains(d, string(filepath.Separator)+"Public"+string(filepath.Separator)) {
			return filepath.Dir(d)
		}
	}
	t.Fatalf("no user profile in the Wine prefix %s", winePrefix.dir)
	return ""
}

// regValue reads a value of HKEY_CURRENT_USER in the prefix: "" when it is absent.
func regValue(t *testing.T, key, name string) string {
	t.Helper()
	out, err := wine(t, "reg", "query", `HKCU\`+key, "/v", name).Output()
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == name {
			return strings.TrimSpace(line[strings.Index(line, f[1])+len(f[1]):])
		}
	}
	return ""
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestWindowsInstallerUnderWine installs the NSIS installer silently into a Wine
// prefix, for this user and without elevation, and uninstalls it: the program, the
// Start-menu entry, the uninstall entry and (a choice) the Run key come and go;
// the wallet stays unless /removedata is given.
func TestWindowsInstallerUnderWine(t *testing.T) {
	trackInputs(t)
	setup := filepath.Join(crossBinaries(t), "windows-amd64", "daoli-"+releaseVersion(t)+"-windows-amd64-setup.exe")
	const runKey, uninstKey = `Software\Microsoft\Windows\CurrentVersion\Run`, `Software\Microsoft\Windows\CurrentVersion\Uninstall\Daoli`

	output(t, wine(t, setup, "/S"))
	home := userDir(t)
	inst := filepath.Join(home, "AppData", "Local", "Programs", "Daoli")
	link := filepath.Join(home, "AppData", "Roaming", "Microsoft", "Windows", "Start Menu", "Programs", "Daoli.lnk")
	data := filepath.Join(home, "AppData", "Roaming", "Daoli")
	for _, f := range []string{filepath.Join(inst, "daoli.exe"), filepath.Join(inst, "uninstall.exe"), link} {
		if !exists(f) {
			t.Fatalf("installed: no %s", f)
		}
	}
	if v := regValue(t, runKey, "Daoli"); !strings.Contains(v, `\Programs\Daoli\daoli.exe" --data "`) {
		t.Fatalf("start at sign-in: Run value %q", v)
	}
	if v := regValue(t, uninstKey, "QuietUninstallString"); !strings.Contains(v, `uninstall.exe" /S`) {
		t.Fatalf("uninstall entry: %q", v)
	}
	// The installed program runs, and makes its wallet in %AppData%\Daoli.
	exe := `C:\users\` + filepath.Base(home) + `\AppData\Local\Programs\Daoli\daoli.exe`
	if out := string(output(t, wine(t, exe, "--version"))); !strings.HasPrefix(out, "daoli ") {
		t.Fatalf("installed daoli.exe --version: %q", out)
	}
	wallet := wine(t, exe, "wallet", "new")
	wallet.Env = append(wallet.Env, "DAOLI_PASSPHRASE=installer passphrase")
	output(t, wallet)
	if !exists(data) {
		t.Fatalf("no data directory %s after wallet new", data)
	}

	// uninstall runs the uninstaller, which copies itself away and returns at once:
	// its work is done when the program directory is gone.
	uninstall := func(args ...string) {
		t.Helper()
		output(t, wine(t, append([]string{`C:\users\` + filepath.Base(home) + `\AppData\Local\Programs\Daoli\uninstall.exe`, "/S"}, args...)...))
		pollUntil(t, "the uninstaller", time.Now().Add(3*time.Minute), func() bool { return !exists(inst) }, func() {})
		// The copy in %Temp% ends with the last registry change.
		pollUntil(t, "the uninstall entry to go", time.Now().Add(time.Minute), func() bool {
			return regValue(t, uninstKey, "DisplayName") == ""
		}, func() {})
	}
	uninstall()
	if exists(link) || regValue(t, runKey, "Daoli") != "" {
		t.Fatalf("left after uninstall: shortcut %v, Run value %q", exists(link), regValue(t, runKey, "Daoli"))
	}
	if !exists(data) {
		t.Fatal("the uninstaller deleted the wallet without being asked")
	}

	// Without start at sign-in, and an uninstall that deletes the data.
	output(t, wine(t, setup, "/S", "/noautostart"))
	if !exists(filepath.Join(inst, "daoli.exe")) || regValue(t, runKey, "Daoli") != "" {
		t.Fatalf("/noautostart: installed %v, Run value %q", exists(filepath.Join(inst, "daoli.exe")), regValue(t, runKey, "Daoli"))
	}
	uninstall("/removedata")
	pollUntil(t, "the data directory to go", time.Now().Add(time.Minute), func() bool { return !exists(data) }, func() {})
	if exists(link) {
		t.Fatal("the shortcut stayed")
	}
}
