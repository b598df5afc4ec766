package ui

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

type fakeBackend struct {
	node     NodeView
	sharing  SharingView
	sent     []string
	logs     []string
	settings SettingsView
	fakeMarket
}

func newFake() *fakeBackend {
	return &fakeBackend{
		node: NodeView{Network: "Local demo network", Demo: true, ChainID: "daoli-devnet", Height: 42, Target: 42, Synced: true,
			BlockTime: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), Peers: 5, Trustees: 4,
			Address: "dao1" + strings.Repeat("q", 38), Balance: 12400, BalanceAt: 41, Wins: 12, Payrolls: 19, Tickets: 40},
		sharing:  SharingView{On: true, Running: true, Reason: "Running: idle for 4 min, 1 of 2 cores", Preset: "balanced", Presets: []string{"quiet", "balanced", "max"}},
		logs:     []string{"block certified height=42"},
		settings: SettingsView{Notifications: true, DataDir: "/home/me/.local/share/daoli"},
	}
}

func (f *fakeBackend) Node() NodeView { return f.node }
func (f *fakeBackend) Earnings() (EarningsView, error) {
	return EarningsView{Today: map[string]uint64{"win": 400, "payroll": 300}, Week: map[string]uint64{"win": 4800, "payroll": 2850},
		Month: map[string]uint64{"win": 4800, "payroll": 2850}}, nil
}
func (f *fakeBackend) Ledger() ([]LedgerLine, error) {
	return []LedgerLine{{Height: 40, Time: time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC), What: "win", Amount: 400},
		{Height: 41, Time: time.Date(2026, 11, 22, 11, 1, 0, 0, time.UTC), What: "payroll", Amount: 100}}, nil
}
func (f *fakeBackend) Send(_ context.Context, to string, amount, fee uint64, memo string) (string, error) {
	f.sent = append(f.sent, to)
	return "ab12cd34ef56ab12cd34", nil
}
func (f *fakeBackend) ValidateAddress(s string) error {
	if !strings.HasPrefix(s, "dao1") || len(s) != 42 {
		return errors.New("invalid address")
	}
	return nil
}
func (f *fakeBackend) Sharing() SharingView { return f.sharing }
func (f *fakeBackend) SetSharing(on bool) error {
	f.sharing.On = on
	if !on {
		f.sharing.Reason = "Paused: sharing is off"
	}
	return nil
}
func (f *fakeBackend) SetPreset(p string) error { f.sharing.Preset = p; return nil }
func (f *fakeBackend) Logs() []string           { return f.logs }
func (f *fakeBackend) Settings() SettingsView   { return f.settings }
func (f *fakeBackend) SetStartAtLogin(on bool) error {
	f.settings.StartAtLogin = on
	return nil
}
func (f *fakeBackend) SetNotifications(on bool) error {
	f.settings.Notifications = on
	return nil
}

// TestMain pins the time zone: screens show local times, goldens must not depend on
// the machine's zone.
func TestMain(m *testing.M) {
	time.Local = time.UTC
	os.Exit(m.Run())
}

func inline(work func() error, done func(error)) { done(work()) }

func newTestMain(t *testing.T) (*Main, *fakeBackend, *string) {
	t.Helper()
	test.NewTempApp(t)
	f := newFake()
	var clipped string
	m := NewMain(f, inline, func(s string) { clipped = s })
	return m, f, &clipped
}

func TestScreensRender(t *testing.T) {
	m, _, _ := newTestMain(t)
	w := test.NewWindow(m.Content)
	defer w.Close()
	w.Resize(fyne.NewSize(900, 700))
	for i, name := range []string{"dashboard", "share", "buy", "wallet", "network", "settings", "logs"} {
		m.Tabs.SelectIndex(i)
		test.AssertRendersToMarkup(t, "screen_"+name+".xml", w.Canvas())
	}
}

func TestSendFlow(t *testing.T) {
	m, f, clipped := newTestMain(t)
	w := test.NewWindow(m.Content)
	defer w.Close()
	wl := m.Wallet
	cases := []struct {
		to, amount, fee, want string
		sent                  int
	}{
		{"", "5", "1", "enter the address", 0},
		{"dao1short", "5", "1", "is not a Daoli address", 0},
		{f.node.Address, "0", "1", "above 0", 0},
		{f.node.Address, "five", "1", "whole number", 0},
		{f.node.Address, "12400", "1", "more than your balance of 12,400", 0},
		{f.node.Address, "100", "x", "fee must be", 0},
		{f.node.Address, "100", "1", "Sent 100 coins", 1},
	}
	for _, c := range cases {
		wl.to.SetText(c.to)
		wl.amount.SetText(c.amount)
		wl.fee.SetText(c.fee)
		test.Tap(wl.send)
		if !strings.Contains(wl.message.Text, c.want) || len(f.sent) != c.sent {
			t.Fatalf("to %q amount %q fee %q: message %q, %d sent; want %q and %d", c.to, c.amount, c.fee, wl.message.Text, len(f.sent), c.want, c.sent)
		}
	}
	test.Tap(wl.copy)
	if *clipped != f.node.Address {
		t.Fatalf("copied %q", *clipped)
	}
}

func TestSharingFlow(t *testing.T) {
	m, f, _ := newTestMain(t)
	w := test.NewWindow(m.Content)
	defer w.Close()
	test.Tap(m.Share.toggle)
	if f.sharing.On || !strings.Contains(m.Share.reason.Text, "sharing is off") {
		t.Fatalf("after the toggle: on=%v reason %q", f.sharing.On, m.Share.reason.Text)
	}
	m.Share.presets.SetSelected("quiet")
	if f.sharing.Preset != "quiet" {
		t.Fatalf("preset %q", f.sharing.Preset)
	}
}

func TestSettingsFlow(t *testing.T) {
	m, f, _ := newTestMain(t)
	w := test.NewWindow(m.Content)
	defer w.Close()
	test.Tap(m.Settings.login)
	test.Tap(m.Settings.notify)
	if !f.settings.StartAtLogin || f.settings.Notifications {
		t.Fatalf("settings %+v", f.settings)
	}
}
