package nemesis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/daolicloud/daoli/node/dcc"
	"github.com/daolicloud/daoli/node/devnet"
	"github.com/daolicloud/daoli/node/internal/skew"
	"github.com/daolicloud/daoli/node/keys"
)

// Config is one run.
type Config struct {
	Trustees, Lights int
	Seed             uint64
	// Duration is how long the nemesis injects faults; the checks follow.
	Duration time.Duration
	// Phi and Delta are the network's windows; an epoch is Φ + Δ.
	Phi, Delta time.Duration
	// Dir receives the history, the summary, the logs and every node's data.
	Dir  string
	Bins Binaries
	// Skew runs clocks skewed from the start: the last trustee 10 % fast, the
	// second-last two minutes behind, light node 0 10 % slow, light node 1 10 % fast
	// and light node 2 jumping five minutes forward after a minute, as after a sleep.
	Skew bool
	// DiskTrustee is the trustee whose data directory is a DiskMB tmpfs the nemesis
	// fills; -1 for none.
	DiskTrustee int
	DiskMB      int
	// Subnet is the third octet of the run's 10.231.x.0/24 (default from the seed).
	Subnet int
	// RecoverEpochs bounds how many epochs after the last heal the network may take to
	// certify again and every light node to catch up (default 60).
	RecoverEpochs int
	Logf          func(format string, a ...any)
}

