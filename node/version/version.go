package version

import (
	"runtime/debug"
)

// Release is the version of this source tree. FyneApp.toml carries the same number for
// `fyne package`; a test keeps the two in step.
const Release = "0.1.0"

// String is the release with the revision it was built from, e.g. "0.1.0 (3f2a9c1)", and
// "modified" when the tree had uncommitted changes.
func String() string {
	rev, modified := revision()
	switch {
	case rev == "":
		return Release
	case modified:
		return Release + " (" + rev + ", modified)"
	}
	return Release + " (" + rev + ")"
}

// revision reads the VCS stamp that `go build` embeds in a binary built from a checkout.
func revision() (rev string, modified bool) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "", false
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if len(rev) > 7 {
		rev = rev[:7]
	}
	return rev, modified
}
