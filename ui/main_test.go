package ui

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

type fakeBackend struct {
	trustees []TrusteeView // nil: four of them
	ledger   []LedgerLine  // nil: a win and a payroll wage
	detail   SharingDetail
	activity ActivityView
	node     NodeView
	sharing  SharingView
	sent     []string
	logs     []string
	logged   uint64 // lines logged in all; logs keeps the last logMax
	logMax   int
	settings SettingsView
	pricing  PricingView
	fakeMarket
	// reads counts the calls that read the ledger or the logs.
	reads struct{ earnings, ledger, logs int }
}

// log adds lines as the app's log ring does: the oldest go beyond logMax.
func (f *fakeBackend) log(lines ...string) {
	f.logs = append(slices.Clone(f.logs), lines...)
	f.logged += uint64(len(lines))
	if over := len(f.logs) - f.logMax; f.logMax > 0 && over > 0 {
		f.logs = f.logs[over:]
	}
}

func newFake() *fakeBackend {
	return &fakeBackend{
		node: NodeView{Network: "Local demo network", Demo: true, ChainID: "daoli-devnet", Height: 42, Target: 42, Synced: true,
			BlockTime: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), Peers: 5, Trustees: 4,
			Address: "dao1" + strings.Repeat("q", 38), Balance: 12400, BalanceAt: 41, Wins: 12, Payrolls: 19, Tickets: 40,
			CertRound: 0, CertSigners: 3, SetSize: 4, GlobalCycle: 5010 * time.Millisecond, PrivateCycle: 5012 * time.Millisecond, CycleBlocks: 12},
		detail: SharingDetail{Mode: "auto", InUseAfter: 3 * time.Minute, InUseCores: 0, InUseDuty: 100, IdleCores: 1, IdleDuty: 100,
			PauseAboveOtherCPU: 40, PauseOnBattery: true, TempCeiling: 80, TempResume: 70, MemoryCap: 50, GPUMode: "auto"},
		sharing: SharingView{On: true, Running: true, Reason: "Sharing: 1 of 2 cores at full duty, idle for 4 min", Preset: "balanced", Presets: []string{"quiet", "balanced", "max"},
			SampledAt: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), OwnCPU: 48.5, OwnCPUKnown: true, OwnMemory: 412 << 20, OwnMemoryKnown: true,
			MemoryTotal: 16 << 30, MemKnown: true, GPUsKnown: true,
		},
		activity: ActivityView{Rules: []string{"Run mode: auto", "In use (input in the last 3m0s): paused", "Idle: 1 core at 100 % duty"},
			Mining: true, HashRate: 10730000,
			Runs: []RunView{{Deal: "9f2c41d07a3b5e68c1d2", Module: "4be1a0c9d8f7e6b5a4c3", Price: 12, Paused: false}}},
		pricing: PricingView{Price: 2, Slots: 1, Registered: true, RegisteredPrice: 2, RegisteredSlots: 1, SuggestedPrice: 3, SuggestedSlots: 2,
			Suggestion: "Suggested 3 coins a second of a job's time limit: median of 8 deals accepted in the last 100 epochs, 2, × 1.40 for this machine's job speed (280 M iterations/s a core, against 200 M); 2 slots for its 2 cores."},
		logs:     []string{"block certified height=42"},
		logged:   1,
		settings: SettingsView{Notifications: true, DataDir: "/home/me/.local/share/daoli", Theme: ThemeSystem},
	}
}

func (f *fakeBackend) Node() NodeView { return f.node }
func (f *fakeBackend) BackupWallet(pass []byte) ([]byte, error) {
	if string(pass) != "right" {
		return nil, errors.New("that passphrase does not open this wallet")
	}
	return []byte(`{"keystore":1}`), nil
}

func (f *fakeBackend) RestoreWallet(backup, pass []byte) (string, bool, error) {
	switch {
	case string(pass) != "right":
		return "", false, errors.New("that passphrase does not open this backup")
	case string(backup) == "same":
		return f.node.Address, true, nil
	}
	return "dao1restored", false, nil
}

