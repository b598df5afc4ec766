package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"

	"github.com/daolicloud/daoli/assets"
	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/light"
	"github.com/daolicloud/daoli/node/network"
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

// Snooze pauses sharing for d.
func (b *uiBackend) Snooze(d time.Duration) error {
	return b.update(func(s *capacity.Settings) { s.SnoozeUntil = time.Now().Add(d) })
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
	v := ui.SharingView{On: s.Mode != capacity.Never, Running: d.Run, Reason: d.Reason, Preset: string(s.Preset),
		Presets: []string{string(capacity.Quiet), string(capacity.Balanced), string(capacity.Max)}}
	sm := b.s.Governor.Sample()
	v.SampledAt = sm.At
	v.OwnCPU, v.OwnCPUKnown = sm.OwnCPU.Get()
	v.OwnMemory, v.OwnMemoryKnown = sm.OwnMemory.Get()
	v.MemoryTotal, v.MemKnown = sm.MemoryTotal.Get()
	var gpus []capacity.GPU
	gpus, v.GPUsKnown = sm.GPUs.Get()
	for _, g := range gpus {
		name := g.Name
		if name == "" {
			name = g.Vendor + " " + g.PCIID
		}
		v.GPUs = append(v.GPUs, name)
	}
	return v
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

func (b *uiBackend) Logs() ([]string, uint64) { return b.logs.lines() }

func (b *uiBackend) LogCount() uint64 { return b.logs.count.Load() }

// logRing keeps the last lines of the app's log for the Logs screen.
type logRing struct {
	mu    sync.Mutex
	buf   []string
	max   int
	count atomic.Uint64 // lines written in all
}

func (r *logRing) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	lines := strings.Split(strings.TrimRight(string(p), "\n"), "\n")
	r.buf = append(r.buf, lines...)
	if over := len(r.buf) - r.max; over > 0 {
		r.buf = slices.Delete(r.buf, 0, over)
	}
	r.count.Add(uint64(len(lines)))
	return len(p), nil
}

// lines returns the lines kept, oldest first, and how many were written in all.
func (r *logRing) lines() ([]string, uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.buf), r.count.Load()
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

// ValidateModule compiles the module in the node's sandbox.
func (b *uiBackend) ValidateModule(ctx context.Context, data []byte) error {
	return b.s.Node.CheckModule(ctx, data)
}

// RunJob opens a deal through the same path as `daoli job run`, with the job's name
// remembered for the list.
func (b *uiBackend) RunJob(ctx context.Context, req ui.JobRequest) (string, error) {
	spec := light.JobSpec{Module: req.Module, Input: req.Input, Args: req.Args, MaxPrice: req.MaxPrice,
		Limits: chain.DealLimits{MemoryMiB: DefaultJobMemoryMiB, WallTimeMs: uint64(DefaultJobWallTime / time.Millisecond), OutputMax: DefaultJobOutputMax}}
	name := req.Name
	if req.Template != "" {
		m, err := assets.Job(req.Template)
		if err != nil {
			return "", fmt.Errorf("no example job %q", req.Template)
		}
		spec.Module = m
		if name == "" {
			name = req.Template
		}
	}
	deadline := req.Deadline
	if deadline <= 0 {
		deadline = DefaultJobDeadline
	}
	cycle := time.Duration(b.s.Node.Params().CycleMs) * time.Millisecond
	spec.Deadline = uint64((deadline + cycle - 1) / cycle)
	id, err := b.s.Node.OpenDeal(ctx, spec)
	if err != nil {
		return "", err
	}
	b.names.set(id, name)
	return id.String(), nil
}

