package capacity

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The helpers below write the numbers of a reason the way a person reads them.

func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func formatPercent(v float64) string { return fmt.Sprintf("%.0f %%", v) }

func formatCelsius(v float64) string { return fmt.Sprintf("%.0f °C", v) }

// formatAgo writes a duration coarsely: "12 s", "4 min", "2 h 5 min".
func formatAgo(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	default:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
}

// formatLeft writes a time left, rounded up to the minute from a minute on: an hour
// just started reads "1 h", not "59 min".
func formatLeft(d time.Duration) string {
	if d > time.Minute {
		d = (d + time.Minute - 1).Truncate(time.Minute)
	}
	return formatAgo(d)
}

// formatWhen writes a moment relative to now: "14:05" today, "Tue 14:05" otherwise.
func formatWhen(t, now time.Time) string {
	t = t.In(now.Location())
	clock := TimeOfDayOf(t).String()
	y1, m1, d1 := t.Date()
	y2, m2, d2 := now.Date()
	if y1 == y2 && m1 == m2 && d1 == d2 {
		return clock
	}
	return dayAbbrev(t.Weekday()) + " " + clock
}

// describeCores writes "2 of 8 cores" or "2 of 8 cores at 50 %".
func describeCores(cores, machine int, duty float64) string {
	var b strings.Builder
	switch {
	case machine > 0:
		fmt.Fprintf(&b, "%d of %d cores", cores, machine)
	case cores == 1:
		b.WriteString("1 core")
	default:
		fmt.Fprintf(&b, "%d cores", cores)
	}
	if duty < 1 {
		fmt.Fprintf(&b, " at %s", formatPercent(duty*100))
	}
	return b.String()
}

// describeSharing writes the running line's share, its duty always said:
// "1 of 4 cores at half duty", "4 of 4 cores at full duty", "1 of 4 cores at 30 % duty".
func describeSharing(cores, machine int, duty float64) string {
	var d string
	switch {
	case duty >= 1:
		d = "full"
	case duty == 0.5:
		d = "half"
	default:
		d = formatPercent(duty * 100)
	}
	return describeCores(cores, machine, 1) + " at " + d + " duty"
}

// describeShare writes a share for a settings message: "2 cores at 50 %".
func describeShare(s Share) string { return describeCores(s.Cores, 0, s.Duty) }

// joinNames writes "a", "a and b", "a, b and c".
func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	default:
		return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
}