func (f *fakeBackend) ChooseNetwork(data []byte) (string, error) {
	switch {
	case data == nil:
		f.settings.NextNetwork = ""
		return "", nil
	case string(data) != "network":
		return "", errors.New("this is not a network file: invalid character")
	}
	f.settings.NextNetwork = "Daoli testnet"
	return "Daoli testnet", nil
}

func (f *fakeBackend) SharingDetail() SharingDetail { return f.detail }
func (f *fakeBackend) Activity() ActivityView       { return f.activity }

func (f *fakeBackend) SetSharingDetail(d SharingDetail) error {
	if float64(d.IdleCores)*d.IdleDuty < float64(d.InUseCores)*d.InUseDuty {
		return errors.New("idle share (1 core at 50 %) is smaller than the in-use share (2 cores at 100 %)")
	}
	f.detail = d
	f.sharing.Preset = "custom"
	return nil
}

func (f *fakeBackend) Pricing() PricingView { return f.pricing }

func (f *fakeBackend) SetPricing(price uint64, slots int) error {
	if slots > 64 {
		return fmt.Errorf("%d slots: want 1 to 64", slots)
	}
	f.pricing.Price, f.pricing.Slots = price, slots
	return nil
}

func (f *fakeBackend) SetTheme(name string) error {
	if !slices.Contains(Themes, name) {
		return errors.New("no such theme")
	}
	f.settings.Theme = name
	return nil
}

func (f *fakeBackend) Lottery() LotteryView {
	return LotteryView{Current: 43, LastEpoch: 42, Winner: "dao1" + strings.Repeat("q", 38), Tickets: 3, MyTicket: true, MyRank: 1,
		Admission: 0.98, PerEpoch: 0.327, PerDay: 5640, PayrollDay: 11300, Won: 11, Epochs: 32}
}

func (f *fakeBackend) Trustees() []TrusteeView {
	if f.trustees != nil {
		return f.trustees
	}
	return []TrusteeView{
		{Key: "3f1c9a07d2b64e18a5c0f9e27b3d6a41c8e05f92b7d14a6e3c9f08b2d5a71e64", Seniority: 0, Bond: 5000, Connected: true, Latency: 420 * time.Microsecond, Signed: 42, Of: 42},
		{Key: "8a2e4c61f0b95d37e1a8c4f62d0b97e35a1c8f4d26e0b93a7c5d1f8e2b4a6c03", Seniority: 1, Bond: 5000, Connected: true, Latency: 12 * time.Millisecond, Signed: 40, Of: 42},
		{Key: "c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c5d7", Seniority: 2, Bond: 5000, Leaving: true, Connected: true, Signed: 41, Of: 42},
		{Key: "e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2", Seniority: 3, Bond: 5000, Signed: 0, Of: 42},
	}
}
func (f *fakeBackend) Earnings() (EarningsView, error) {
	f.reads.earnings++
	return fakeEarnings(), nil
}

// fakeEarnings: a week of wins and wages, today's in two hours.
func fakeEarnings() EarningsView {
	e := EarningsView{Today: map[string]uint64{"win": 400, "payroll": 300}, Week: map[string]uint64{"win": 4800, "payroll": 2850},
		Month: map[string]uint64{"win": 4800, "payroll": 2850}, FirstDay: time.Date(2026, 10, 24, 0, 0, 0, 0, time.UTC)}
	for range EarningDays {
		e.Days = append(e.Days, map[string]uint64{})
	}
	for range 24 {
		e.Hours = append(e.Hours, map[string]uint64{})
	}
	for i, d := range []map[string]uint64{{"win": 800, "payroll": 450}, {"win": 400, "payroll": 600}, {"win": 1200, "payroll": 300},
		{"payroll": 450}, {"win": 800, "payroll": 300}, {"win": 1200, "payroll": 450}, {"win": 400, "payroll": 300}} {
		e.Days[EarningDays-7+i] = d
	}
	e.Hours[9], e.Hours[11] = map[string]uint64{"win": 400, "payroll": 150}, map[string]uint64{"payroll": 150}
	return e
}
func (f *fakeBackend) Ledger() ([]LedgerLine, error) {
	f.reads.ledger++
	if f.ledger != nil {
		return f.ledger, nil
	}
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
	// As capacity.Settings.Switch: on ends the user's pause.
	f.sharing.On = on
	if on {
		f.sharing.PausedByUser = false
	} else {
		f.sharing.Reason = "Paused: sharing is off"
	}
	return nil
}
func (f *fakeBackend) SetPreset(p string) error { f.sharing.Preset = p; return nil }

