package assets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// TestJobManifest: every example module is embedded, matches the manifest's hash and
// size, and every source directory has its module.
func TestJobManifest(t *testing.T) {
	m, err := JobManifest()
	if err != nil {
		t.Fatal(err)
	}
	srcs, _ := filepath.Glob("jobs/*/main.go")
	if len(m.Jobs) != len(srcs) || len(srcs) < 4 {
		t.Fatalf("%d modules in the manifest, %d sources: run make jobs", len(m.Jobs), len(srcs))
	}
	for _, j := range m.Jobs {
		mod, err := Job(j.Name)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(mod)
		if hex.EncodeToString(sum[:]) != j.SHA256 || len(mod) != j.Size || j.Summary == "" || j.Usage == "" {
			t.Fatalf("%s: %d bytes %x, manifest says %d bytes %s", j.Name, len(mod), sum, j.Size, j.SHA256)
		}
	}
	if _, err := Job("nope"); err == nil {
		t.Fatal("a job that does not exist")
	}
}

// TestJobsReproducible rebuilds each module from its source the way `make jobs` does
// and checks that the embedded one is that build, byte for byte. A different Go
// release compiles different bytes, so with another toolchain than the manifest's the
// test says so and checks the build succeeds.
func TestJobsReproducible(t *testing.T) {
	m, err := JobManifest()
	if err != nil {
		t.Fatal(err)
	}
	sameGo := m.Go == runtime.Version()
	if !sameGo {
		t.Logf("modules built with %s, this is %s: comparing builds only, not bytes (run make jobs)", m.Go, runtime.Version())
	}
	dir := t.TempDir()
	for _, j := range m.Jobs {
		out := filepath.Join(dir, j.Name+".wasm")
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", out, "./jobs/"+j.Name)
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", j.Name, err, b)
		}
		built, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !sameGo {
			continue
		}
		embedded, err := Job(j.Name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(built, embedded) {
			t.Errorf("%s: the embedded module is not the build of jobs/%s/main.go: run make jobs", j.Name, j.Name)
		}
	}
}

func TestJobsGzipped(t *testing.T) {
	f, err := jobFS.Open("jobs/pi/pi.wasm.gz")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 4)
	if _, err := io.ReadFull(zr, head); err != nil || string(head) != "\x00asm" {
		t.Fatalf("not a wasm module: %q %v", head, err)
	}
}