// Jobs lists the wallet's deals as the node last proved them.
func (b *uiBackend) Jobs() []ui.JobView {
	js := b.s.Node.Jobs()
	out := make([]ui.JobView, 0, len(js))
	for _, j := range js {
		d := j.Deal
		v := ui.JobView{ID: d.ID.String(), Name: b.names.name(d.ID, d.Open.Module), Opened: j.OpenedAt,
			Phase: d.Phase.String(), Reason: d.Reason, Price: d.Price, Output: !d.Output.IsZero(), Checked: j.Checked, LastError: j.Error}
		if d.Phase == 0 {
			v.Phase = "submitted"
		}
		if d.Phase == chain.PhaseClosed {
			v.Outcome = d.Outcome.String()
		}
		if !d.Provider.IsZero() && d.Phase != chain.PhaseOpen {
			v.Provider = d.Provider.String()
		}
		if !d.Output.IsZero() {
			v.Status = [...]string{"", "ok", "failed", "limit"}[min(int(d.Status), 3)]
		}
		out = append(out, v)
	}
	return out
}

func (b *uiBackend) JobOutput(ctx context.Context, id string) ([]byte, error) {
	h, err := chain.ParseHash(id)
	if err != nil {
		return nil, err
	}
	return b.s.Node.JobOutput(ctx, h)
}

func (b *uiBackend) CancelJob(ctx context.Context, id string) error {
	h, err := chain.ParseHash(id)
	if err != nil {
		return err
	}
	return b.s.Node.CancelJob(ctx, h)
}

// jobNames remembers what the user called the jobs it bought; the chain knows only a
// module's hash. The example jobs are named by their hash in the manifest.
type jobNames struct {
	mu    sync.Mutex
	path  string
	names map[chain.Hash]string
	known map[chain.Hash]string // module hash → example job
}

func newJobNames(dataDir string) *jobNames {
	n := &jobNames{path: filepath.Join(dataDir, "job-names.json"), names: map[chain.Hash]string{}, known: map[chain.Hash]string{}}
	if raw, err := os.ReadFile(n.path); err == nil {
		_ = json.Unmarshal(raw, &n.names) // a damaged file only loses names
	}
	if m, err := assets.JobManifest(); err == nil {
		for _, j := range m.Jobs {
			if h, err := chain.ParseHash(j.SHA256); err == nil {
				n.known[h] = j.Name
			}
		}
	}
	return n
}

func (n *jobNames) set(id chain.Hash, name string) {
	if name == "" {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.names[id] = name
	if raw, err := json.Marshal(n.names); err == nil {
		_ = os.WriteFile(n.path, raw, 0o600)
	}
}

func (n *jobNames) name(id, module chain.Hash) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if s, ok := n.names[id]; ok {
		return s
	}
	if s, ok := n.known[module]; ok {
		return s
	}
	return "module " + module.Short()
}

