package app

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestMainLoopOf(t *testing.T) {
	released := &debug.BuildInfo{Deps: []*debug.Module{{Path: fyneModule, Version: "v2.7.1"}}}
	patched := &debug.BuildInfo{Deps: []*debug.Module{{Path: fyneModule, Version: "v2.7.1",
		Replace: &debug.Module{Path: "./bin/fyne/v2"}}}}
	const upstream = " (unpatched: it wakes 60 times a second even when idle; build with make for the idle loop)"
	for _, c := range []struct {
		name  string
		stamp string
		info  *debug.BuildInfo
		idle  bool
		text  string
	}{
		{"make build", "v2.7.1", patched, true, "main loop: idle (patched Fyne v2.7.1)"},
		{"plain go build", "", released, false, "main loop: upstream Fyne v2.7.1" + upstream},
		{"stamp without the patched copy", "v2.7.1", released, false, "main loop: upstream Fyne v2.7.1" + upstream},
		{"stamp of another Fyne", "v2.6.0", patched, false, "main loop: upstream Fyne v2.7.1" + upstream},
		{"replaced Fyne without the stamp", "", patched, false, "main loop: upstream Fyne v2.7.1" + upstream},
		{"test binary of make test", "v2.7.1", &debug.BuildInfo{}, true, "main loop: idle (patched Fyne v2.7.1)"},
		{"test binary of a plain go test", "", &debug.BuildInfo{}, false, "main loop: upstream Fyne" + upstream},
		{"no build info", "", nil, false, "main loop: upstream Fyne" + upstream},
	} {
		t.Run(c.name, func(t *testing.T) {
			idle, text := mainLoopOf(c.stamp, c.info)
			if idle != c.idle || text != c.text {
				t.Errorf("mainLoopOf(%q) = %v, %q; want %v, %q", c.stamp, idle, text, c.idle, c.text)
			}
		})
	}
}

// The test binary is built by go test with whatever flags it was given: make test
// passes prepare.sh's, a plain go test none; either way the binary's own answer must
// agree with its stamp.
func TestMainLoopOfThisBinary(t *testing.T) {
	idle, text := mainLoop()
	if idle != (idleLoopFyne != "") || !strings.HasPrefix(text, "main loop: ") {
		t.Errorf("stamp %q, mainLoop() = %v, %q", idleLoopFyne, idle, text)
	}
}
