package packaging

import (
	"os/exec"
	"strings"
	"testing"
)

// checkReleaseFlags runs the release binary: `daoli node --help` does not offer
// --provider-fault (the end-to-end tests' cheating provider, which only the app's test
// binary has), and `daoli node --provider-fault …` is refused as a flag it does not
// know. TestDebPackages runs it on the binary it packages.
func checkReleaseFlags(t *testing.T, daoli string) {
	help, err := exec.Command(daoli, "node", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(help), "-wasm-cache") {
		t.Fatalf("daoli node --help: %v\n%s", err, help)
	}
	if strings.Contains(string(help), "provider-fault") {
		t.Errorf("daoli node --help offers --provider-fault:\n%s", help)
	}
	for _, fault := range []string{"wrong-output", "silent"} {
		cmd := exec.Command(daoli, "node", "--provider-fault", fault, "--data", t.TempDir())
		out, err := cmd.CombinedOutput()
		if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 2 ||
			!strings.Contains(string(out), "flag provided but not defined: -provider-fault") {
			t.Errorf("daoli node --provider-fault %s: %v, want exit status 2 and an unknown flag\n%s", fault, err, tail(string(out)))
		}
	}
}

// TestReleaseDeps lists the packages the daoli binary is built from, with the flags
// packaging/release.sh builds it with: Fyne's test driver is not among them (the
// screenshots, which draw with it, are packaging/screenshots, a command of their
// own); that command's list has it, so the list is the real one.
//
// It is not parallel: it takes a second or two, and each parallel test of this package
// holds one of the few slots (-parallel, the number of processors) the long ones need.
func TestReleaseDeps(t *testing.T) {
	fyne := strings.Fields(command(t, nil, "packaging/fyne/prepare.sh"))
	const driver = "fyne.io/fyne/v2/test"
	deps := func(pkg string) []string {
		args := append(append([]string{"list", "-deps", "-tags", "no_emoji"}, fyne...), pkg)
		return strings.Fields(command(t, []string{"GOFLAGS="}, "go", args...))
	}
	for _, p := range deps(".") {
		if p == driver {
			t.Errorf("the daoli binary links %s", driver)
		}
	}
	found := false
	for _, p := range deps("./packaging/screenshots") {
		found = found || p == driver
	}
	if !found {
		t.Errorf("packaging/screenshots does not list %s: the list is not what the build links", driver)
	}
}