// ruleLines writes the governor's settings (docs/capacity.md) for the Share screen.
func ruleLines(s capacity.Settings) []string {
	share := func(sh capacity.Share) string {
		if sh.Cores == 0 {
			return "paused"
		}
		return fmt.Sprintf("%d %s at %.0f %% duty", sh.Cores, plural(sh.Cores, "core", "cores"), 100*sh.Duty)
	}
	lines := []string{
		fmt.Sprintf("Run mode: %s", s.Mode),
		fmt.Sprintf("In use (input in the last %v): %s", s.InUseAfter, share(s.InUse)),
		fmt.Sprintf("Idle: %s", share(s.Idle)),
	}
	if s.PauseAboveOtherCPU > 0 {
		lines = append(lines, fmt.Sprintf("Pause while other programs use more than %.0f %% of the CPU", s.PauseAboveOtherCPU))
	}
	switch {
	case s.PauseOnBattery:
		lines = append(lines, "Pause on battery: yes")
	case s.MinBatteryCharge > 0:
		lines = append(lines, fmt.Sprintf("On battery: pause below %.0f %% charge", s.MinBatteryCharge))
	default:
		lines = append(lines, "Pause on battery: no")
	}
	if s.TempCeiling > 0 {
		lines = append(lines, fmt.Sprintf("Pause at %.0f °C, resume below %.0f °C", s.TempCeiling, s.TempResume))
	}
	if len(s.Windows) > 0 {
		var ws []string
		for _, w := range s.Windows {
			ws = append(ws, w.String())
		}
		lines = append(lines, "Only during: "+strings.Join(ws, ", "))
	}
	if s.MemoryCap > 0 {
		lines = append(lines, fmt.Sprintf("Jobs may use up to %.0f %% of the memory", s.MemoryCap))
	}
	if len(s.ExclusivePrograms) > 0 {
		lines = append(lines, "Pause while running: "+strings.Join(s.ExclusivePrograms, ", "))
	}
	gpu := fmt.Sprintf("Graphics processor: %s", s.GPU.Mode)
	if s.GPU.WhileInUse {
		gpu += ", also while the computer is in use"
	}
	lines = append(lines, gpu)
	if !s.SnoozeUntil.IsZero() && time.Now().Before(s.SnoozeUntil) {
		lines = append(lines, "Snoozed until "+s.SnoozeUntil.Local().Format(time.TimeOnly))
	}
	return lines
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (b *uiBackend) BackupWallet(pass []byte) ([]byte, error) {
	return backupKeystore(b.s.dataDir, pass)
}

func (b *uiBackend) RestoreWallet(backup, pass []byte) (string, bool, error) {
	return restoreKeystore(b.s.dataDir, b.s.Node.Address(), backup, pass, time.Now())
}

// backupKeystore returns the wallet of dataDir, once pass opens it.
func backupKeystore(dataDir string, pass []byte) ([]byte, error) {
	data, err := keys.ExportKeystore(filepath.Join(dataDir, WalletFile), pass, nil)
	if errors.Is(err, keys.ErrWrongPassphrase) {
		return nil, errors.New("that passphrase does not open this wallet")
	}
	return data, err
}

// restoreKeystore makes backup the wallet of dataDir once pass opens it, keeping the
// wallet it replaces as wallet.json.replaced-TIME; a backup of the wallet in use
// (current) changes nothing.
func restoreKeystore(dataDir string, current keys.Address, backup, pass []byte, now time.Time) (string, bool, error) {
	k, err := keys.DecryptKey(backup, pass)
	switch {
	case errors.Is(err, keys.ErrWrongPassphrase):
		return "", false, errors.New("that passphrase does not open this backup")
	case err != nil:
		return "", false, fmt.Errorf("this is not a Daoli wallet backup: %w", err)
	}
	addr := k.Address().String()
	if k.Address() == current {
		return addr, true, nil
	}
	path := filepath.Join(dataDir, WalletFile)
	if old, err := os.ReadFile(path); err == nil {
		aside := path + ".replaced-" + now.UTC().Format("20060102-150405")
		if err := os.WriteFile(aside, old, 0o600); err != nil {
			return "", false, fmt.Errorf("keep the current wallet: %w", err)
		}
	}
	if _, err := keys.ImportKeystore(path, backup, pass, keys.WithOverwrite()); err != nil {
		return "", false, err
	}
	return addr, false, nil
}

// ChosenNetworkFile is the network file chosen in Settings, copied into the data
// directory; without it (and without --network) the app runs the local demo network.
const ChosenNetworkFile = "network.json"

// networkFileOf is the network file a start in dataDir joins: the one named on the
// command line, else the one chosen in Settings, else "" for the local demo network.
// The window and `daoli node` both start this way.
func networkFileOf(dataDir, named string) string {
	if named != "" {
		return named
	}
	if chosen := filepath.Join(dataDir, ChosenNetworkFile); fileExists(chosen) {
		return chosen
	}
	return ""
}

// nextNetwork names the network the next start joins: the chosen file's, or "" for
// the local demo network (an unreadable choice names itself).
func (b *uiBackend) nextNetwork() string {
	path := filepath.Join(b.s.dataDir, ChosenNetworkFile)
	if !fileExists(path) {
		return ""
	}
	f, err := network.Load(path)
	if err != nil {
		return path + " (unreadable: " + err.Error() + ")"
	}
	return f.Name
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func (b *uiBackend) ChooseNetwork(data []byte) (string, error) {
	return chooseNetwork(b.s.dataDir, data)
}

// chooseNetwork makes data, a network file, the network of dataDir's next start; nil
// data goes back to the local demo network. It returns the network's name.
func chooseNetwork(dataDir string, data []byte) (string, error) {
	path := filepath.Join(dataDir, ChosenNetworkFile)
	if data == nil {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		return "", nil
	}
	f, err := network.Decode(data)
	if err != nil {
		return "", fmt.Errorf("this is not a network file: %w", err)
	}
	if err := network.Save(path, f); err != nil {
		return "", err
	}
	return f.Name, nil
}

func (b *uiBackend) SharingDetail() ui.SharingDetail {
	s := b.s.Governor.Settings()
	return ui.SharingDetail{Mode: string(s.Mode), InUseAfter: s.InUseAfter, InUseCores: s.InUse.Cores, IdleCores: s.Idle.Cores,
		InUseDuty: 100 * s.InUse.Duty, IdleDuty: 100 * s.Idle.Duty, PauseAboveOtherCPU: s.PauseAboveOtherCPU,
		PauseOnBattery: s.PauseOnBattery, MinBatteryCharge: s.MinBatteryCharge, TempCeiling: s.TempCeiling, TempResume: s.TempResume,
		MemoryCap: s.MemoryCap, ExclusivePrograms: slices.Clone(s.ExclusivePrograms), GPUMode: string(s.GPU.Mode), GPUWhileInUse: s.GPU.WhileInUse,
		Windows: windowTexts(s.Windows)}
}

func windowTexts(ws []capacity.Window) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.String())
	}
	return out
}

