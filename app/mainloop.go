package app

import (
	"runtime/debug"
)

// idleLoopFyne is the Fyne version whose main loop this build patched to wait for input
// while nothing changes (packaging/fyne/idle-loop.patch). The linker flag that
// packaging/fyne/prepare.sh prints sets it, beside the -modfile that builds the patched
// copy; a plain `go build` or `go install` leaves it empty and builds Fyne as released.
var idleLoopFyne string

const fyneModule = "fyne.io/fyne/v2"

// mainLoop says which Fyne main loop this binary runs, for --version and the log at
// start-up.
func mainLoop() (idle bool, text string) {
	info, _ := debug.ReadBuildInfo()
	return mainLoopOf(idleLoopFyne, info)
}

// mainLoopOf is mainLoop for a stamp and the build's module list. Where the list names
// Fyne, the loop is the patched one only when the stamp names that version and Fyne
// was replaced (by the patched copy): a stamp given by hand to a build of released
// Fyne does not make its loop idle. Test binaries carry no module list; there the
// stamp, which comes with the -modfile, says it.
func mainLoopOf(stamp string, info *debug.BuildInfo) (idle bool, text string) {
	version, replaced, listed := "", false, false
	if info != nil {
		for _, m := range info.Deps {
			if m.Path == fyneModule {
				version, replaced, listed = m.Version, m.Replace != nil, true
			}
		}
	}
	if stamp != "" && (!listed || stamp == version && replaced) {
		return true, "main loop: idle (patched Fyne " + stamp + ")"
	}
	fyne := "upstream Fyne"
	if version != "" {
		fyne += " " + version
	}
	return false, "main loop: " + fyne + " (unpatched: it wakes 60 times a second even when idle; build with make for the idle loop)"
}
