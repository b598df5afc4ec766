package capacity

import (
	"testing"
	"time"
)

// TestShareNowAndPause: the user's one-click choices over the rules. Share-now sets
// the preferences aside until its end and then ends by itself; it still yields to the
// rules that protect the machine and to the exclusive programs, and says what
// happens next; a pause by the user holds until the user resumes.
func TestShareNowAndPause(t *testing.T) {
	inUse := func(at time.Time) Sample {
		x := idleSample(at)
		x.UserIdle = Known(time.Second)
		return x
	}
	balanced := PresetSettings(Balanced, 8)
	until := monday.Add(time.Hour)
	shareNow := balanced.ShareNow(until)
	off := balanced
	off.Mode = Never
	tests := []struct {
		name   string
		s      Settings
		sample func(time.Time) Sample
		at     time.Duration // after monday
		run    bool
		cores  int
		cause  Cause
		reason string
	}{
		{"in use: waiting, with when it starts", balanced, inUse, 0, false, 0, CauseInUse,
			"Waiting: you are using the computer (input 1 s ago); sharing starts after 3 min without input"},
		{"share now while in use", shareNow, inUse, 0, true, 4, CauseShareNow, "Sharing: 4 of 8 cores at full duty, shared now, 1 h left"},
		{"share now, time left rounded up", shareNow, inUse, 35*time.Minute + 30*time.Second, true, 4, CauseShareNow, "Sharing: 4 of 8 cores at full duty, shared now, 25 min left"},
		{"share now ends by itself", shareNow, inUse, time.Hour, false, 0, CauseInUse,
			"Waiting: you are using the computer (input 1 s ago); sharing starts after 3 min without input"},
		{"share now outside the hours", func() Settings {
			s := shareNow
			s.Windows = []Window{{Day: time.Monday, Start: TimeOfDay(20 * 60), End: TimeOfDay(22 * 60)}}
			return s
		}(), inUse, 0, true, 4, CauseShareNow, "Sharing: 4 of 8 cores at full duty, shared now, 1 h left"},
		{"share now while other programs are busy", shareNow, func(at time.Time) Sample {
			x := inUse(at)
			x.OtherCPU = Known(95.0)
			return x
		}, 0, true, 4, CauseShareNow, "Sharing: 4 of 8 cores at full duty, shared now, 1 h left"},
		{"share now yields to the battery", shareNow, func(at time.Time) Sample {
			x := inUse(at)
			x.Power.OnBattery = Known(true)
			return x
		}, 10 * time.Minute, false, 0, CauseOnBattery, "Paused: on battery; sharing now resumes after it, 50 min left"},
		{"share now yields to heat", shareNow, func(at time.Time) Sample {
			x := inUse(at)
			x.CPUTemperature = Known(85.0)
			return x
		}, 0, false, 0, CauseHot, "Paused: CPU at 85 °C, resumes below 70 °C; sharing now resumes after it, 1 h left"},
		{"share now yields to an exclusive program", func() Settings {
			s := shareNow
			s.ExclusivePrograms = []string{"steam"}
			return s
		}(), func(at time.Time) Sample {
			x := inUse(at)
			x.Programs = Known([]string{"steam"})
			return x
		}, 0, false, 0, CauseExclusiveProgram, "Paused: steam is running; sharing now resumes after it, 1 h left"},
		{"share now switches sharing on", off.ShareNow(until), inUse, 0, true, 4, CauseShareNow, "Sharing: 4 of 8 cores at full duty, shared now, 1 h left"},
		{"paused by the user, even when idle", balanced.Pause(), idleSample, 0, false, 0, CausePausedByUser, "Paused: by you, until you resume"},
		{"pause ends share now", shareNow.Pause(), inUse, 0, false, 0, CausePausedByUser, "Paused: by you, until you resume"},
		{"following the rules again", shareNow.Pause().FollowRules(), idleSample, 0, true, 4, CauseIdle, "Sharing: 4 of 8 cores at full duty, idle for 10 min"},
		{"switching on ends a pause", balanced.Pause().Switch(true), idleSample, 0, true, 4, CauseIdle, "Sharing: 4 of 8 cores at full duty, idle for 10 min"},
		{"switching on ends a snooze", balanced.Snooze(monday.Add(time.Hour)).Switch(true), idleSample, 0, true, 4, CauseIdle, "Sharing: 4 of 8 cores at full duty, idle for 10 min"},
		{"switching on after off ends the pause before it", balanced.Pause().Switch(false).Switch(true), idleSample, 0, true, 4, CauseIdle, "Sharing: 4 of 8 cores at full duty, idle for 10 min"},
		{"switching on keeps share now", shareNow.Switch(true), inUse, 0, true, 4, CauseShareNow, "Sharing: 4 of 8 cores at full duty, shared now, 1 h left"},
		{"switching off ends share now", shareNow.Switch(false), inUse, 0, false, 0, CauseOff, "Paused: sharing is off"},
		{"switching off then on follows the rules", shareNow.Switch(false).Switch(true), inUse, 0, false, 0, CauseInUse,
			"Waiting: you are using the computer (input 1 s ago); sharing starts after 3 min without input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := monday.Add(tt.at)
			d := Decide(tt.s, tt.sample(now), Decision{}, now)
			if d.Run != tt.run || d.Cores != tt.cores || d.Cause != tt.cause || d.Reason != tt.reason {
				t.Errorf("got run=%v cores=%d %s %q\nwant run=%v cores=%d %s %q", d.Run, d.Cores, d.Cause, d.Reason,
					tt.run, tt.cores, tt.cause, tt.reason)
			}
		})
	}
}

// TestGovernorShareNowEndsByItself: on a fake clock, the governor shares while the
// user types and stops at the end of share-now without anyone touching the settings.
func TestGovernorShareNowEndsByItself(t *testing.T) {
	r := startGovernor(t, PresetSettings(Balanced, 8), nil)
	r.next()
	r.sampler.set(func(f *fakeSampler) { f.idle = Known(time.Second) })
	r.clock.Advance(DefaultActivityInterval)
	if d := r.next(); d.Run {
		t.Fatalf("sharing while in use: %q", d.Reason)
	}
	if err := r.gov.SetSettings(r.gov.Settings().ShareNow(r.clock.Now().Add(2 * time.Second))); err != nil {
		t.Fatal(err)
	}
	if d := r.next(); !d.Run || d.Cause != CauseShareNow || !r.gate.State().Run {
		t.Fatalf("share now: %+v, gate %+v", d, r.gate.State())
	}
	// One step past the end: every decision from now on is taken after it.
	r.clock.Advance(2 * time.Second)
	d := r.next()
	if d.Run || d.Cause != CauseInUse || r.gate.State().Run {
		t.Errorf("after the end of share now: %+v, gate %+v", d, r.gate.State())
	}
}

// TestOverrideSurvivesEncoding: the choices are kept with the settings.
func TestOverrideSurvivesEncoding(t *testing.T) {
	s := PresetSettings(Balanced, 8).ShareNow(monday.Add(time.Hour))
	b, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeSettings(b)
	if err != nil || !got.ShareNowUntil.Equal(s.ShareNowUntil) {
		t.Errorf("decoded %v, %v", got.ShareNowUntil, err)
	}
	p, _ := DecodeSettings(mustEncode(t, s.Pause()))
	if !p.PausedByUser || !p.ShareNowUntil.IsZero() {
		t.Errorf("pause decoded as %+v", p)
	}
}

func mustEncode(t *testing.T, s Settings) []byte {
	t.Helper()
	b, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