// The one-click choices change the state as the governor would.
func (f *fakeBackend) ShareNow(d time.Duration) error {
	f.sharing.On, f.sharing.PausedByUser = true, false
	f.sharing.ShareNowUntil, f.sharing.SnoozedUntil = time.Now().Add(d), time.Time{}
	f.sharing.Running, f.sharing.Reason = true, "Sharing: 1 of 2 cores at full duty, shared now, 1 h left"
	return nil
}
func (f *fakeBackend) PauseSharing() error {
	f.sharing.PausedByUser, f.sharing.ShareNowUntil = true, time.Time{}
	f.sharing.Running, f.sharing.Reason = false, "Paused: by you, until you resume"
	return nil
}
func (f *fakeBackend) FollowRules() error {
	f.sharing.PausedByUser, f.sharing.ShareNowUntil, f.sharing.SnoozedUntil = false, time.Time{}, time.Time{}
	f.sharing.Running, f.sharing.Reason = false, "Waiting: you are using the computer (input 1 s ago); sharing starts after 3 min without input"
	return nil
}
func (f *fakeBackend) Logs() ([]string, uint64) {
	f.reads.logs++
	return slices.Clone(f.logs), f.logged
}
func (f *fakeBackend) LogCount() uint64       { return f.logged }
func (f *fakeBackend) Settings() SettingsView { return f.settings }
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

// newTestMain is the main window's content over a fresh fake, in a window.
func newTestMain(t *testing.T) (*Main, *fakeBackend, *string, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	f := newFake()
	var clipped string
	w := test.NewTempWindow(t, nil)
	m := NewMain(w, f, inline, func(s string) { clipped = s })
	w.SetContent(m.Content)
	return m, f, &clipped, w
}

func TestScreensRender(t *testing.T) {
	m, _, _, w := newTestMain(t)
	w.Resize(fyne.NewSize(900, 700))
	for i, name := range []string{"dashboard", "share", "buy", "wallet", "network", "settings", "logs"} {
		m.Tabs.SelectIndex(i)
		test.AssertRendersToMarkup(t, "screen_"+name+".xml", w.Canvas())
	}
}

func TestSendFlow(t *testing.T) {
	m, f, clipped, _ := newTestMain(t)
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
	m, f, _, _ := newTestMain(t)
	test.Tap(m.Share.toggle)
	if f.sharing.On || !strings.Contains(m.Share.reason.Text, "sharing is off") {
		t.Fatalf("after the toggle: on=%v reason %q", f.sharing.On, m.Share.reason.Text)
	}
	m.Share.presets.SetSelected("quiet")
	if f.sharing.Preset != "quiet" {
		t.Fatalf("preset %q", f.sharing.Preset)
	}
}

// TestShareSwitchWhilePaused: a pause by the user shows as the switch off, and
// switching it on asks the backend for sharing on (that this ends the pause is the
// governor's rule, capacity's TestShareNowAndPause).
func TestShareSwitchWhilePaused(t *testing.T) {
	m, f, _, _ := newTestMain(t)
	if err := f.PauseSharing(); err != nil {
		t.Fatal(err)
	}
	m.Share.Refresh()
	if m.Share.toggle.Checked {
		t.Fatalf("the switch shows on while paused by the user (%q)", m.Share.reason.Text)
	}
	test.Tap(m.Share.toggle)
	if !f.sharing.On || !m.Share.toggle.Checked {
		t.Fatalf("after switching on: asked for on %v, checked %v", f.sharing.On, m.Share.toggle.Checked)
	}
}

func TestSettingsFlow(t *testing.T) {
	m, f, _, _ := newTestMain(t)
	test.Tap(m.Settings.login)
	test.Tap(m.Settings.notify)
	if !f.settings.StartAtLogin || f.settings.Notifications {
		t.Fatalf("settings %+v", f.settings)
	}
}