func (c *Config) defaults() error {
	if c.Trustees < 4 || c.Lights < 1 {
		return fmt.Errorf("%w: %d trustees and %d light nodes (want at least 4 and 1)", ErrBadConfig, c.Trustees, c.Lights)
	}
	if c.Phi == 0 {
		c.Phi = 600 * time.Millisecond
	}
	if c.Delta == 0 {
		c.Delta = 400 * time.Millisecond
	}
	if c.DiskMB == 0 {
		c.DiskMB = 48
	}
	if c.Subnet == 0 {
		c.Subnet = 1 + int(c.Seed%250)
	}
	if c.RecoverEpochs == 0 {
		c.RecoverEpochs = 60
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	if c.Dir == "" {
		return fmt.Errorf("%w: no directory", ErrBadConfig)
	}
	// Absolute: the trustees' configurations are rewritten with the paths they were
	// loaded with, which a relative directory would double.
	var err error
	if c.Dir, err = filepath.Abs(c.Dir); err != nil {
		return fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	return nil
}

// epoch is the network's cycle.
func (c *Config) epoch() time.Duration { return c.Phi + c.Delta }

// skewOf is the clock of node i under Skew.
func (c *Config) skewOf(i int) skew.Spec {
	if !c.Skew {
		return skew.Spec{}
	}
	switch i {
	case c.Trustees - 1:
		return skew.Spec{Rate: 1.1}
	case c.Trustees - 2:
		return skew.Spec{Offset: -2 * time.Minute}
	case c.Trustees:
		return skew.Spec{Rate: 0.9}
	case c.Trustees + 1:
		return skew.Spec{Rate: 1.1}
	case c.Trustees + 2:
		return skew.Spec{Jump: 5 * time.Minute, JumpAt: time.Minute}
	}
	return skew.Spec{}
}

// Result is what a run found.
type Result struct {
	Seed     uint64
	NetID    string // names the run's namespaces and links (Leftovers)
	Faults   []Fault
	Findings []string // every property found broken; none when the run held
	JobsPaid int      // jobs the buyer bought and paid for
	Summary  string
	Dir      string
}

// Run starts the network, applies the schedule of cfg.Seed, heals, checks, and
// writes history.jsonl and summary.txt into cfg.Dir. The error is for a run that could
// not be made or torn down; broken properties are Result.Findings.
func Run(ctx context.Context, cfg Config) (res *Result, err error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if err := CheckPrivileges(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	hist, err := newHistory(filepath.Join(cfg.Dir, "history.jsonl"))
	if err != nil {
		return nil, err
	}
	defer hist.close()
	var idb [2]byte
	rand.Read(idb[:])
	c := &cluster{cfg: cfg}
	defer func() {
		if terr := c.teardown(); terr != nil {
			err = errors.Join(err, fmt.Errorf("teardown: %w", terr))
		}
	}()
	hist.Event("setup", "%d trustees, %d light nodes, seed %d, epoch %v", cfg.Trustees, cfg.Lights, cfg.Seed, cfg.epoch())
	if err := c.setup(hex.EncodeToString(idb[:])); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	r := &runner{c: c, h: hist, signed: map[int]*devnet.SignedLog{}, diskBefore: -1, buys: map[string]int{}}
	for _, nd := range c.trustees() {
		r.signed[nd.index] = devnet.NewSignedLog(keys.PublicKey{})
	}
	res = &Result{Seed: cfg.Seed, Dir: cfg.Dir, NetID: c.net.id}
	res.Faults = Schedule(cfg.Seed, Shape{Trustees: cfg.Trustees, Lights: cfg.Lights, Duration: cfg.Duration, Epoch: cfg.epoch(), DiskTrustee: cfg.DiskTrustee})
	r.res = res

	sctx, stopSampling := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { r.sample(sctx) })
	defer func() { stopSampling(); wg.Wait() }()

	if err := r.waitStarted(ctx); err != nil {
		r.find("%v", err)
	} else {
		if cfg.Skew {
			r.calmClock(ctx)
		}
		bctx, stopBuying := context.WithCancel(ctx)
		var bwg sync.WaitGroup
		bwg.Go(func() { r.buy(bctx) })
		r.nemesis(ctx)
		r.heal()
		if ctx.Err() != nil {
			// Interrupted: no live checks, but a clean stop and the stores' checks.
			r.find("interrupted %v into the run", r.h.Since().Round(time.Second))
		} else {
			r.check(ctx)
		}
		stopBuying()
		bwg.Wait()
		r.stopAll()
		r.checkStores()
	}
	stopSampling()
	wg.Wait()
	r.mu.Lock()
	res.JobsPaid = r.buys["paid"]
	r.mu.Unlock()
	res.Summary = r.summary()
	if err := os.WriteFile(filepath.Join(cfg.Dir, "summary.txt"), []byte(res.Summary), 0o644); err != nil {
		return res, err
	}
	return res, nil
}

// runner is the state of one run.
type runner struct {
	c   *cluster
	h   *History
	res *Result

	mu         sync.Mutex
	signed     map[int]*devnet.SignedLog // what each trustee's WAL showed it signed
	walRecords int
	diskBefore int64 // the full-disk trustee's height when its disk filled
	diskFills  int
	diskStops  int
	recovered  time.Duration // from the last heal to the next certified block
	healHeight int64
	buys       map[string]int
}

func (r *runner) find(format string, a ...any) {
	s := fmt.Sprintf(format, a...)
	r.mu.Lock()
	r.res.Findings = append(r.res.Findings, s)
	r.mu.Unlock()
	r.h.Event("finding", "%s", s)
	r.c.cfg.Logf("FINDING: %s", s)
}

// sample records every node's height once a second. A light node's clock line that
// shows a rate beyond dcc.MaxClockRate either way is a finding (once per node): the
// DCC refuses such a span, whatever the faults did to the receipts.
func (r *runner) sample(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	implausible := map[string]bool{}
	for {
		for _, nd := range r.c.nodes {
			h, tip, rate := r.c.height(nd)
			r.h.Sample(nd.Name, h, tip, rate)
			// The cycles are whole nanoseconds per epoch: a span at the bound may read
			// a hair beyond it.
			const slack = 1e-6
			if rate != 0 && (rate > dcc.MaxClockRate+slack || rate < 1/dcc.MaxClockRate-slack) && !implausible[nd.Name] {
				implausible[nd.Name] = true
				r.find("%s: the clock line showed the rate %.3f, beyond the DCC's bound %.2f", nd.Name, rate, dcc.MaxClockRate)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// waitFor polls cond every 200 ms until it holds or d passes.
func waitFor(ctx context.Context, d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
	return true
}

// waitStarted waits until every node is at height 3 or more.
func (r *runner) waitStarted(ctx context.Context) error {
	var dead error
	ok := waitFor(ctx, 3*time.Minute, func() bool {
		for _, nd := range r.c.nodes {
			if exited, err := nd.Exit(); exited {
				dead = fmt.Errorf("%s exited at the start (%v): %s", nd.Name, err, lastLine(nd.Log()))
				return true
			}
		}
		for _, nd := range r.c.nodes {
			if h, _, _ := r.c.height(nd); h < 3 {
				return false
			}
		}
		return true
	})
	if dead != nil {
		return dead
	}
	if !ok {
		return fmt.Errorf("the network did not start: not every node at height 3 within 3 minutes")
	}
	r.h.Event("started", "every node at height 3 or more")
	return nil
}

// nemesis applies the schedule.
func (r *runner) nemesis(ctx context.Context) {
	begin := time.Now()
	for _, f := range r.res.Faults {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(begin.Add(f.At))):
		}
		r.h.Event("fault", "%s", f)
		r.c.cfg.Logf("%6.1fs %s", r.h.Since().Seconds(), f)
		r.apply(f)
		select {
		case <-ctx.Done():
		case <-time.After(f.For):
		}
		r.undo(f)
		r.h.Event("heal", "%s", f.Kind)
	}
}

// rulesFor sets every namespace's iptables rules for the drops of f (none: healed).
func (r *runner) rules(f *Fault) {
	nodes := r.c.nodes
	var d map[int]map[int]bool
	if f != nil {
		d = drops(*f, len(nodes), r.c.cfg.Trustees)
	}
	for i, nd := range nodes {
		var rules [][]string
		for from := range d[i] {
			rules = append(rules, []string{"INPUT", "-s", nodes[from].Host.IP, "-j", "DROP"})
		}
		if f != nil && f.Kind == Loss {
			for _, j := range f.Nodes {
				if j == i {
					rules = append(rules, []string{"INPUT", "!", "-s", r.c.net.HostIP(), "-m", "statistic", "--mode", "random",
						"--probability", fmt.Sprintf("%.3f", f.Prob), "-j", "DROP"})
				}
			}
		}
		if len(rules) == 0 && f != nil {
			continue
		}
		if err := nd.Host.Rules(rules); err != nil {
			r.find("iptables on %s: %v", nd.Name, err)
		}
	}
}

func (r *runner) apply(f Fault) {
	switch f.Kind {
	case Halves, Isolate, CutLight, OneWay, Loss:
		r.rules(&f)
	case Delay:
		for _, i := range f.Nodes {
			r.c.proxies[i].Set(f.Lag, f.Jitter)
		}
	case Reorder:
		for _, i := range f.Nodes {
			r.c.proxies[i].SetReorder(f.Prob, f.Lag)
		}
	case Pause:
		if err := r.c.nodes[f.Nodes[0]].Pause(); err != nil {
			r.find("pause %s: %v", r.c.nodes[f.Nodes[0]].Name, err)
		}
	case Kill:
		nd := r.c.nodes[f.Nodes[0]]
		nd.Kill()
		if nd.trustee {
			r.readWAL(nd)
		}
	case DiskFull:
		nd := r.c.nodes[f.Nodes[0]]
		r.diskBefore = devnet.Height(nd.metrics)
		if err := r.c.fill(); err != nil {
			r.find("fill the disk of %s: %v", nd.Name, err)
		}
		r.diskFills++
		r.h.Event("disk", "%s's disk full at height %d", nd.Name, r.diskBefore)
	}
}

func (r *runner) undo(f Fault) {
	switch f.Kind {
	case Halves, Isolate, CutLight, OneWay, Loss:
		r.rules(nil)
	case Delay:
		for _, i := range f.Nodes {
			r.c.proxies[i].Set(0, 0)
		}
	case Reorder:
		for _, i := range f.Nodes {
			r.c.proxies[i].SetReorder(0, 0)
		}
	case Pause:
		r.c.nodes[f.Nodes[0]].Resume()
	case Kill:
		if err := r.c.nodes[f.Nodes[0]].Start(); err != nil {
			r.find("restart: %v", err)
		}
	case DiskFull:
		r.freeDisk(r.c.nodes[f.Nodes[0]])
	}
}

// freeDisk frees the full-disk trustee's space and checks how it went: stopped with
// a clear line, or still running; restarted if it stopped.
func (r *runner) freeDisk(nd *node) {
	if exited, _ := nd.Exit(); exited {
		// As systemd's Restart=on-failure would: a start on the disk still full must
		// fail as clearly, or run, and lose nothing.
		r.readWAL(nd)
		if err := nd.Start(); err != nil {
			r.find("restart %s: %v", nd.Name, err)
		}
		stopped := waitFor(context.Background(), 15*time.Second, func() bool { exited, _ := nd.Exit(); return exited })
		_, err := nd.Exit()
		r.h.Event("disk", "%s restarted on the full disk: stopped again %v (%v)", nd.Name, stopped, err)
	}
	if err := r.c.free(); err != nil {
		r.find("free the disk of %s: %v", nd.Name, err)
	}
	exited, err := nd.Exit()
	r.h.Event("disk", "%s's disk freed; exited %v (%v)", nd.Name, exited, err)
	if exited {
		r.diskStops++
		if !nd.Contains("no space left on device") {
			r.find("%s stopped on a full disk without saying so: %v", nd.Name, err)
		}
		r.readWAL(nd)
		if err := nd.Start(); err != nil {
			r.find("restart %s: %v", nd.Name, err)
		}
	}
	before := r.diskBefore
	if before < 0 {
		return
	}
	ctx := context.Background()
	if !waitFor(ctx, time.Duration(r.c.cfg.RecoverEpochs)*r.c.cfg.epoch()+time.Minute, func() bool { return devnet.Height(nd.metrics) >= before }) {
		r.find("%s back from a full disk below the height %d it had committed (now %d)", nd.Name, before, devnet.Height(nd.metrics))
	}
}

// heal ends every fault: no rules, nothing paused, every process running, space free.
func (r *runner) heal() {
	r.rules(nil)
	for _, px := range r.c.proxies {
		px.Set(0, 0)
		px.SetReorder(0, 0)
	}
	if r.c.tmpfs != "" {
		r.c.free()
	}
	for _, nd := range r.c.nodes {
		nd.Resume()
		if !nd.Running() {
			if nd.trustee {
				r.readWAL(nd)
			}
			if err := nd.Start(); err != nil {
				r.find("restart %s: %v", nd.Name, err)
			}
		}
	}
	r.h.Event("heal-all", "every fault healed")
}

// readWAL adds what the stopped trustee nd's WAL holds to what it signed.
func (r *runner) readWAL(nd *node) {
	if nd.Running() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n, err := r.signed[nd.index].Read(nd.dataDir)
	r.walRecords += n
	if err != nil {
		r.mu.Unlock()
		r.find("%s's WAL: %v", nd.Name, err)
		r.mu.Lock()
	}
}

// buy has the last light node buy a job whenever it can pay for one.
func (r *runner) buy(ctx context.Context) {
	buyer := r.c.lights()[len(r.c.lights())-1]
	jobs := 0
	if err := os.MkdirAll(filepath.Join(r.c.cfg.Dir, "jobs"), 0o755); err != nil {
		r.find("jobs folder: %v", err)
		return
	}
	for ctx.Err() == nil {
		s, ok := lightStatus(buyer.dir, 2*time.Second)
		if !ok || s.Balance < 400 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(2 * time.Second):
			}
			continue
		}
		jctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		jobs++
		// A folder of its own for each job's output: daoli job run refuses one that
		// holds something.
		cmd := exec.CommandContext(jctx, r.c.cfg.Bins.Daoli, "job", "run", "pi", "--arg", "2000", "--max-price", "150", "--deadline", "60s",
			"--out", filepath.Join(r.c.cfg.Dir, "jobs", strconv.Itoa(jobs)), "--data", buyer.dir)
		cmd.Env = append(os.Environ(), "DAOLI_PASSPHRASE="+passphrase)
		out, err := cmd.CombinedOutput()
		cancel()
		outcome := "paid"
		if err != nil {
			outcome = "failed"
			if ctx.Err() != nil {
				return
			}
		}
		r.mu.Lock()
		r.buys[outcome]++
		r.mu.Unlock()
		r.h.Event("job", "%s: %s", outcome, lastLine(string(out)))
		if err != nil {
			// A refused transaction's nonce is given up on after a few blocks
			// (node/light's staleNonce): no point retrying at once.
			select {
			case <-ctx.Done():
				return
			case <-time.After(2 * r.c.cfg.epoch()):
			}
		}
	}
}

func lastLine(s string) string {
	for len(s) > 0 && s[len(s)-1] == '\n' {
		s = s[:len(s)-1]
	}
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			return s[i+1:]
		}
	}
	return s
}

// stopAll stops every process with SIGTERM: each must exit cleanly.
func (r *runner) stopAll() {
	var wg sync.WaitGroup
	for _, nd := range r.c.nodes {
		wg.Go(func() {
			if err := nd.Stop(time.Minute); err != nil {
				r.find("stop: %v", err)
			}
		})
	}
	wg.Wait()
	for _, nd := range r.c.trustees() {
		r.readWAL(nd)
	}
	r.h.Event("stopped", "every process stopped")
}
