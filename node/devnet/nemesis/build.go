package nemesis

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Binaries are the two programs a run starts, built with the tag "nemesis" so that
// their clocks can be skewed.
type Binaries struct {
	Trustee string // daoli-trustee
	Daoli   string // daoli, run as `daoli node`
}

// Build compiles daoli-trustee (without cgo) and daoli (as `make build` does, with
// Fyne's idle loop) with the tag "nemesis" into dir.
func Build(dir string) (Binaries, error) {
	root, err := repoRoot()
	if err != nil {
		return Binaries{}, err
	}
	b := Binaries{Trustee: filepath.Join(dir, "daoli-trustee"), Daoli: filepath.Join(dir, "daoli")}
	tb := exec.Command("go", "build", "-tags", "nemesis", "-o", b.Trustee, "./node/cmd/daoli-trustee")
	tb.Dir, tb.Env = root, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := tb.CombinedOutput(); err != nil {
		return Binaries{}, fmt.Errorf("build daoli-trustee: %w\n%s", err, out)
	}
	prep := exec.Command("packaging/fyne/prepare.sh")
	prep.Dir = root
	flags, err := prep.Output()
	if err != nil {
		return Binaries{}, fmt.Errorf("packaging/fyne/prepare.sh: %w", err)
	}
	args := append([]string{"build", "-tags", "no_emoji,nemesis"}, strings.Fields(string(flags))...)
	db := exec.Command("go", append(args, "-o", b.Daoli, ".")...)
	db.Dir = root
	if out, err := db.CombinedOutput(); err != nil {
		return Binaries{}, fmt.Errorf("build daoli: %w\n%s", err, out)
	}
	return b, nil
}

// repoRoot is the directory of the module's go.mod.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("%w: run inside the Daoli module", ErrBadConfig)
	}
	return filepath.Dir(mod), nil
}
