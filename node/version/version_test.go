package version

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// FyneApp.toml is what `fyne package` stamps into installers; it must name the release
// the binary reports.
func TestReleaseMatchesFyneAppToml(t *testing.T) {
	data, err := os.ReadFile("../../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*Version\s*=\s*"([^"]+)"`).FindSubmatch(data)
	if m == nil {
		t.Fatal("FyneApp.toml has no Version")
	}
	if got := string(m[1]); got != Release {
		t.Fatalf("FyneApp.toml says %s, the code says %s", got, Release)
	}
}

func TestStringStartsWithRelease(t *testing.T) {
	if s := String(); !strings.HasPrefix(s, Release) {
		t.Fatalf("String() = %q, want it to start with %q", s, Release)
	}
}
