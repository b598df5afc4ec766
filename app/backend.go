package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/light"
	"github.com/daolicloud/daoli/ui"
)

// uiBackend is ui.Backend over a running session.
type uiBackend struct {
	s       *Session
	dataDir string
	netFile string
	logs    *logRing
	prefs   fyne.Preferences
	names   *jobNames
}

// prefNotifications is the preference key of the notifications switch.
const (
	prefNotifications = "notifications"
	prefTheme         = "theme"
)

func (b *uiBackend) Settings() ui.SettingsView {
	return ui.SettingsView{StartAtLogin: StartsAtLogin(), Notifications: b.prefs.BoolWithFallback(prefNotifications, true),
		DataDir: b.dataDir, Network: b.netFile, Theme: b.prefs.StringWithFallback(prefTheme, ui.ThemeSystem),
		NetworkName: b.s.Network.File.Name, NextNetwork: b.nextNetwork()}
}

func (b *uiBackend) SetTheme(name string) error {
	if !slices.Contains(ui.Themes, name) {
		return fmt.Errorf("no theme %q: choose %s", name, strings.Join(ui.Themes, ", "))
	}
	b.prefs.SetString(prefTheme, name)
	return nil
}

func (b *uiBackend) SetStartAtLogin(on bool) error { return SetStartAtLogin(on, b.dataDir) }

func (b *uiBackend) SetNotifications(on bool) error {
	b.prefs.SetBool(prefNotifications, on)
	return nil
}

var _ ui.Backend = (*uiBackend)(nil)

func (b *uiBackend) Node() ui.NodeView {
	st := b.s.Node.Status()
	v := ui.NodeView{Network: b.s.Network.File.Name, Demo: b.s.Network.Demo, ChainID: st.ChainID, Height: st.Height,
		Target: st.Target, Synced: st.Synced, BlockTime: st.Time, Peers: st.Peers, Trustees: st.Trustees,
		Address: st.Address.String(), Balance: st.Balance, BalanceAt: st.BalanceAt, Wins: st.Wins, Payrolls: st.Payrolls,
		Tickets: st.Tickets, Mining: st.Mining, LastError: st.LastError, DataDir: b.dataDir, NetworkSrc: b.netFile,
		CertRound: st.CertRound, CertSigners: st.CertSigners, GlobalCycle: st.GlobalCycle, PrivateCycle: st.PrivateCycle,
		CycleBlocks: st.CycleBlocks}
	if st.CertSigners > 0 {
		v.SetSize = st.SetSize
	}
	return v
}

func (b *uiBackend) Lottery() ui.LotteryView {
	l := b.s.Node.Lottery()
	v := ui.LotteryView{Current: l.Current, LastEpoch: l.Last.Epoch, Tickets: l.Last.Tickets, MyTicket: l.Last.Mine, MyRank: l.Last.Rank,
		Admission: l.Odds.Admission, PerEpoch: l.Odds.PerEpoch, PerDay: l.Odds.PerDay, PayrollDay: l.Odds.PayrollDay, Won: l.Won, Epochs: l.Epochs}
	if l.Last.Winner != (keys.Address{}) {
		v.Winner = l.Last.Winner.String()
	}
	return v
}

func (b *uiBackend) Trustees() []ui.TrusteeView {
	ts := b.s.Node.Trustees()
	out := make([]ui.TrusteeView, len(ts))
	for i, t := range ts {
		out[i] = ui.TrusteeView{Key: t.Key.String(), Seniority: t.Seniority, Bond: t.Bond, Leaving: t.Leaving, Slashed: t.Slashed,
			Connected: t.Connected, Latency: t.Latency, Signed: t.Signed, Of: t.Of}
	}
	return out
}

func totalsMap(t light.Totals) map[string]uint64 {
	out := map[string]uint64{}
	for s, v := range t {
		if s.Earning() {
			out[dashboardSource(s)] += v
		}
	}
	return out
}

