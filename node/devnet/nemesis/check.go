package nemesis

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/control"
	"github.com/daolicloud/daoli/node/devnet"
	"github.com/daolicloud/daoli/node/internal/skew"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/light"
	"github.com/daolicloud/daoli/node/network"
	"github.com/daolicloud/daoli/node/store"
	"github.com/daolicloud/daoli/node/trustee"
)

// check runs the live checks after the last heal: the network certifies again, every
// light node catches up, every ledger equals the proven balance, and skewed clocks show.
func (r *runner) check(ctx context.Context) {
	cfg := r.c.cfg
	bound := time.Duration(cfg.RecoverEpochs) * cfg.epoch()
	var top int64
	for _, nd := range r.c.trustees() {
		top = max(top, devnet.Height(nd.metrics))
	}
	r.healHeight = top
	healed := time.Now()
	// Processes restarted at the heal take a while to start; the bound is in epochs
	// beyond a minute for that.
	if !waitFor(ctx, bound+time.Minute, func() bool {
		for _, nd := range r.c.trustees() {
			if devnet.Height(nd.metrics) > top {
				return true
			}
		}
		return false
	}) {
		r.find("no block certified within %d epochs (+1 min) of the last heal, above height %d", cfg.RecoverEpochs, top)
		return
	}
	r.recovered = time.Since(healed)
	r.h.Event("recovered", "a block above %d certified %v after the last heal (%.1f epochs)", top, r.recovered.Round(time.Millisecond), r.recovered.Seconds()/cfg.epoch().Seconds())
	goal := top + 3
	if !waitFor(ctx, bound+time.Minute, func() bool {
		for _, nd := range r.c.nodes {
			if h, _, _ := r.c.height(nd); h < goal {
				return false
			}
		}
		return true
	}) {
		var behind []string
		for _, nd := range r.c.nodes {
			if h, _, _ := r.c.height(nd); h < goal {
				behind = append(behind, fmt.Sprintf("%s at %d", nd.Name, h))
			}
		}
		r.find("not every node reached height %d within %d epochs (+1 min) of the last heal: %s", goal, cfg.RecoverEpochs, strings.Join(behind, ", "))
	} else {
		r.h.Event("caught-up", "every node at height %d or more, %v after the last heal", goal, time.Since(healed).Round(time.Millisecond))
	}
	r.ticketsAfterHeal(ctx)
	// The buyer buys on through the checks; by now it must have paid for a job, or
	// pay for one soon.
	if !waitFor(ctx, 3*time.Minute, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.buys["paid"] > 0
	}) {
		r.find("the buyer paid for no job, through the faults and 3 minutes after the heal")
	}
	for _, nd := range r.c.lights() {
		r.reconcile(ctx, nd)
	}
}