// TestRefreshReadsWhatChanged: the bridge refreshes once a second, so a refresh reads
// only the screen in view, the ledger only when a block came, and the logs only when
// something was logged.
func TestRefreshReadsWhatChanged(t *testing.T) {
	m, f, _, _ := newTestMain(t)
	before := f.reads
	for range 3 {
		m.Refresh()
	}
	if f.reads != before {
		t.Fatalf("refreshes with nothing new read %+v, before %+v", f.reads, before)
	}
	f.node.Height++
	m.Refresh()
	if f.reads.earnings != before.earnings+1 || f.reads.ledger != before.ledger {
		t.Fatalf("a block on the dashboard: reads %+v, before %+v", f.reads, before)
	}
	m.Tabs.SelectIndex(3) // wallet
	m.Refresh()
	if f.reads.ledger != before.ledger+1 {
		t.Fatalf("the wallet after a block: reads %+v, before %+v", f.reads, before)
	}
	m.Tabs.SelectIndex(6) // logs
	n := f.reads.logs
	m.Refresh()
	if f.reads.logs != n {
		t.Fatalf("logs read again with nothing logged")
	}
	f.log("new line")
	m.Refresh()
	if f.reads.logs != n+1 || m.Logs.list.Length() != 2 {
		t.Fatalf("logs after a line: %d reads, %d rows", f.reads.logs-n, m.Logs.list.Length())
	}
}

