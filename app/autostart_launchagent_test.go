package app

import (
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLaunchAgent: the macOS autostart entry is the LaunchAgent in
// testdata/cloud.daoli.app.plist (checked against `plutil -lint` on a Mac is a step
// of packaging/README.md), in ~/Library/LaunchAgents, and well-formed XML whatever
// characters the paths hold. It runs on every system: the file is text.
func TestLaunchAgent(t *testing.T) {
	t.Setenv("HOME", "/Users/me")
	p, err := autostartPathFor("darwin")
	if err != nil || p != "/Users/me/Library/LaunchAgents/cloud.daoli.app.plist" {
		t.Fatalf("path %q, %v", p, err)
	}
	got := autostartFileFor("darwin", "/Applications/Daoli.app/Contents/MacOS/daoli", "/Users/me/Library/Application Support/Daoli")
	want, err := os.ReadFile(filepath.Join("testdata", "cloud.daoli.app.plist"))
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("LaunchAgent:\n%s\nwant:\n%s", got, want)
	}
	odd := autostartFileFor("darwin", "/Apps/R&D <x>/daoli", "/Users/me/a&b")
	var args []string
	d := xml.NewDecoder(strings.NewReader(odd))
	d.Strict = true
	inArray := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v\n%s", err, odd)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inArray = inArray || tok.Name.Local == "array"
		case xml.EndElement:
			if tok.Name.Local == "array" {
				inArray = false
			}
		case xml.CharData:
			if inArray && strings.TrimSpace(string(tok)) != "" {
				args = append(args, string(tok))
			}
		}
	}
	if strings.Join(args, "|") != "/Apps/R&D <x>/daoli|--data|/Users/me/a&b" {
		t.Fatalf("ProgramArguments %q", args)
	}
}
