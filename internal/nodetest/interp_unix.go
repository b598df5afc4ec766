//go:build unix

package nodetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Interpreter makes sure the Ruby interpreter that `make interp` builds is in the
// repository at root: bin/interp/ruby.wasm and its compiled code in
// bin/interp/wasm-cache. The first test to need it runs packaging/interp/fetch.sh,
// which fetches and builds it (a few minutes) or, when it is there, checks it and
// returns; a lock on bin/interp.lock keeps two test binaries from building it at
// once. So `go test ./...` needs no step before it, as `make test` has.
func Interpreter(t testing.TB, root string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(filepath.Join(root, "bin", "interp.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("lock %s: %v", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	cmd := exec.Command(filepath.Join(root, "packaging", "interp", "fetch.sh"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("packaging/interp/fetch.sh: %v\n%s", err, out)
	}
}
