package ui

import (
	"time"
)

// ShareNowFor is how long "share now" shares before the rules decide again.
const ShareNowFor = time.Hour

// SharingControl is what the one-click sharing choices ask of the app; Backend has it.
type SharingControl interface {
	// ShareNow shares at once for d whatever the user's preferences (in use, hours,
	// other programs), still under the rules that protect the machine (battery,
	// temperature) and the exclusive programs; it ends by itself.
	ShareNow(d time.Duration) error
	// PauseSharing pauses until FollowRules.
	PauseSharing() error
	// FollowRules ends a share-now, a pause or a snooze: the preset's rules decide.
	FollowRules() error
}

// SharingChoice is one of the controls beside the governor's line: on the
// dashboard, and in the tray menu.
type SharingChoice struct {
	Label string
	Do    func(SharingControl) error
}

// The choices' labels.
const (
	ChoiceShareNow = "Share now for an hour"
	ChoicePause    = "Pause"
	ChoiceRules    = "Back to the rules"
)

var (
	choiceShareNow = SharingChoice{ChoiceShareNow, func(c SharingControl) error { return c.ShareNow(ShareNowFor) }}
	choicePause    = SharingChoice{ChoicePause, func(c SharingControl) error { return c.PauseSharing() }}
	choiceRules    = SharingChoice{ChoiceRules, func(c SharingControl) error { return c.FollowRules() }}
)

// SharingChoices are the choices that change something in state v: sharing now can
// be paused or handed back to the rules, a pause can be ended either way, and under
// the rules one may share now (unless run mode Always shares anyway) or pause; with
// sharing switched off, share-now switches it on.
func SharingChoices(v SharingView, now time.Time) []SharingChoice {
	overridden := v.PausedByUser || now.Before(v.ShareNowUntil) || now.Before(v.SnoozedUntil)
	var out []SharingChoice
	if !now.Before(v.ShareNowUntil) && !v.Always {
		out = append(out, choiceShareNow)
	}
	if v.On && !v.PausedByUser {
		out = append(out, choicePause)
	}
	if overridden {
		out = append(out, choiceRules)
	}
	return out
}
