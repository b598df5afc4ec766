package packaging

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReproducibleTrustee builds daoli-trustee twice with packaging/release.sh, from two
// clones of the current commit in directories of different names and depths, the
// second with an empty build cache, and wants the same bytes; and wants the build to
// say which commit it is.
func TestReproducibleTrustee(t *testing.T) {
	t.Parallel()
	need(t, "git")
	trackInputs(t)
	head := strings.TrimSpace(command(t, nil, "git", "rev-parse", "HEAD"))

	tmp := t.TempDir()
	builds := []struct {
		dir    string
		env    []string
		shared bool
	}{
		// The first compiles everything afresh, in an empty build cache.
		{dir: filepath.Join(tmp, "another", "place", "src"), env: []string{"GOCACHE=" + filepath.Join(tmp, "gocache")}},
		// The second shares the usual build cache, so it costs little once warm.
		{dir: filepath.Join(tmp, "a", "daoli"), shared: true},
	}
	sums := make([]string, len(builds))
	for i, b := range builds {
		if b.shared {
			// The release build of the other tests compiles the same packages with the
			// same flags into the shared cache; this one waits for it and links, rather
			// than compiling them all a second time beside it.
			releaseBinaries(t)
		}
		command(t, nil, "git", "clone", "--quiet", "--shared", "--no-checkout", ".", b.dir)
		command(t, nil, "git", "-C", b.dir, "checkout", "--quiet", "--detach", head)
		out := filepath.Join(b.dir, "bin", "release")
		command(t, append(b.env, "DAOLI_ONLY=daoli-trustee"), filepath.Join(b.dir, "packaging", "release.sh"), out)
		bin := filepath.Join(out, "daoli-trustee")
		data, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		sums[i] = hex.EncodeToString(sum[:])
		t.Logf("%s: sha256 %s, %d bytes", bin, sums[i], len(data))

		v, err := exec.Command(bin, "--version").Output()
		if err != nil {
			t.Fatalf("%s --version: %v", bin, err)
		}
		if want := "daoli-trustee "; !strings.HasPrefix(string(v), want) || !strings.Contains(string(v), "("+head[:7]+")") {
			t.Fatalf("%s --version = %q, want the release and the commit %s", bin, v, head[:7])
		}
	}
	if sums[0] != sums[1] {
		t.Fatalf("two release builds of commit %s differ: %s and %s", head[:7], sums[0], sums[1])
	}
}