// reconcile checks that a light node's ledger up to its proven balance's height sums
// to exactly that balance (its wallet starts empty).
func (r *runner) reconcile(ctx context.Context, nd *node) {
	cl, err := control.Dial(nd.dir)
	if err != nil {
		r.find("%s: control API: %v", nd.Name, err)
		return
	}
	var b control.Balance
	// A balance is proven by a trustee; the node may need a moment to reach one.
	var berr error
	waitFor(ctx, time.Minute, func() bool {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		b, berr = cl.Balance(cctx)
		return berr == nil
	})
	if berr != nil {
		r.find("%s: balance: %v", nd.Name, berr)
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	es, err := cl.Ledger(cctx, 0)
	if err != nil {
		r.find("%s: ledger: %v", nd.Name, err)
		return
	}
	var sum int64
	seen := map[[2]uint64]bool{}
	for _, e := range es {
		k := [2]uint64{e.Height, uint64(e.Index)}
		if seen[k] {
			r.find("%s: ledger entry %d/%d twice", nd.Name, e.Height, e.Index)
		}
		seen[k] = true
		if e.Height <= b.Height {
			sum += e.Amount
		}
	}
	r.h.Event("ledger", "%s: %d entries; %d up to height %d, proven balance %d", nd.Name, len(es), sum, b.Height, b.Balance)
	if sum != int64(b.Balance) {
		r.find("%s: ledger up to height %d sums to %d, the proven balance is %d", nd.Name, b.Height, sum, b.Balance)
	}
}

// clockLine is a light node's status as its dashboard's clock line reads it.
func clockLine(s control.Status) string {
	if s.CycleBlocks < 2 || s.PrivateCycle <= 0 {
		return fmt.Sprintf("network %v, this computer's clock counted as exact (%d blocks)", s.GlobalCycle.Round(time.Millisecond), s.CycleBlocks)
	}
	return fmt.Sprintf("network %v, this computer %v, rate %.3f, from %d blocks",
		s.GlobalCycle.Round(time.Millisecond), s.PrivateCycle.Round(time.Millisecond), float64(s.GlobalCycle)/float64(s.PrivateCycle), s.CycleBlocks)
}

// skewed are the light nodes whose clocks run skewed.
func (r *runner) skewed() []*node {
	var ns []*node
	for _, nd := range r.c.lights() {
		if nd.skew != (skew.Spec{}) {
			ns = append(ns, nd)
		}
	}
	return ns
}

// calmClock runs before the faults: every skewed light node has tickets taken, and
// the clock line of each whose clock runs at a skewed rate comes to show that rate
// (within 5 %) once the DCC has calibrated on 10 live blocks. It records how long
// that took; past 60 epochs it is a finding.
func (r *runner) calmClock(ctx context.Context) {
	const blocks = 10
	begin := time.Now()
	last := map[string]control.Status{}
	good := func(nd *node, s control.Status) bool {
		if s.Tickets == 0 {
			return false
		}
		if nd.skew.Rate == 0 {
			return true
		}
		if s.CycleBlocks < blocks || s.PrivateCycle <= 0 || s.GlobalCycle <= 0 {
			return false
		}
		seen := float64(s.PrivateCycle) / float64(s.GlobalCycle)
		return math.Abs(seen-nd.skew.Rate) <= 0.05*nd.skew.Rate
	}
	ok := waitFor(ctx, 60*r.c.cfg.epoch(), func() bool {
		all := true
		for _, nd := range r.skewed() {
			s, sok := lightStatus(nd.dir, 2*time.Second)
			if sok {
				last[nd.Name] = s
			}
			all = all && sok && good(nd, s)
		}
		return all
	})
	took := time.Since(begin)
	for _, nd := range r.c.lights() {
		s, sok := last[nd.Name]
		if !sok {
			s, sok = lightStatus(nd.dir, 5*time.Second)
		}
		r.h.Event("clock", "before the faults, %s (skew %q): %s; %d tickets taken, %d wins", nd.Name, nd.skew.String(), clockLine(s), s.Tickets, s.Wins)
		if nd.skew != (skew.Spec{}) && !good(nd, s) {
			r.find("%s, clock skewed %s: after %d epochs, %s; %d tickets taken", nd.Name, nd.skew, 60, clockLine(s), s.Tickets)
		}
	}
	if ok {
		r.h.Event("clock", "skewed clocks shown right and their tickets taken %.1f epochs after the start", took.Seconds()/r.c.cfg.epoch().Seconds())
	}
}

// ticketsAfterHeal checks that every skewed light node has a ticket taken after the
// last heal.
func (r *runner) ticketsAfterHeal(ctx context.Context) {
	for _, nd := range r.c.lights() {
		first, ok := lightStatus(nd.dir, 5*time.Second)
		if !ok {
			r.find("%s: no status after the heal", nd.Name)
			continue
		}
		var last control.Status
		taken := waitFor(ctx, 30*r.c.cfg.epoch()+30*time.Second, func() bool {
			s, ok := lightStatus(nd.dir, 2*time.Second)
			last = s
			return ok && s.Tickets > first.Tickets
		})
		r.h.Event("clock", "after the heal, %s (skew %q): %s; %d tickets taken, %d wins", nd.Name, nd.skew.String(), clockLine(last), last.Tickets, last.Wins)
		if !taken {
			r.find("%s (skew %q): no ticket taken after the last heal", nd.Name, nd.skew)
		}
	}
}

// storedChain is what a stopped node's database holds.
type storedChain struct {
	name   string
	hashes []chain.Hash
	blocks []*chain.Block // trustees only
	certs  []*chain.Cert  // trustees only; certs[h] for h ≥ 1
}

func readTrusteeChain(name, dataDir string) (*storedChain, error) {
	st, err := store.Open(filepath.Join(dataDir, trustee.DBFile), nil)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if err := st.CheckConsistency(); err != nil {
		return nil, err
	}
	tip, _, err := st.Tip()
	if err != nil {
		return nil, err
	}
	c := &storedChain{name: name, hashes: make([]chain.Hash, tip+1), blocks: make([]*chain.Block, tip+1), certs: make([]*chain.Cert, tip+1)}
	for h := uint64(0); h <= tip; h++ {
		b, err := st.Block(h)
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", h, err)
		}
		c.hashes[h], c.blocks[h] = b.Hash(), b
		if h == 0 {
			continue
		}
		cert, err := st.Cert(h)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", h, err)
		}
		if cert.Epoch != h || cert.Block != c.hashes[h] {
			return nil, fmt.Errorf("certificate %d is for epoch %d, block %s; the block is %s", h, cert.Epoch, cert.Block.Short(), c.hashes[h].Short())
		}
		c.certs[h] = cert
	}
	return c, nil
}

