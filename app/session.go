package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/daolicloud/daoli/assets"
	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/control"
	"github.com/daolicloud/daoli/node/devnet"
	"github.com/daolicloud/daoli/node/gpu"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/light"
)

// SessionConfig says what a session runs.
type SessionConfig struct {
	DataDir     string
	NetworkFile string // empty: the embedded local demo network
	Wallet      *keys.Key
	Mine        bool
	Listen      string // libp2p listen address; empty: the default for the network
	Logger      *slog.Logger
	// OnDecision receives the governor's decisions (from its goroutine).
	OnDecision func(capacity.Decision)
	// Market is the node's part in the compute market; nil takes the defaults
	// (see marketConfig), with jobs run in this process unless Worker is set.
	Market *light.MarketConfig
	// Worker runs provider jobs in a subprocess (`daoli worker`); nil runs them in
	// this process.
	Worker *compute.Worker
}

// Session is everything a running Daoli keeps going, for the app and for `daoli
// node` alike: the network (and the demo trustees when it is the embedded one), the
// sharing governor and its gate, the light node, and the control API.
type Session struct {
	Network  *Network
	Node     *light.Node
	Governor *capacity.Governor
	Gate     *capacity.Gate
	Control  *control.Server
	// Demo are the demo network's other miners, run in this process so that the
	// user's node competes for its wins as it would on a real network.
	Demo []*light.Node

	dataDir string
	worker  *compute.Worker
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	pricingMu sync.Mutex // one SetPricing at a time: the file and the node agree
	fpOnce    sync.Once
	fp        capacity.Fingerprint // this machine, for the suggested price
}

// StartSession starts a session; Stop ends it.
func StartSession(ctx context.Context, cfg SessionConfig) (*Session, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if c, err := control.Dial(cfg.DataDir); err == nil {
		_ = c
		return nil, fmt.Errorf("%w (%s)", control.ErrRunning, cfg.DataDir)
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Session{cancel: cancel, Gate: capacity.NewGate(nil), dataDir: cfg.DataDir, worker: cfg.Worker}
	fail := func(err error) (*Session, error) {
		s.Stop()
		return nil, err
	}
	settings, err := loadSharingSettings(cfg.DataDir)
	if err != nil {
		return fail(err)
	}
	gpuGate := capacity.NewGate(nil)
	s.Governor, err = capacity.NewGovernor(capacity.GovernorConfig{Settings: settings, Sampler: capacity.NewProbes(),
		Gate: s.Gate, GPUGate: gpuGate, OnDecision: cfg.OnDecision})
	if err != nil {
		return fail(fmt.Errorf("sharing settings: %w", err))
	}
	s.wg.Go(func() {
		if err := s.Governor.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			log.Warn("governor stopped", "err", err)
		}
	})
	if s.Network, err = openNetwork(ctx, cfg.NetworkFile, cfg.DataDir, log); err != nil {
		return fail(err)
	}
	lc := light.DefaultConfig(s.Network.File, nodeDir(cfg.DataDir))
	mc, err := marketConfig(ctx, cfg)
	if err != nil {
		return fail(err)
	}
	if mc.GPUGate == nil {
		mc.GPUGate = gpuGate
	}
	lc.Wallet, lc.Mine, lc.Gate, lc.Logger, lc.Market = cfg.Wallet, cfg.Mine, s.Gate, log, mc
	switch {
	case cfg.Listen != "":
		lc.Listen = []string{cfg.Listen}
	case s.Network.Demo:
		lc.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
		lc.DHT = false
	}
	if s.Node, err = light.Start(ctx, lc); err != nil {
		return fail(err)
	}
	if s.Network.Demo {
		if err := s.startDemoMiners(ctx, log, cfg.Worker); err != nil {
			return fail(err)
		}
	}
	if cfg.Wallet != nil {
		_ = s.Node.SetProviding(settings.Mode != capacity.Never)
	}
	info := control.Info{Network: s.Network.File.Name, Demo: s.Network.Demo, Sharing: s}
	if cfg.Wallet != nil {
		info.Market, info.Pricing = jobDesk{s.Node}, s
	}
	if s.Control, err = control.Serve(cfg.DataDir, s.Node, info, log); err != nil {
		return fail(err)
	}
	return s, nil
}

// nodeDir is the light node's data directory in the app's dataDir.
func nodeDir(dataDir string) string { return filepath.Join(dataDir, "node") }

// nodeCacheDir is where the light node of the app's dataDir keeps compiled modules.
func nodeCacheDir(dataDir string) string { return light.DefaultCacheDir(nodeDir(dataDir)) }

