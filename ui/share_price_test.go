package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestSharePrice: the Share screen shows the price and slots in force, what the chain
// holds and the suggestion; it fills in the suggestion, saves a price, and refuses
// what is not a whole number or out of range, saying why and changing nothing.
func TestSharePrice(t *testing.T) {
	test.NewTempApp(t)
	f := newFake()
	s := NewShare(f)
	p := &s.price
	if p.price.Text != "2" || p.slots.Text != "1" || p.suggestion.Text != f.pricing.Suggestion {
		t.Fatalf("form: price %q, slots %q, suggestion %q", p.price.Text, p.slots.Text, p.suggestion.Text)
	}
	if want := "This computer asks 2 coins a second of a job's time limit and runs 1 job at once. Buyers see this on chain."; p.status.Text != want {
		t.Fatalf("status %q, want %q", p.status.Text, want)
	}
	for _, c := range []struct{ price, slots, want string }{
		{"0", "1", "Not saved: not right: the price (a whole number of coins, at least 1)"},
		{"2.5", "1", "Not saved: not right: the price (a whole number of coins, at least 1)"},
		{"-1", "x", "Not saved: not right: the price (a whole number of coins, at least 1) and the jobs at once (a whole number, at least 1)"},
		{"3", "0", "Not saved: not right: the jobs at once (a whole number, at least 1)"},
		{"3", "65", "Not saved: 65 slots: want 1 to 64"},
	} {
		p.price.SetText(c.price)
		p.slots.SetText(c.slots)
		test.Tap(p.save)
		if p.note.Text != c.want || f.pricing.Price != 2 || f.pricing.Slots != 1 {
			t.Errorf("%s, %s: %q, saved %d and %d; want %q and nothing saved", c.price, c.slots, p.note.Text, f.pricing.Price, f.pricing.Slots, c.want)
		}
	}
	// Typing survives a refresh.
	p.price.SetText("7")
	s.Refresh()
	if p.price.Text != "7" {
		t.Fatalf("a refresh undid typing: %q", p.price.Text)
	}
	test.Tap(p.use)
	if p.price.Text != "3" || p.slots.Text != "2" {
		t.Fatalf("the suggestion filled in %q and %q", p.price.Text, p.slots.Text)
	}
	test.Tap(p.save)
	if f.pricing.Price != 3 || f.pricing.Slots != 2 || !strings.HasPrefix(p.note.Text, "Saved: 3 coins a second, 2 jobs at once") {
		t.Fatalf("saved %d and %d: %q", f.pricing.Price, f.pricing.Slots, p.note.Text)
	}
	if !strings.Contains(p.status.Text, "On chain still: 2 a second, 1 slot; the change is on its way.") {
		t.Fatalf("status before the chain has it: %q", p.status.Text)
	}
	f.pricing.RegisteredPrice, f.pricing.RegisteredSlots = 3, 2
	s.Refresh()
	if !strings.HasSuffix(p.status.Text, "Buyers see this on chain.") {
		t.Fatalf("status once the chain has it: %q", p.status.Text)
	}
	f.pricing.Registered = false
	f.pricing.Suggestion = ""
	s.Refresh()
	if !strings.Contains(p.status.Text, "Not registered on chain yet") || !p.use.Disabled() {
		t.Fatalf("not registered: %q, use enabled %v", p.status.Text, !p.use.Disabled())
	}
}
