package packaging

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// metainfo is the part of the AppStream file that FyneApp.toml also says.
type metainfo struct {
	ID         string   `xml:"id"`
	Name       string   `xml:"name"`
	Launchable string   `xml:"launchable"`
	Icon       string   `xml:"icon"`
	Categories []string `xml:"categories>category"`
	Keywords   []string `xml:"keywords>keyword"`
	Releases   []struct {
		Version string `xml:"version,attr"`
	} `xml:"releases>release"`
}

// TestMetainfoMatchesFyneApp keeps the AppStream metadata in step with FyneApp.toml,
// from which fyne makes the desktop entry that the metadata names: the same ID, name,
// categories and keywords, and the release of the code as its newest release.
func TestMetainfoMatchesFyneApp(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "packaging", "linux", "cloud.daoli.app.metainfo.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var m metainfo
	if err := xml.Unmarshal(data, &m); err != nil {
		t.Fatalf("metainfo: %v", err)
	}
	toml, err := os.ReadFile(filepath.Join(repoRoot, "FyneApp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	value := func(key string) string {
		v := regexp.MustCompile(`(?m)^\s*` + key + `\s*=\s*(.+)$`).FindSubmatch(toml)
		if v == nil {
			t.Fatalf("FyneApp.toml has no %s", key)
		}
		return strings.TrimSpace(string(v[1]))
	}
	list := func(key string) []string {
		var out []string
		for _, q := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(value(key), -1) {
			out = append(out, q[1])
		}
		return out
	}
	id := strings.Trim(value("ID"), `"`)
	checks := []struct {
		what      string
		got, want any
	}{
		{"id", m.ID, id},
		{"name", m.Name, strings.Trim(value("Name"), `"`)},
		{"launchable", m.Launchable, id + ".desktop"},
		{"icon", m.Icon, id},
		{"categories", m.Categories, list("Categories")},
		{"keywords", m.Keywords, list("Keywords")},
	}
	for _, c := range checks {
		g, w := c.got, c.want
		if gs, ok := g.([]string); ok {
			if !slices.Equal(gs, w.([]string)) {
				t.Errorf("metainfo %s = %q, FyneApp.toml says %q", c.what, gs, w)
			}
		} else if g != w {
			t.Errorf("metainfo %s = %q, FyneApp.toml says %q", c.what, g, w)
		}
	}
	if len(m.Releases) == 0 || m.Releases[0].Version != releaseVersion(t) {
		t.Errorf("the newest release in the metainfo is not %s, the code's release", releaseVersion(t))
	}
}