// marketConfig is the node's market role: a provider with this machine's spec at the
// saved price and slots (the defaults when none are saved), jobs run by cfg.Worker;
// or cfg.Market when given.
func marketConfig(ctx context.Context, cfg SessionConfig) (*light.MarketConfig, error) {
	mc := light.DefaultMarketConfig(nodeDir(cfg.DataDir), chain.ProviderSpec{})
	mc.Price = DefaultProviderPrice
	if cfg.Market != nil {
		mc = *cfg.Market
	} else if err := applySavedPricing(cfg.DataDir, &mc, false, false); err != nil {
		return nil, err
	}
	if mc.Spec.Cores == 0 {
		hw := capacity.DetectHardware(ctx, nil)
		fp := hw.Fingerprint()
		mc.Spec = chain.ProviderSpec{CPUModel: truncateText(fp.CPU, chain.MaxLabel), Cores: uint32(max(fp.Cores, 1)),
			MemoryMiB: uint64(max(fp.MemoryGiB, 1)) << 10, MaxWallTimeMs: mc.Spec.MaxWallTimeMs}
		for _, g := range fp.GPUs[:min(len(fp.GPUs), chain.MaxGPUs)] {
			mc.Spec.GPUs = append(mc.Spec.GPUs, truncateText(g, chain.MaxLabel))
		}
		// A machine whose capacity probe found a GPU asks WebGPU for it, in a
		// gpu-worker process; one without starts no GPU driver. A probe that fails
		// leaves the probe's GPUs and registers no GPU executor.
		if found, _ := hw.GPUs.Get(); len(found) > 0 {
			if exe, err := os.Executable(); err == nil {
				if a, err := probeWebGPU(ctx, exe); err == nil {
					mc.Spec.GPUs, mc.Executors = gpuRegistration(a, found)
				}
			}
		}
	}
	if mc.Worker == nil {
		mc.Worker = cfg.Worker
	}
	// Every node can run GPU jobs' re-checks, on whatever adapter it has; a provider
	// is offered GPU deals only when it registered the webgpu executor above.
	if mc.GPU == nil {
		if exe, err := os.Executable(); err == nil {
			mc.GPU = &gpu.Runner{Exe: exe, Args: []string{"gpu-worker"}}
		}
	}
	return &mc, nil
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// Stop ends the session: the control API first, so no command sees a half-stopped
// node, then the node, the governor, the waiting worker processes and the demo
// trustees.
func (s *Session) Stop() error {
	var errs []error
	if s.Control != nil {
		errs = append(errs, s.Control.Close())
	}
	if s.Node != nil {
		errs = append(errs, s.Node.Stop())
	}
	for _, d := range s.Demo {
		errs = append(errs, d.Stop())
	}
	s.cancel()
	s.wg.Wait()
	if s.worker != nil {
		s.worker.Close() // the worker processes waiting for jobs
	}
	if s.Network != nil {
		errs = append(errs, s.Network.Stop())
	}
	return errors.Join(errs...)
}

// loadSharingSettings reads the saved sharing settings, or the defaults for this
// machine when none are saved.
func loadSharingSettings(dataDir string) (capacity.Settings, error) {
	cores := capacity.DetectHardware(context.Background(), capacity.NewProbes()).UsableCores
	s, err := capacity.FileSettingsStore{Path: filepath.Join(dataDir, sharingSettingsFile)}.Load()
	switch {
	case errors.Is(err, capacity.ErrNotFound):
		return capacity.DefaultSettings(cores), nil
	case err != nil:
		return capacity.Settings{}, err
	}
	return s.ForMachine(cores), nil
}

// demoMiners is how many demo users mine on the embedded network besides the user.
const demoMiners = 2

// startDemoMiners runs light nodes for the demo network's funded users, mining with
// one worker each and without a governor: they stand for other people's computers.
func (s *Session) startDemoMiners(ctx context.Context, log *slog.Logger, worker *compute.Worker) error {
	dir := filepath.Dir(s.Network.Path)
	for i := range demoMiners {
		k, err := keys.LoadKeyFile(devnet.UserKeyFile(dir, i))
		if err != nil {
			return fmt.Errorf("demo miner %d: %w", i, err)
		}
		// The first demo peer also sells compute, dearer than the user's node does by
		// default, and the second buys it: the market is alive from the start.
		// Their jobs and re-checks run in the user's worker processes, so that
		// compiling a module never weighs on the window.
		lc := light.DefaultConfig(s.Network.File, filepath.Join(dir, fmt.Sprintf("miner-%d", i)))
		mc := light.DefaultMarketConfig(lc.DataDir, chain.ProviderSpec{CPUModel: "demo peer", Cores: 1, MemoryMiB: 1024})
		mc.Price, mc.CacheDir, mc.Worker = demoProviderPrice, filepath.Join(dir, "wasm-cache"), worker
		lc.Wallet, lc.Mine, lc.MinerWorkers, lc.Market = k, true, 1, &mc
		lc.Listen, lc.DHT, lc.Ping = []string{"/ip4/127.0.0.1/tcp/0"}, false, false
		lc.Logger = log.With("demo", fmt.Sprintf("miner-%d", i))
		n, err := light.Start(ctx, lc)
		if err != nil {
			return fmt.Errorf("demo miner %d: %w", i, err)
		}
		s.Demo = append(s.Demo, n)
	}
	if len(s.Demo) >= 2 {
		if err := s.Demo[0].SetProviding(true); err != nil {
			return err
		}
		buyer := s.Demo[1]
		s.wg.Go(func() { demoBuyer(ctx, buyer, log.With("demo", "buyer")) })
	}
	return nil
}

// Demo market: the demo provider's price and the demo buyer's jobs.
const (
	demoProviderPrice = 2
	demoJobEvery      = 30 * time.Second
	demoJobMaxPrice   = 40
)

// demoBuyer buys a small job now and then, one at a time, as a person on the network
// would: a Monte-Carlo π or a Mandelbrot tile.
func demoBuyer(ctx context.Context, n *light.Node, log *slog.Logger) {
	jobs := []struct {
		name string
		args []string
	}{{"pi", []string{"200000"}}, {"mandelbrot", []string{"64", "200"}}}
	modules := make([][]byte, len(jobs))
	for i, j := range jobs {
		m, err := assets.Job(j.name)
		if err != nil {
			log.Warn("demo job", "err", err)
			return
		}
		modules[i] = m
	}
	tick := time.NewTicker(demoJobEvery)
	defer tick.Stop()
	for i := 0; ; {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		busy := false
		for _, j := range n.Jobs() {
			busy = busy || j.Deal.Phase != chain.PhaseClosed
		}
		if busy || n.Height() == 0 {
			continue
		}
		j, module := jobs[i%len(jobs)], modules[i%len(jobs)]
		cycle := time.Duration(n.Params().CycleMs) * time.Millisecond
		_, err := n.OpenDeal(ctx, light.JobSpec{Module: module, Args: j.args, MaxPrice: demoJobMaxPrice,
			Deadline: uint64(2*time.Minute/cycle) + 1, Limits: chain.DealLimits{MemoryMiB: 128, WallTimeMs: 20_000, OutputMax: 1 << 20}})
		if err != nil {
			log.Info("demo job not opened", "err", err)
			continue
		}
		i++
	}
}

// UpdateSharing changes the governor's settings and saves them.
func (s *Session) UpdateSharing(change func(*capacity.Settings)) error {
	st := s.Governor.Settings()
	change(&st)
	if err := s.Governor.SetSettings(st); err != nil {
		return err
	}
	if err := s.Node.SetProviding(st.Mode != capacity.Never); err != nil && !errors.Is(err, light.ErrNoMarket) {
		return err
	}
	return capacity.FileSettingsStore{Path: filepath.Join(s.dataDir, sharingSettingsFile)}.Save(st)
}

// switchSharing is the sharing switch (capacity.Settings.Switch): on clears the
// user's pause, off is run mode never.
func switchSharing(st *capacity.Settings, on bool) { *st = st.Switch(on) }

// SetSharing implements control.Sharer.
func (s *Session) SetSharing(on bool) (control.SharingState, error) {
	if err := s.UpdateSharing(func(st *capacity.Settings) { switchSharing(st, on) }); err != nil {
		return control.SharingState{}, err
	}
	return s.settledSharing(), nil
}

// settledWait bounds how long a change of sharing waits for the governor's decision
// on it: a sample, bounded by the probe timeout, and a decision.
const settledWait = 10 * time.Second

// settledSharing is the state after a change of settings: the governor's decision on
// them, or, should it not come within settledWait, the decision in force (the
// change is saved and the governor applies it at its next sample).
func (s *Session) settledSharing() control.SharingState {
	ctx, cancel := context.WithTimeout(context.Background(), settledWait)
	defer cancel()
	d, err := s.Governor.Settled(ctx)
	if err != nil {
		return s.SharingState()
	}
	st := s.Governor.Settings()
	return control.SharingState{On: st.Mode != capacity.Never, Running: d.Run, Mode: string(st.Mode), Preset: string(st.Preset), Reason: d.Reason}
}

// ChooseSharing implements control.Sharer: the one-click choices of the dashboard
// and the tray, for a node without a window.
func (s *Session) ChooseSharing(choice string, d time.Duration) (control.SharingState, error) {
	change, err := sharingChoice(choice, time.Now().Add(d))
	if err != nil {
		return control.SharingState{}, err
	}
	if err := s.UpdateSharing(change); err != nil {
		return control.SharingState{}, err
	}
	return s.settledSharing(), nil
}

// sharingChoice is the settings change of a control choice; a share-now lasts
// until the given time.
func sharingChoice(choice string, until time.Time) (func(*capacity.Settings), error) {
	switch choice {
	case control.ChoiceShareNow:
		return func(st *capacity.Settings) { *st = st.ShareNow(until) }, nil
	case control.ChoicePause:
		return func(st *capacity.Settings) { *st = st.Pause() }, nil
	case control.ChoiceRules:
		return func(st *capacity.Settings) { *st = st.FollowRules() }, nil
	}
	return nil, fmt.Errorf("%w: no sharing choice %q", control.ErrBadRequest, choice)
}

// SharingState implements control.Sharer.
func (s *Session) SharingState() control.SharingState {
	st, d := s.Governor.Settings(), s.Governor.Decision()
	return control.SharingState{On: st.Mode != capacity.Never, Running: d.Run, Mode: string(st.Mode), Preset: string(st.Preset), Reason: d.Reason}
}
