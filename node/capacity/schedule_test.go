package capacity

import (
	"errors"
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	for _, tc := range []struct {
		text string
		want Window
		ok   bool
	}{
		{"Mon 09:00–17:00", Window{Day: time.Monday, Start: 9 * 60, End: 17 * 60}, true},
		{" sat 22:00-24:00 ", Window{Day: time.Saturday, Start: 22 * 60, End: 24 * 60}, true},
		{"Sun 00:00 - 06:30", Window{Day: time.Sunday, Start: 0, End: 6*60 + 30}, true},
		{"Monday 09:00–17:00", Window{}, false},
		{"Mon 17:00–09:00", Window{}, false},
		{"Mon 9:00–17:00", Window{}, false},
		{"Mon", Window{}, false},
		{"Mon 09:00", Window{}, false},
		{"Mon 09:00–25:00", Window{}, false},
	} {
		got, err := ParseWindow(tc.text)
		if tc.ok != (err == nil) || (tc.ok && got != tc.want) {
			t.Errorf("ParseWindow(%q) = %v, %v", tc.text, got, err)
		}
		if err != nil && !errors.Is(err, ErrInvalidSettings) {
			t.Errorf("ParseWindow(%q): %v is not ErrInvalidSettings", tc.text, err)
		}
	}
}

// FuzzParseWindow: any text is a window that String writes back the same, or an error.
func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{"Mon 09:00–17:00", "sat 22:00-24:00", "x", "Tue 00:00–00:01", "Wed 24:00-24:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		w, err := ParseWindow(text)
		if err != nil {
			return
		}
		back, err := ParseWindow(w.String())
		if err != nil || back != w {
			t.Fatalf("%q → %v → %q → %v, %v", text, w, w.String(), back, err)
		}
	})
}