func readLightChain(name, dir string) (*storedChain, error) {
	st, err := store.Open(filepath.Join(dir, "node", light.DBFile), nil)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	tip, _, err := st.Tip()
	if err != nil {
		return nil, err
	}
	c := &storedChain{name: name, hashes: make([]chain.Hash, tip+1)}
	for h := uint64(0); h <= tip; h++ {
		hd, err := st.Header(h)
		if err != nil {
			return nil, fmt.Errorf("header %d: %w", h, err)
		}
		c.hashes[h] = hd.Hash()
	}
	return c, nil
}

// checkStores reads every stopped node's store: one block per height across all of
// them, the supply invariant at every height, and no trustee's precommit in any
// certificate that conflicts with another of its precommits or with its WAL.
func (r *runner) checkStores() {
	var chains []*storedChain
	for _, nd := range r.c.nodes {
		var c *storedChain
		var err error
		if nd.trustee {
			c, err = readTrusteeChain(nd.Name, nd.dataDir)
		} else {
			c, err = readLightChain(nd.Name, nd.dir)
		}
		if err != nil {
			r.find("%s's store: %v", nd.Name, err)
			continue
		}
		chains = append(chains, c)
	}
	if len(chains) == 0 {
		return
	}
	// One block per height on every node.
	byHeight := map[int]map[chain.Hash][]string{}
	for _, c := range chains {
		for h, x := range c.hashes {
			if byHeight[h] == nil {
				byHeight[h] = map[chain.Hash][]string{}
			}
			byHeight[h][x] = append(byHeight[h][x], c.name)
		}
	}
	for h, m := range byHeight {
		if len(m) > 1 {
			var parts []string
			for x, who := range m {
				parts = append(parts, fmt.Sprintf("%s on %s", x.Short(), strings.Join(who, " ")))
			}
			slices.Sort(parts)
			r.find("two certified blocks at height %d: %s", h, strings.Join(parts, "; "))
		}
	}
	// The supply invariant at every height, replaying the longest trustee chain.
	var longest *storedChain
	for _, c := range chains {
		if c.blocks != nil && (longest == nil || len(c.blocks) > len(longest.blocks)) {
			longest = c
		}
	}
	if longest != nil {
		r.checkSupply(longest)
	}
	// Precommits in certificates: never two blocks for one trustee, epoch and round,
	// and none other than its WAL says it signed.
	type key struct {
		t     keys.PublicKey
		epoch uint64
		round uint32
	}
	seen := map[key]chain.Hash{}
	checked := 0
	byKey := map[keys.PublicKey]*devnet.SignedLog{}
	for _, l := range r.signed {
		if l.Self() != (keys.PublicKey{}) {
			byKey[l.Self()] = l
		}
	}
	for _, c := range chains {
		for _, cert := range c.certs {
			if cert == nil {
				continue
			}
			for _, s := range cert.Sigs {
				k := key{s.Trustee, cert.Epoch, cert.Round}
				if old, ok := seen[k]; ok && old != cert.Block {
					r.find("trustee %s precommitted %s and %s in epoch %d round %d", s.Trustee.String()[:8], old.Short(), cert.Block.Short(), cert.Epoch, cert.Round)
				}
				seen[k] = cert.Block
				if l := byKey[s.Trustee]; l != nil {
					if h, ok := l.Precommit(cert.Epoch, cert.Round); ok {
						checked++
						if h != cert.Block {
							r.find("%s holds a precommit of trustee %s for %s in epoch %d round %d; its WAL has %s", c.name, s.Trustee.String()[:8], cert.Block.Short(), cert.Epoch, cert.Round, h.Short())
						}
					}
				}
			}
		}
	}
	r.h.Event("stores", "%d stores read; tips %s; %d precommits checked against the WALs (%d WAL records read)", len(chains), tips(chains), checked, r.walRecords)
	// Logs: no panic, no race, no equivocation, no halt but on a full disk.
	for _, nd := range r.c.nodes {
		log := nd.Log()
		for _, bad := range []string{"panic:", "DATA RACE", "equivocation", "fatal error:"} {
			if strings.Contains(log, bad) {
				r.find("%s logged %q", nd.Name, bad)
			}
		}
		if nd.trustee && strings.Contains(log, "trustee halted") && !(nd.index == r.c.cfg.DiskTrustee && strings.Contains(log, "no space left on device")) {
			r.find("%s halted", nd.Name)
		}
	}
}

