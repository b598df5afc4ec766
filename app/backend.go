package app

import (
	"bytes"
	"context"

	"errors"
	"fmt"
	"fyne.io/fyne/v2"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/daolicloud/daoli/node/capacity"
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
}

// prefNotifications is the preference key of the notifications switch.
const prefNotifications = "notifications"

func (b *uiBackend) Settings() ui.SettingsView {
	return ui.SettingsView{StartAtLogin: StartsAtLogin(), Notifications: b.prefs.BoolWithFallback(prefNotifications, true),
		DataDir: b.dataDir, Network: b.netFile}
}

func (b *uiBackend) SetStartAtLogin(on bool) error { return SetStartAtLogin(on, b.dataDir) }

func (b *uiBackend) SetNotifications(on bool) error {
	b.prefs.SetBool(prefNotifications, on)
	return nil
}

// Snooze pauses sharing for d.
func (b *uiBackend) Snooze(d time.Duration) error {
	return b.update(func(s *capacity.Settings) { s.SnoozeUntil = time.Now().Add(d) })
}

var _ ui.Backend = (*uiBackend)(nil)

func (b *uiBackend) Node() ui.NodeView {
	st := b.s.Node.Status()
	return ui.NodeView{Network: b.s.Network.File.Name, Demo: b.s.Network.Demo, ChainID: st.ChainID, Height: st.Height,
		Target: st.Target, Synced: st.Synced, BlockTime: st.Time, Peers: st.Peers, Trustees: st.Trustees,
		Address: st.Address.String(), Balance: st.Balance, BalanceAt: st.BalanceAt, Wins: st.Wins, Payrolls: st.Payrolls,
		Tickets: st.Tickets, Mining: st.Mining, LastError: st.LastError, DataDir: b.dataDir, NetworkSrc: b.netFile}
}

func totalsMap(t light.Totals) map[string]uint64 {
	out := map[string]uint64{}
	for s, v := range t {
		if s.Earning() {
			out[s.String()] = v
		}
	}
	return out
}

func (b *uiBackend) Earnings() (ui.EarningsView, error) {
	s, err := b.s.Node.Summary(time.Now())
	if err != nil {
		return ui.EarningsView{}, err
	}
	return ui.EarningsView{Today: totalsMap(s.Today), Week: totalsMap(s.Week), Month: totalsMap(s.Month)}, nil
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

func (b *uiBackend) Sharing() ui.SharingView {
	d := b.s.Governor.Decision()
	s := b.s.Governor.Settings()
	return ui.SharingView{On: s.Mode != capacity.Never, Running: d.Run, Reason: d.Reason, Preset: string(s.Preset),
		Presets: []string{string(capacity.Quiet), string(capacity.Balanced), string(capacity.Max)}}
}

func (b *uiBackend) update(change func(*capacity.Settings)) error { return b.s.UpdateSharing(change) }

func (b *uiBackend) SetSharing(on bool) error {
	_, err := b.s.SetSharing(on)
	return err
}

func (b *uiBackend) SetPreset(p string) error {
	if !slices.Contains([]string{string(capacity.Quiet), string(capacity.Balanced), string(capacity.Max)}, p) {
		return fmt.Errorf("no preset %q", p)
	}
	return b.update(func(s *capacity.Settings) {
		mode := s.Mode
		*s = capacity.PresetSettings(capacity.Preset(p), runtime.NumCPU())
		s.Mode = mode
	})
}

func (b *uiBackend) Logs() []string { return b.logs.lines() }

// logRing keeps the last lines of the app's log for the Logs screen.
type logRing struct {
	mu  sync.Mutex
	buf []string
	max int
}

func (r *logRing) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		r.buf = append(r.buf, line)
	}
	if over := len(r.buf) - r.max; over > 0 {
		r.buf = slices.Delete(r.buf, 0, over)
	}
	return len(p), nil
}

func (r *logRing) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.buf)
}

// newLogger logs to the ring (for the Logs screen) and to w.
func newLogger(ring *logRing, w interface{ Write([]byte) (int, error) }) *slog.Logger {
	return slog.New(slog.NewTextHandler(multiWriter{ring, w}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type multiWriter [2]interface{ Write([]byte) (int, error) }

func (m multiWriter) Write(p []byte) (int, error) {
	m[0].Write(p)
	return m[1].Write(p)
}

// errNoMarket is what the Buy screen says until the light node's market is wired here.
var errNoMarket = errors.New("the compute market is not available in this build yet")

// jobTemplates describes the example modules of assets/jobs; DefaultArgs are each
// program's own defaults, written out so the user sees what to change.
var jobTemplates = []ui.JobTemplate{
	{Name: "mandelbrot", Title: "Mandelbrot tile", Description: "Renders one tile of the Mandelbrot set. Arguments: size in pixels, iterations, then optionally the centre x y and the width.",
		DefaultArgs: []string{"256", "256"}, OutputKind: "png"},
	{Name: "pi", Title: "Monte-Carlo π", Description: "Estimates π by throwing random points at the unit square. Argument: how many points.",
		DefaultArgs: []string{"10000000"}, OutputKind: "text"},
	{Name: "hash", Title: "Hash benchmark", Description: "Chains SHA-256 over its input (empty if none) many times. Argument: how many rounds.",
		DefaultArgs: []string{"1000000"}, TakesInput: true, OutputKind: "text"},
	{Name: "wordcount", Title: "Word count", Description: "Counts the words of a text file and prints the most frequent ones. Argument: how many to print.",
		DefaultArgs: []string{"20"}, TakesInput: true, NeedsInput: true, OutputKind: "text"},
}

func (b *uiBackend) JobTemplates() []ui.JobTemplate { return slices.Clone(jobTemplates) }

// ValidateModule checks only the WebAssembly header here; RunJob refuses every job in
// this build, and the sandbox's full check comes with the market.
func (b *uiBackend) ValidateModule(_ context.Context, data []byte) error {
	if !bytes.HasPrefix(data, []byte("\x00asm\x01\x00\x00\x00")) {
		return errors.New("it is not a WebAssembly module of version 1 (those start with the bytes \\0asm 1 0 0 0)")
	}
	return nil
}

func (b *uiBackend) RunJob(context.Context, ui.JobRequest) (string, error) { return "", errNoMarket }

// Jobs is empty: this build opens no deals.
func (b *uiBackend) Jobs() []ui.JobView { return nil }

func (b *uiBackend) JobOutput(context.Context, string) ([]byte, error) { return nil, errNoMarket }

func (b *uiBackend) CancelJob(context.Context, string) error { return errNoMarket }
