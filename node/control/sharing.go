package control

import (
	"fmt"
	"time"
)

// The one-click sharing choices a SharingChoiceRequest names: the dashboard's and
// the tray's "Share now for an hour", "Pause" and "Back to the rules".
const (
	ChoiceShareNow = "share_now" // share at once, under the rules that protect the machine, for a while
	ChoicePause    = "pause"     // pause until the user resumes
	ChoiceRules    = "rules"     // drop share-now, pause and snooze: the preferences decide again
)

// DefaultShareNow is how long a share-now lasts when the request does not say, and
// MaxShareNow the longest one accepted: a share-now ends by itself, so it is bounded
// to a day; sharing for longer is run mode Always.
const (
	DefaultShareNow = time.Hour
	MaxShareNow     = 24 * time.Hour
)

// SharingChoiceRequest applies a one-click sharing choice.
type SharingChoiceRequest struct {
	Choice string `json:"choice"`
	// For is how long a share-now lasts, a Go duration ("45m"); empty is
	// DefaultShareNow. Only share_now takes it.
	For string `json:"for,omitempty"`
}

// Parse checks the request and returns how long a share-now lasts (zero for the
// other choices). Every error wraps ErrBadRequest.
func (r SharingChoiceRequest) Parse() (time.Duration, error) {
	switch r.Choice {
	case ChoiceShareNow:
	case ChoicePause, ChoiceRules:
		if r.For != "" {
			return 0, fmt.Errorf("%w: %s takes no duration", ErrBadRequest, r.Choice)
		}
		return 0, nil
	default:
		return 0, fmt.Errorf("%w: no sharing choice %q (want %s, %s or %s)", ErrBadRequest, r.Choice, ChoiceShareNow, ChoicePause, ChoiceRules)
	}
	if r.For == "" {
		return DefaultShareNow, nil
	}
	d, err := time.ParseDuration(r.For)
	if err != nil {
		return 0, fmt.Errorf("%w: share-now duration %q: %v", ErrBadRequest, r.For, err)
	}
	if d < time.Minute || d > MaxShareNow {
		return 0, fmt.Errorf("%w: share-now for %v: want from 1m to %v", ErrBadRequest, d, MaxShareNow)
	}
	return d, nil
}