func tips(cs []*storedChain) string {
	var s []string
	for _, c := range cs {
		s = append(s, fmt.Sprintf("%s %d", c.name, len(c.hashes)-1))
	}
	return strings.Join(s, ", ")
}

// checkSupply replays c from its genesis: every block applies onto its parent's state
// to its header's state root, and after each Σ balances + bonds + unbonding + escrow
// equals the genesis supply + minted − burned.
func (r *runner) checkSupply(c *storedChain) {
	nf, err := network.Load(r.c.network)
	if err != nil {
		r.find("network file: %v", err)
		return
	}
	st, err := nf.Genesis.State()
	if err != nil {
		r.find("genesis state: %v", err)
		return
	}
	for h := 1; h < len(c.blocks); h++ {
		next, _, err := chain.Apply(st, c.blocks[h])
		if err != nil {
			r.find("%s: block %d does not apply: %v", c.name, h, err)
			return
		}
		st = next
		if err := supplyHolds(st); err != nil {
			r.find("%s: height %d: %v", c.name, h, err)
			return
		}
	}
	r.h.Event("supply", "the supply invariant holds at every height 1–%d of %s", len(c.blocks)-1, c.name)
}

func supplyHolds(s *chain.State) error {
	var total uint64
	if err := s.ForEachAccount(func(a chain.Account) error { total += a.Balance; return nil }); err != nil {
		return err
	}
	reg := s.Registry()
	for _, t := range reg.Bonded {
		total += t.Bond
	}
	for _, u := range reg.Unbonding {
		total += u.Amount
	}
	total += s.Market().Escrow
	p, m := s.Params(), s.Meta()
	if want := p.GenesisSupply + m.Minted - m.Burned; total != want {
		return fmt.Errorf("supply invariant broken: coins %d, genesis %d + minted %d − burned %d = %d", total, p.GenesisSupply, m.Minted, m.Burned, want)
	}
	return nil
}
