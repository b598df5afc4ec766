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
	"strings"
	"testing"

	"github.com/daolicloud/daoli/node/gpu"
)

// TestJobManifest: every example module is embedded, matches the manifest's hash and
// size, and every source directory has its module.
func TestJobManifest(t *testing.T) {
	m, err := JobManifest()
	if err != nil {
		t.Fatal(err)
	}
	var srcs []string
	for _, pat := range []string{"jobs/*/main.go", "jobs/*/main.c", "jobs/*/main.rs"} {
		found, _ := filepath.Glob(pat)
		srcs = append(srcs, found...)
	}
	if len(m.Jobs) != len(srcs) || len(srcs) < 6 {
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
// test says so and checks the build succeeds. The C and Rust examples are rebuilt the
// same way where Debian's clang and rustc for WASI are installed (`make jobs` installs
// them); the test suite itself needs neither.
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
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	wd = filepath.Dir(wd) // the repository, whose path the C and Rust builds remap to "."
	for _, j := range m.Jobs {
		out := filepath.Join(dir, j.Name+".wasm")
		src := "jobs/" + j.Name + "/main"
		var cmd *exec.Cmd
		switch {
		case exists(src + ".c"):
			if version(t, "/usr/bin/clang") != m.Clang {
				t.Logf("%s: built with %q, not installed here: not rebuilt", j.Name, m.Clang)
				continue
			}
			// As packaging/build-jobs.sh: compiled and linked apart, so that the link
			// never runs binaryen's wasm-opt where it is installed.
			obj := filepath.Join(dir, j.Name+".o")
			compile := exec.Command("/usr/bin/clang", "--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-Wall", "-Werror",
				"-ffile-prefix-map="+wd+"=.", "-c", "-o", obj, "assets/"+src+".c")
			compile.Dir = wd // the script's directory: the source's path is in the module
			if b, err := compile.CombinedOutput(); err != nil {
				t.Fatalf("compile %s: %v\n%s", j.Name, err, b)
			}
			cmd = exec.Command("/usr/bin/clang", "--target=wasm32-wasi", "--sysroot=/usr", "-Wl,--strip-all", "-o", out, obj)
		case exists(src + ".rs"):
			if version(t, "/usr/bin/rustc") != m.Rustc {
				t.Logf("%s: built with %q, not installed here: not rebuilt", j.Name, m.Rustc)
				continue
			}
			cmd = exec.Command("/usr/bin/rustc", "--edition", "2021", "--target", "wasm32-wasi", "-C", "opt-level=2",
				"-C", "codegen-units=1", "-C", "strip=symbols", "-C", "panic=abort", "--remap-path-prefix="+wd+"=.",
				"-o", out, "assets/"+src+".rs")
			cmd.Dir = wd
		default:
			cmd = exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", out, "./jobs/"+j.Name)
			cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
		}
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", j.Name, err, b)
		}
		built, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !sameGo && exists(src+".go") {
			continue
		}
		embedded, err := Job(j.Name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(built, embedded) {
			t.Errorf("%s: the embedded module is not the build of jobs/%s: run make jobs", j.Name, j.Name)
		}
	}
}

// TestGPUJobs: every GPU module is embedded, matches the manifest's hash and size, has
// a CPU twin, and is the build of its gpu.json and main.wgsl, byte for byte, as `make
// jobs` builds it (packaging/gpujob).
func TestGPUJobs(t *testing.T) {
	m, err := JobManifest()
	if err != nil {
		t.Fatal(err)
	}
	srcs, _ := filepath.Glob("jobs/*/main.wgsl")
	if len(m.GPUJobs) != len(srcs) || len(srcs) < 2 {
		t.Fatalf("%d GPU modules in the manifest, %d sources: run make jobs", len(m.GPUJobs), len(srcs))
	}
	for _, j := range m.GPUJobs {
		mod, err := GPUJob(j.Name)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(mod)
		if hex.EncodeToString(sum[:]) != j.SHA256 || len(mod) != j.Size || j.Summary == "" {
			t.Fatalf("%s: %d bytes %x, manifest says %d bytes %s", j.Name, len(mod), sum, j.Size, j.SHA256)
		}
		if _, err := Job(j.Name); err != nil {
			t.Errorf("%s has no CPU twin: %v", j.Name, err)
		}
		man, err := os.ReadFile("jobs/" + j.Name + "/gpu.json")
		if err != nil {
			t.Fatal(err)
		}
		wgsl, err := os.ReadFile("jobs/" + j.Name + "/main.wgsl")
		if err != nil {
			t.Fatal(err)
		}
		built, err := gpu.Assemble(man, wgsl)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(append(built, '\n'), mod) {
			t.Errorf("%s: the embedded GPU module is not the build of jobs/%s: run make jobs", j.Name, j.Name)
		}
	}
	if _, err := GPUJob("pi"); err == nil {
		t.Fatal("a GPU job that does not exist")
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

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// version is a toolchain's first line of --version, as `make jobs` records it, or ""
// when it is not installed.
func version(t *testing.T, tool string) string {
	b, err := exec.Command(tool, "--version").Output()
	if err != nil {
		return ""
	}
	return strings.SplitN(string(b), "\n", 2)[0]
}