// TestLogsChosenLine: the logs list the newest first; a chosen line is shown whole
// and stays chosen as lines come and old ones go.
func TestLogsChosenLine(t *testing.T) {
	m, f, _, w := newTestMain(t)
	w.Resize(fyne.NewSize(900, 700))
	f.logMax = 4
	f.log("two", "three "+strings.Repeat("long ", 60)+"end")
	m.Tabs.SelectIndex(6)
	l := m.Logs
	if l.list.Length() != 3 || l.lines[len(l.lines)-1] != f.logs[2] {
		t.Fatalf("%d rows, lines %q", l.list.Length(), l.lines)
	}
	l.list.Select(0) // the newest
	if !strings.HasSuffix(l.detail.Text, "end") {
		t.Fatalf("chosen line shows %q", l.detail.Text)
	}
	f.log("four", "five") // "block certified" goes
	m.Refresh()
	if l.chosen != 1 || l.lines[l.chosen] != f.logs[1] || !strings.HasSuffix(l.detail.Text, "end") {
		t.Fatalf("after two more lines: chosen %d of %q, shows %q", l.chosen, l.lines, l.detail.Text)
	}
	f.log("6", "7", "8")
	m.Refresh()
	if l.chosen != -1 {
		t.Fatalf("the chosen line is gone from the logs, still chosen: %d", l.chosen)
	}
}

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 epochs won"}, {1, "1 epoch won"}, {2, "2 epochs won"}, {12345, "12,345 epochs won"}} {
		if got := count(tc.n, "epoch won", "epochs won"); got != tc.want {
			t.Errorf("count(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestOrdinalAndRoundTrip(t *testing.T) {
	for n, want := range map[uint64]string{1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 11: "11th", 12: "12th", 13: "13th", 21: "21st", 22: "22nd", 101: "101st", 111: "111th"} {
		if got := ordinal(n); got != want {
			t.Errorf("ordinal(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{420 * time.Microsecond: "0.4 ms", 9940 * time.Microsecond: "9.9 ms", 12 * time.Millisecond: "12 ms", 1500 * time.Millisecond: "1500 ms"} {
		if got := roundTrip(d); got != want {
			t.Errorf("roundTrip(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestNetworkTrusteesFollowTheSet: the trustee table gains and loses rows with the set.
func TestNetworkTrusteesFollowTheSet(t *testing.T) {
	test.NewTempApp(t)
	f := newFake()
	n := NewNetwork(f)
	cells := func() int { return len(n.trustees.Objects) }
	if cells() != trusteeColumns*5 {
		t.Fatalf("%d cells for four trustees and the header", cells())
	}
	f.trustees = f.Trustees()[:2]
	n.Refresh()
	if cells() != trusteeColumns*3 || n.rows[1][0].Text != "8a2e4c61f0b95d37…" {
		t.Fatalf("%d cells for two trustees; second row %q", cells(), n.rows[1][0].Text)
	}
	f.trustees = append(f.trustees, TrusteeView{Key: "ab", Seniority: 4, Bond: 7000, Slashed: true, Connected: true, Latency: time.Millisecond})
	n.Refresh()
	row := n.rows[2]
	if cells() != trusteeColumns*4 || row[0].Text != "ab (slashed)" || row[1].Text != "5th" || row[2].Text != "1.0 ms" || row[3].Text != "no blocks checked yet" || row[4].Text != "7,000" {
		t.Fatalf("%d cells; new row %q %q %q %q %q", cells(), row[0].Text, row[1].Text, row[2].Text, row[3].Text, row[4].Text)
	}
}

func TestClockText(t *testing.T) {
	for _, tc := range []struct {
		v    NodeView
		want string
	}{
		{NodeView{GlobalCycle: 5 * time.Second, CycleBlocks: 1}, "a block every 5.00 s on the network; this computer's clock counts as exact until two blocks received on time measure its rate"},
		{NodeView{GlobalCycle: 5 * time.Second, PrivateCycle: 4 * time.Second, CycleBlocks: 12}, "a block every 5.00 s on the network, every 4.00 s by this computer's clock (from 12 blocks); rate 1.250"},
	} {
		if got := clockText(tc.v); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestLotteryText(t *testing.T) {
	addr := "dao1" + strings.Repeat("q", 38)
	for _, tc := range []struct {
		l          LotteryView
		draw, odds string
	}{
		{LotteryView{Current: 1}, "Collecting tickets for epoch 1; the first block since the app started will show who won.", "Expected wins appear once blocks have arrived."},
		{LotteryView{Current: 8, LastEpoch: 7, Winner: addr, Tickets: 3, MyTicket: true, MyRank: 3, Admission: 1, PerEpoch: 0.25, PerDay: 4320, PayrollDay: 8640, Won: 1, Epochs: 4},
			"Epoch 7 won by dao1qqqqqq…qqqq of 3 tickets. Your ticket was 3rd luckiest: paid wages. Now collecting tickets for epoch 8.",
			"At your hash rate a ticket is admitted with 100 % chance; expected 4,320 wins and 8,640 wage payments a day. In the last 4 epochs: expected 1.0 wins, won 1."},
		{LotteryView{Current: 8, LastEpoch: 7, Tickets: 0, Won: 0, Epochs: 1},
			"Epoch 7 won by nobody: no valid ticket. You sent no ticket for it. Now collecting tickets for epoch 8.", "Not mining, so no wins to expect. In the last 1 epoch: won 0."},
		{LotteryView{Current: 8, LastEpoch: 7, Winner: addr, Tickets: 1, MyTicket: true, MyRank: 1, Epochs: 1},
			"Epoch 7 won by you, the luckiest of 1 ticket. Now collecting tickets for epoch 8.", "Not mining, so no wins to expect. In the last 1 epoch: won 0."},
		{LotteryView{Current: 8, LastEpoch: 7, Winner: addr, Tickets: 9, MyTicket: true, Epochs: 1},
			"Epoch 7 won by dao1qqqqqq…qqqq of 9 tickets. Your ticket was not among the paid ones. Now collecting tickets for epoch 8.", "Not mining, so no wins to expect. In the last 1 epoch: won 0."},
	} {
		if got := drawText(tc.l); got != tc.draw {
			t.Errorf("draw %q, want %q", got, tc.draw)
		}
		if got := oddsText(tc.l); got != tc.odds {
			t.Errorf("odds %q, want %q", got, tc.odds)
		}
	}
}

func TestUseText(t *testing.T) {
	at := time.Date(2026, 11, 22, 12, 0, 0, 0, time.Local)
	for _, tc := range []struct {
		s    SharingView
		want string
	}{
		{SharingView{}, "Measuring this computer…"},
		{SharingView{SampledAt: at, OwnCPU: 3.25, OwnCPUKnown: true, OwnMemory: 250 << 20, OwnMemoryKnown: true, MemoryTotal: 8 << 30, MemKnown: true, GPUsKnown: true, GPUs: []string{"GeForce RTX 4090"}},
			"Daoli and its workers used 3.2 % of the CPU and 250 MB of memory of 8,192 MB at 12:00:00; graphics: GeForce RTX 4090 (not offered for jobs)."},
		{SharingView{SampledAt: at, GPUsKnown: true, GPUs: []string{"GeForce RTX 4090"}, GPUJobs: true},
			"Daoli and its workers used CPU unknown and memory unknown at 12:00:00; graphics: GeForce RTX 4090 (offered for GPU jobs)."},
		{SharingView{SampledAt: at}, "Daoli and its workers used CPU unknown and memory unknown at 12:00:00; graphics processors unknown."},
	} {
		if got := useText(tc.s); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

// TestUseLineEvery: the dashboard shows a newer governor sample only once it is
// useEvery newer than the one shown, so the window is not repainted every second for
// it; the first sample after "measuring" shows at once.
func TestUseLineEvery(t *testing.T) {
	test.NewTempApp(t)
	f := newFake()
	at := f.sharing.SampledAt
	f.sharing = SharingView{}
	d := NewDashboard(f)
	if d.use.Text != "Measuring this computer…" {
		t.Fatalf("before a sample: %q", d.use.Text)
	}
	step := func(after time.Duration, cpu float64) {
		f.sharing = SharingView{SampledAt: at.Add(after), OwnCPU: cpu, OwnCPUKnown: true}
		d.Refresh()
	}
	for _, tc := range []struct {
		after time.Duration
		cpu   float64
		shown string
	}{
		{0, 1.5, "1.5 %"},
		{time.Second, 2.5, "1.5 %"},
		{useEvery - time.Second, 3.5, "1.5 %"},
		{useEvery, 4.5, "4.5 %"},
		{useEvery + time.Second, 5.5, "4.5 %"},
		{2 * useEvery, 6.5, "6.5 %"},
	} {
		step(tc.after, tc.cpu)
		if !strings.Contains(d.use.Text, tc.shown) {
			t.Errorf("sample at +%s: %q, want the one with %s", tc.after, d.use.Text, tc.shown)
		}
	}
}

// TestShareNowAndSales: the Share screen says what runs now and lists the sales, newest
// first, read again only when a block arrived.
func TestShareNowAndSales(t *testing.T) {
	test.NewTempApp(t)
	f := newFake()
	f.ledger = []LedgerLine{
		{Height: 30, Time: time.Date(2026, 11, 22, 10, 0, 0, 0, time.Local), What: "sale", Amount: 12},
		{Height: 31, Time: time.Date(2026, 11, 22, 10, 1, 0, 0, time.Local), What: "win", Amount: 400},
		{Height: 35, Time: time.Date(2026, 11, 22, 10, 5, 0, 0, time.Local), What: "fine", Amount: 96},
	}
	s := NewShare(f)
	want := "block 35 · 2026-11-22 10:05:00 · deposit won · +96 coins\nblock 30 · 2026-11-22 10:00:00 · sale · +12 coins"
	if s.sales.Text != want {
		t.Fatalf("sales %q, want %q", s.sales.Text, want)
	}
	if want := "Mining this epoch's ticket at 10,730,000 hashes a second.\nRunning 1 job for buyers:\ndeal 9f2c41d07a3b…, module 4be1a0c9d8f7…, for 12 coins"; s.now.Text != want {
		t.Fatalf("now %q, want %q", s.now.Text, want)
	}
	reads := f.reads.ledger
	s.Refresh()
	if f.reads.ledger != reads {
		t.Fatal("the ledger was read again without a new block")
	}
	f.node.Height++
	f.ledger = nil
	s.Refresh()
	if f.reads.ledger != reads+1 || !strings.HasPrefix(s.sales.Text, "No sales yet") {
		t.Fatalf("after a block: %d reads, sales %q", f.reads.ledger-reads, s.sales.Text)
	}
	f.activity.Mining, f.activity.Runs = false, nil
	s.Refresh()
	if s.now.Text != "The miner waits for the next epoch: it works at the start of each until its ticket is found. No job running for a buyer." {
		t.Fatalf("now %q", s.now.Text)
	}
	f.sharing.Running = false
	s.Refresh()
	if s.now.Text != "Not mining: sharing is paused (see above). No job running for a buyer." {
		t.Fatalf("paused: now %q", s.now.Text)
	}
	f.sharing.On = false
	s.Refresh()
	if s.now.Text != "Not mining: sharing is off. No job running for a buyer." {
		t.Fatalf("off: now %q", s.now.Text)
	}
}

// TestWalletBackupRestore: a backup needs the wallet's passphrase; a restore says
// whether it changed the wallet, and refuses a wrong passphrase.
func TestWalletBackupRestore(t *testing.T) {
	test.NewTempApp(t)
	f := newFake()
	w := NewWallet(test.NewTempWindow(t, nil), f, inline, func(string) {})
	if w.keep.Visible() {
		t.Fatal("an empty backup message takes room")
	}
	var saved []byte
	w.backupWith("wrong", func(b []byte) { saved = b })
	if saved != nil || w.keep.Text != "Not backed up: that passphrase does not open this wallet." {
		t.Fatalf("wrong passphrase: saved %q, %q", saved, w.keep.Text)
	}
	w.backupWith("right", func(b []byte) { saved = b })
	if string(saved) != `{"keystore":1}` {
		t.Fatalf("backup %q", saved)
	}
	w.restoreWith([]byte("x"), "wrong")
	if w.keep.Text != "Not restored: that passphrase does not open this backup." {
		t.Fatalf("restore, wrong passphrase: %q", w.keep.Text)
	}
	w.restoreWith([]byte("same"), "right")
	if !strings.HasPrefix(w.keep.Text, "This backup is the wallet in use") {
		t.Fatalf("restore of the wallet in use: %q", w.keep.Text)
	}
	w.restoreWith([]byte("other"), "right")
	if !strings.HasPrefix(w.keep.Text, "Restored wallet dao1restored. Daoli uses it from its next start") {
		t.Fatalf("restore: %q", w.keep.Text)
	}
	if !w.keep.Visible() {
		t.Fatal("what the restore did is not shown")
	}
}

// TestThemeSetting: choosing a theme saves it and draws the app in it, whatever the
// desktop's variant.
func TestThemeSetting(t *testing.T) {
	test.NewTempApp(t)
	f := newFake()
	s := NewSettings(test.NewTempWindow(t, nil), f)
	bg := func() color.Color {
		return fyne.CurrentApp().Settings().Theme().Color(theme.ColorNameBackground, theme.VariantDark)
	}
	s.theme.SetSelected(ThemeLight)
	if f.settings.Theme != ThemeLight || bg() != theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantLight) {
		t.Fatalf("light: saved %q, background %v", f.settings.Theme, bg())
	}
	s.theme.SetSelected(ThemeDark)
	if f.settings.Theme != ThemeDark || bg() != theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantDark) {
		t.Fatalf("dark: saved %q", f.settings.Theme)
	}
	s.theme.SetSelected(ThemeSystem)
	if f.settings.Theme != ThemeSystem {
		t.Fatalf("system: saved %q", f.settings.Theme)
	}
	if _, fixed := fyne.CurrentApp().Settings().Theme().(fixedVariant); fixed {
		t.Fatal("the system theme is fixed to a variant")
	}
}

// TestChooseNetwork: a network file chosen in Settings is the network of the next
// start; a file that is not one is refused; the demo network can be chosen again.
func TestChooseNetwork(t *testing.T) {
	test.NewTempApp(t)
	f := newFake()
	s := NewSettings(test.NewTempWindow(t, nil), f)
	if !s.demo.Disabled() || s.next.Text != "" {
		t.Fatalf("on the demo network: demo button enabled %v, next %q", !s.demo.Disabled(), s.next.Text)
	}
	s.chooseNetwork([]byte("garbage"))
	if s.message.Text != "Not changed: this is not a network file: invalid character" || f.settings.NextNetwork != "" {
		t.Fatalf("garbage: %q, next %q", s.message.Text, f.settings.NextNetwork)
	}
	s.chooseNetwork([]byte("network"))
	if !strings.HasPrefix(s.message.Text, "Daoli joins Daoli testnet from its next start") || s.next.Text != "From the next start: Daoli testnet." || !s.next.Visible() || s.demo.Disabled() {
		t.Fatalf("chosen: %q, next %q", s.message.Text, s.next.Text)
	}
	test.Tap(s.demo)
	if f.settings.NextNetwork != "" || !strings.HasPrefix(s.message.Text, "Daoli runs the local demo network from its next start") || s.next.Text != "" {
		t.Fatalf("back to the demo: next %q, %q", f.settings.NextNetwork, s.message.Text)
	}
}

// TestShareDetail: the detail form shows the settings in force, saves a change (the
// preset becomes custom), and refuses what is not a number or contradicts, saying why.
func TestShareDetail(t *testing.T) {
	test.NewTempApp(t)
	f := newFake()
	s := NewShare(f)
	d := &s.detail
	if d.mode.Selected != "auto" || d.inUseAfter.Text != "3" || d.idleCores.Text != "1" || d.otherCPU.Text != "40" || !d.onBattery.Checked {
		t.Fatalf("form: mode %q, minutes %q, idle cores %q, other CPU %q, battery %v", d.mode.Selected, d.inUseAfter.Text, d.idleCores.Text, d.otherCPU.Text, d.onBattery.Checked)
	}
	test.Type(d.idleDuty, "x")
	test.Tap(d.save)
	if s.detail.note.Text != "Not saved: not a number: duty when idle" {
		t.Fatalf("a word for a number: %q", s.detail.note.Text)
	}
	d.idleDuty.SetText("50")
	d.inUseCores.SetText("2")
	test.Tap(d.save)
	if !strings.HasPrefix(s.detail.note.Text, "Not saved: idle share") || f.detail.InUseCores != 0 {
		t.Fatalf("a contradiction: %q, saved %+v", s.detail.note.Text, f.detail)
	}
	d.inUseCores.SetText("0")
	d.inUseAfter.SetText("2,5")
	d.programs.SetText(" steam, obs ,")
	d.windows.SetText("Mon 09:00–17:00, Tue 09:00-12:00")
	test.Tap(d.save)
	want := SharingDetail{Mode: "auto", InUseAfter: 150 * time.Second, IdleCores: 1, InUseDuty: 100, IdleDuty: 50, PauseAboveOtherCPU: 40,
		PauseOnBattery: true, TempCeiling: 80, TempResume: 70, MemoryCap: 50, ExclusivePrograms: []string{"steam", "obs"}, Windows: []string{"Mon 09:00–17:00", "Tue 09:00-12:00"}, GPUMode: "auto"}
	if s.detail.note.Text != "Saved: the preset is now custom." || !reflect.DeepEqual(f.detail, want) {
		t.Fatalf("saved %q: %+v", s.detail.note.Text, f.detail)
	}
	if d.idleDuty.Text != "50" || d.programs.Text != "steam, obs" {
		t.Fatalf("the form after saving: duty %q, programs %q", d.idleDuty.Text, d.programs.Text)
	}
}

// TestDialogsShowOverTheGivenWindow: each screen's file and passphrase dialogs open
// over the window NewMain was given.
func TestDialogsShowOverTheGivenWindow(t *testing.T) {
	m, _, _, w := newTestMain(t)
	w.Resize(fyne.NewSize(900, 700))
	for _, c := range []struct {
		name string
		open func()
	}{
		{"wallet backup", func() { test.Tap(m.Wallet.backup) }},
		{"wallet restore", func() { test.Tap(m.Wallet.restore) }},
		{"network file", func() { m.Settings.onChooseNetwork() }},
		{"own module", func() { m.Buy.Form.kind.SetSelected(ownModule) }},
		{"job output", func() { m.Buy.Jobs.saveFile("out.txt", func(io.WriteCloser, string) {}) }},
	} {
		c.open()
		top := w.Canvas().Overlays().Top()
		if top == nil {
			t.Fatalf("%s: no dialog over the window", c.name)
		}
		w.Canvas().Overlays().Remove(top)
	}
}
