package capacity

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// TimeOfDay is a wall-clock time in minutes after midnight, 0 to 24*60 ("24:00" ends
// a window at midnight).
type TimeOfDay int

const minutesPerDay = 24 * 60

// TimeOfDayOf returns the time of day of t in t's location.
func TimeOfDayOf(t time.Time) TimeOfDay { return TimeOfDay(t.Hour()*60 + t.Minute()) }

// String formats as "09:30".
func (c TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// ParseTimeOfDay reads "HH:MM", 00:00 to 24:00.
func ParseTimeOfDay(text string) (TimeOfDay, error) {
	digit := func(i int) (int, bool) {
		if text[i] < '0' || text[i] > '9' {
			return 0, false
		}
		return int(text[i] - '0'), true
	}
	if len(text) != 5 || text[2] != ':' {
		return 0, fmt.Errorf("%w: time of day %q is not HH:MM", ErrInvalidSettings, text)
	}
	h1, ok1 := digit(0)
	h2, ok2 := digit(1)
	m1, ok3 := digit(3)
	m2, ok4 := digit(4)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return 0, fmt.Errorf("%w: time of day %q is not HH:MM", ErrInvalidSettings, text)
	}
	h, m := h1*10+h2, m1*10+m2
	c := TimeOfDay(h*60 + m)
	if m > 59 || c > minutesPerDay {
		return 0, fmt.Errorf("%w: time of day %q is out of range", ErrInvalidSettings, text)
	}
	return c, nil
}

// MarshalText encodes as "HH:MM".
func (c TimeOfDay) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText decodes "HH:MM".
func (c *TimeOfDay) UnmarshalText(b []byte) error {
	v, err := ParseTimeOfDay(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Window allows sharing on one weekday from Start up to End. A night that crosses
// midnight is two windows, one on each day, so every window reads plainly.
type Window struct {
	Day   time.Weekday
	Start TimeOfDay
	End   TimeOfDay
}

// Contains reports whether t falls inside the window, in t's location.
func (w Window) Contains(t time.Time) bool {
	c := TimeOfDayOf(t)
	return t.Weekday() == w.Day && c >= w.Start && c < w.End
}

// String formats as "Mon 09:00–17:00".
func (w Window) String() string {
	return fmt.Sprintf("%s %s–%s", dayAbbrev(w.Day), w.Start, w.End)
}

func (w Window) validate() error {
	if w.Day < time.Sunday || w.Day > time.Saturday {
		return fmt.Errorf("time window has no valid weekday (%d)", int(w.Day))
	}
	if w.Start < 0 || w.End > minutesPerDay {
		return fmt.Errorf("time window %s is outside the day", w)
	}
	if w.End <= w.Start {
		return fmt.Errorf("time window %s ends before it starts (split a night into two days)", w)
	}
	return nil
}

type windowJSON struct {
	Day   string    `json:"day"`
	Start TimeOfDay `json:"start"`
	End   TimeOfDay `json:"end"`
}

// MarshalJSON encodes as {"day":"mon","start":"09:00","end":"17:00"}.
func (w Window) MarshalJSON() ([]byte, error) {
	return json.Marshal(windowJSON{Day: strings.ToLower(dayAbbrev(w.Day)), Start: w.Start, End: w.End})
}

// UnmarshalJSON decodes the form MarshalJSON writes; the day may be spelt out.
func (w *Window) UnmarshalJSON(b []byte) error {
	var j windowJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	day, err := parseWeekday(j.Day)
	if err != nil {
		return err
	}
	*w = Window{Day: day, Start: j.Start, End: j.End}
	return nil
}

// ParseWindow reads a window as String writes it, "Mon 09:00–17:00"; a hyphen may
// stand for the dash and the day's case does not matter.
func ParseWindow(text string) (Window, error) {
	day, span, ok := strings.Cut(strings.TrimSpace(text), " ")
	if !ok {
		return Window{}, fmt.Errorf("%w: time window %q is not like \"Mon 09:00–17:00\"", ErrInvalidSettings, text)
	}
	w := Window{Day: -1}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(day, dayAbbrev(d)) {
			w.Day = d
		}
	}
	if w.Day < 0 {
		return Window{}, fmt.Errorf("%w: time window %q: %q is not a day (Mon, Tue, …)", ErrInvalidSettings, text, day)
	}
	from, to, ok := strings.Cut(strings.ReplaceAll(strings.TrimSpace(span), "–", "-"), "-")
	if !ok {
		return Window{}, fmt.Errorf("%w: time window %q has no start–end", ErrInvalidSettings, text)
	}
	var err error
	if w.Start, err = ParseTimeOfDay(strings.TrimSpace(from)); err != nil {
		return Window{}, err
	}
	if w.End, err = ParseTimeOfDay(strings.TrimSpace(to)); err != nil {
		return Window{}, err
	}
	if err := w.validate(); err != nil {
		return Window{}, fmt.Errorf("%w: %v", ErrInvalidSettings, err)
	}
	return w, nil
}

func dayAbbrev(d time.Weekday) string {
	if d < time.Sunday || d > time.Saturday {
		return fmt.Sprintf("day%d", int(d))
	}
	return d.String()[:3]
}

func parseWeekday(text string) (time.Weekday, error) {
	t := strings.ToLower(strings.TrimSpace(text))
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if t == name || t == name[:3] {
			return d, nil
		}
	}
	return 0, fmt.Errorf("%w: %q is not a weekday", ErrInvalidSettings, text)
}

// inWindows reports whether t falls in any window; no windows at all means any time.
func inWindows(windows []Window, t time.Time) bool {
	if len(windows) == 0 {
		return true
	}
	for _, w := range windows {
		if w.Contains(t) {
			return true
		}
	}
	return false
}

// describeDay lists the windows of t's weekday for a reason: "Mon 09:00–17:00" or
// "none on Sun".
func describeDay(windows []Window, t time.Time) string {
	day := t.Weekday()
	var parts []string
	for _, w := range windows {
		if w.Day != day {
			continue
		}
		if len(parts) == 0 {
			parts = append(parts, w.String())
		} else {
			parts = append(parts, fmt.Sprintf("%s–%s", w.Start, w.End))
		}
	}
	if len(parts) == 0 {
		return "none on " + dayAbbrev(day)
	}
	return strings.Join(parts, ", ")
}