func (b *uiBackend) SetSharingDetail(d ui.SharingDetail) error {
	ws, err := parseWindows(d.Windows)
	if err != nil {
		return err
	}
	return b.update(func(s *capacity.Settings) { applyDetail(s, d, ws) })
}

// parseWindows reads the detail's time windows.
func parseWindows(texts []string) ([]capacity.Window, error) {
	var ws []capacity.Window
	for _, t := range texts {
		w, err := capacity.ParseWindow(t)
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	return ws, nil
}

// applyDetail writes the Share screen's detail, with its time windows ws, into s,
// which becomes custom.
func applyDetail(s *capacity.Settings, d ui.SharingDetail, ws []capacity.Window) {
	s.Windows = ws
	s.Preset = capacity.Custom
	s.Mode = capacity.RunMode(d.Mode)
	s.InUseAfter = d.InUseAfter
	s.InUse = capacity.Share{Cores: d.InUseCores, Duty: d.InUseDuty / 100}
	s.Idle = capacity.Share{Cores: d.IdleCores, Duty: d.IdleDuty / 100}
	s.PauseAboveOtherCPU = d.PauseAboveOtherCPU
	s.PauseOnBattery, s.MinBatteryCharge = d.PauseOnBattery, d.MinBatteryCharge
	s.TempCeiling, s.TempResume = d.TempCeiling, d.TempResume
	s.MemoryCap = d.MemoryCap
	s.ExclusivePrograms = slices.Clone(d.ExclusivePrograms)
	s.GPU.Mode, s.GPU.WhileInUse = capacity.RunMode(d.GPUMode), d.GPUWhileInUse
}

func (b *uiBackend) Activity() ui.ActivityView {
	v := ui.ActivityView{Rules: ruleLines(b.s.Governor.Settings())}
	st := b.s.Node.Status()
	v.Mining, v.HashRate = st.Mining, st.HashRate
	for _, r := range b.s.Node.Runs() {
		v.Runs = append(v.Runs, ui.RunView{Deal: r.Deal.String(), Module: r.Module.String(), Price: r.Price, Paused: r.Paused})
	}
	return v
}