// dashboardSource is the dashboard's group of a ledger source: compute sales include
// the deposits a provider won from buyers who stalled or were found wrong, and a
// mediator's fees are part of what a trustee earns.
func dashboardSource(s light.Source) string {
	switch s {
	case light.SourceSale, light.SourceFine:
		return "compute"
	case light.SourceMediation:
		return "trustee"
	}
	return s.String()
}

func (b *uiBackend) Earnings() (ui.EarningsView, error) {
	now := time.Now()
	s, err := b.s.Node.Summary(now)
	if err != nil {
		return ui.EarningsView{}, err
	}
	es, err := b.s.Node.Ledger(0)
	if err != nil {
		return ui.EarningsView{}, err
	}
	v := ui.EarningsView{Today: totalsMap(s.Today), Week: totalsMap(s.Week), Month: totalsMap(s.Month)}
	v.FirstDay, v.Days, v.Hours = earningsByTime(es, now)
	return v, nil
}

// earningsByTime sums the earnings by source per local calendar day over the last
// ui.EarningDays days (today last, from firstDay's midnight) and per hour of today.
func earningsByTime(es []light.Entry, now time.Time) (firstDay time.Time, days, hours []map[string]uint64) {
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	firstDay = today.AddDate(0, 0, 1-ui.EarningDays)
	days, hours = make([]map[string]uint64, ui.EarningDays), make([]map[string]uint64, 24)
	for i := range days {
		days[i] = map[string]uint64{}
	}
	for i := range hours {
		hours[i] = map[string]uint64{}
	}
	for _, e := range es {
		at := e.At().In(now.Location())
		if !e.Source.Earning() || at.Before(firstDay) || at.After(now) {
			continue
		}
		src := dashboardSource(e.Source)
		ey, em, ed := at.Date()
		// Days by the calendar, not by 24 h, so a change to or from summer time
		// does not shift them.
		day := int(time.Date(ey, em, ed, 12, 0, 0, 0, time.UTC).Sub(time.Date(y, m, d, 12, 0, 0, 0, time.UTC))/(24*time.Hour)) + ui.EarningDays - 1
		if day >= 0 && day < len(days) {
			days[day][src] += e.Amount
		}
		if !at.Before(today) {
			hours[at.Hour()][src] += e.Amount
		}
	}
	return firstDay, days, hours
}

// maxHistory is how many ledger lines the wallet screen lists.
const maxHistory = 500

func (b *uiBackend) Ledger() ([]ui.LedgerLine, error) {
	es, err := b.s.Node.Ledger(0)
	if err != nil {
		return nil, err
	}
	es = es[max(0, len(es)-maxHistory):]
	out := make([]ui.LedgerLine, len(es))
	for i, e := range es {
		what := e.Source.String()
		if e.Peer != (keys.Address{}) {
			what += " " + e.Peer.String()
		}
		out[i] = ui.LedgerLine{Height: e.Height, Time: e.At(), What: what, Amount: e.Signed()}
	}
	return out, nil
}

func (b *uiBackend) Send(ctx context.Context, to string, amount, fee uint64, memo string) (string, error) {
	a, err := keys.ParseAddress(to)
	if err != nil {
		return "", err
	}
	h, err := b.s.Node.Send(ctx, a, amount, fee, memo)
	if err != nil {
		return "", plainError(err)
	}
	return h.String(), nil
}

// plainError turns the node's errors into what a user can act on.
func plainError(err error) error {
	switch {
	case errors.Is(err, light.ErrNoTrustees):
		return errors.New("no trustee is connected yet; wait a moment and try again")
	case errors.Is(err, light.ErrNotTaken):
		return errors.New("no trustee took the transaction; check the network screen and try again")
	case errors.Is(err, light.ErrAmount):
		return errors.New("the amount and fee are more than the balance the chain proves")
	}
	return err
}

func (b *uiBackend) ValidateAddress(text string) error {
	_, err := keys.ParseAddress(text)
	return err
}

func (b *uiBackend) Logs() ([]string, uint64) { return b.logs.lines() }

func (b *uiBackend) LogCount() uint64 { return b.logs.count.Load() }
