package light

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/devnet"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/network"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/trustee"
)

const waitFor = 90 * time.Second

func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	nodetest.Poll(t, time.Now().Add(waitFor), what, cond)
}

// Timings of the test devnets: the light node's own tests run a 300 ms cycle; the
// market's run 600 ms, which leaves a deal's epochs room for its job.
var (
	fastTiming   = devnet.Options{Phi: 150 * time.Millisecond, Delta: 100 * time.Millisecond, Cycle: 300 * time.Millisecond}
	marketTiming = devnet.Options{Phi: 300 * time.Millisecond, Delta: 150 * time.Millisecond, Cycle: 600 * time.Millisecond}
)

// startDevnet runs four trustees in this process with a 300 ms cycle.
func startDevnet(t *testing.T) (string, *network.File) {
	dir, nf, _ := startDevnetWith(t, fastTiming)
	return dir, nf
}

func startDevnetNodes(t *testing.T) (string, *network.File, *devnet.Devnet) {
	return startDevnetWith(t, fastTiming)
}

// startDevnetWith runs four trustees in this process with the timing opts; they stop
// when the test ends.
func startDevnetWith(tb testing.TB, opts devnet.Options) (string, *network.File, *devnet.Devnet) {
	tb.Helper()
	dir := tb.TempDir()
	nf, err := devnet.Genesis(dir, 4, opts)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d, err := devnet.Start(ctx, dir, trustee.NodeOptions{Logger: nodetest.Logger()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cancel()
		d.Stop()
	})
	return dir, nf, d
}

// userKey is the key of the devnet in dir's funded user i.
func userKey(tb testing.TB, dir string, i int) *keys.Key {
	tb.Helper()
	k, err := keys.LoadKeyFile(devnet.UserKeyFile(dir, i))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// testConfig is the configuration of a node of wallet on the test devnet nf: on
// loopback, off the DHT, one miner worker, logging to the test's logger.
func testConfig(t testing.TB, nf *network.File, wallet *keys.Key) Config {
	c := DefaultConfig(nf, t.TempDir())
	c.Wallet, c.MinerWorkers, c.Logger = wallet, 1, nodetest.Logger()
	c.Listen, c.DHT = []string{"/ip4/127.0.0.1/tcp/0"}, false
	return c
}

func startLight(t *testing.T, nf *network.File, wallet *keys.Key) *Node {
	t.Helper()
	c := testConfig(t, nf, wallet)
	c.Mine = wallet != nil
	n, err := Start(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	return n
}

// reconcile proves the wallet's balance and checks that the genesis balance plus the
// ledger up to the proof's height is exactly that balance.
func reconcile(t *testing.T, n *Node) Account {
	t.Helper()
	acct, err := n.Balance(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	es, err := n.Ledger(0)
	if err != nil {
		t.Fatal(err)
	}
	sum := int64(n.start)
	for _, e := range es {
		if e.Height <= acct.Height {
			sum += e.Signed()
		}
	}
	if sum != int64(acct.Balance) {
		t.Fatalf("%s: genesis %d + ledger = %d, proven balance at %d is %d", n.Address(), n.start, sum, acct.Height, acct.Balance)
	}
	return acct
}

// TestLightNodes runs two mining light nodes against a four-trustee devnet: both
// follow the chain, win or make the payroll, and their ledgers reconcile exactly with
// the balances the trustees prove; a transfer between them lands in both ledgers.
func TestLightNodes(t *testing.T) {
	dir, nf := startDevnet(t)
	funded, err := keys.LoadKeyFile(devnet.UserKeyFile(dir, 0))
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := keys.Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a, b := startLight(t, nf, funded), startLight(t, nf, fresh)
	events, stop := b.Subscribe()
	defer stop()

	poll(t, "both light nodes earning", func() bool {
		sa, sb := a.Status(), b.Status()
		return sa.Height >= 15 && sb.Height >= 15 && sa.Earned > 0 && sb.Earned > 0
	})
	for _, n := range []*Node{a, b} {
		s := n.Status()
		t.Logf("%s: height %d, %d wins, %d payroll wages, earned %d, %d tickets", n.Address().String()[:12], s.Height, s.Wins, s.Payrolls, s.Earned, s.Tickets)
		reconcile(t, n)
	}
	// The trustees as the Network screen lists them: the set, by seniority, each with
	// its votes in the certificates checked, connected, and a round trip once pinged.
	if s := a.Status(); s.SetSize != 4 || s.CertSigners < 3 || s.CycleBlocks < 2 || s.GlobalCycle <= 0 || s.PrivateCycle <= 0 {
		t.Fatalf("certificate %d of %d signers; clock from %d blocks, cycles %v and %v", s.CertSigners, s.SetSize, s.CycleBlocks, s.GlobalCycle, s.PrivateCycle)
	}
	// The dashboard's lottery: a draw seen, expected wins at a measured hash rate, and
	// the wins counted in the same epochs agree with the wallet's.
	if l := a.Lottery(); l.Last.Epoch == 0 || l.Current != l.Last.Epoch+1 || l.Epochs < 15 || l.Odds.Admission <= 0 || l.Odds.PerDay <= 0 || l.Won > a.Status().Wins {
		t.Fatalf("lottery: last epoch %d, current %d, %d epochs, admission %.2f, %.1f a day, won %d (wallet %d)", l.Last.Epoch, l.Current, l.Epochs, l.Odds.Admission, l.Odds.PerDay, l.Won, a.Status().Wins)
	}
	// Each trustee's vote is counted once a certificate the node checked carried it
	// among the signatures verified; on a busy machine one trustee can lag behind the
	// quorum for a while, so this is waited for, not read once.
	// The node keeps connections with p2p.LightTrustees of the four trustees.
	connected := func(ts []TrusteeInfo) (k int) {
		for _, tr := range ts {
			if tr.Connected {
				k++
			}
		}
		return k
	}
	poll(t, "every trustee with a vote verified, and LightTrustees of them connected", func() bool {
		ts := a.Trustees()
		for _, tr := range ts {
			if tr.Signed == 0 {
				return false
			}
		}
		return len(ts) == 4 && connected(ts) == p2p.LightTrustees
	})
	ts := a.Trustees()
	if len(ts) != 4 {
		t.Fatalf("%d trustees listed, want 4", len(ts))
	}
	for i, tr := range ts {
		if tr.Seniority != uint64(i) || tr.Of == 0 || tr.Signed == 0 || tr.Signed > tr.Of || tr.Refused != "" {
			t.Fatalf("trustee %d: seniority %d, signed %d of %d, refused %q", i, tr.Seniority, tr.Signed, tr.Of, tr.Refused)
		}
	}
	if k := connected(ts); k != p2p.LightTrustees {
		t.Fatalf("%d trustees connected, want %d", k, p2p.LightTrustees)
	}
	var sawBlock, sawEarning bool
	for !sawBlock || !sawEarning {
		select {
		case e := <-events:
			sawBlock = sawBlock || e.Kind == EventBlock
			sawEarning = sawEarning || e.Kind == EventWon || e.Kind == EventPayroll
		case <-time.After(waitFor):
			t.Fatal("no block or earning event")
		}
	}

	before := reconcile(t, b)
	h, err := a.Send(context.Background(), b.Address(), 12345, 7, "thanks")
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "the transfer in both ledgers", func() bool {
		es, err := b.Ledger(before.Height)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.Source == SourceReceived && e.Tx == h && e.Amount == 12345 && e.Peer == a.Address() {
				return true
			}
		}
		return false
	})
	reconcile(t, a)
	reconcile(t, b)
	es, err := a.Ledger(0)
	if err != nil {
		t.Fatal(err)
	}
	var sent, fee bool
	for _, e := range es {
		sent = sent || (e.Source == SourceSent && e.Tx == h && e.Amount == 12345)
		fee = fee || (e.Source == SourceFeePaid && e.Tx == h && e.Amount == 7)
	}
	if !sent || !fee {
		t.Fatalf("sender's ledger lacks the transfer (%v) or its fee (%v)", sent, fee)
	}
}

// TestGovernorEvents: the node reports each decision of the sharing governor, and the
// miner follows the gate.
func TestGovernorEvents(t *testing.T) {
	_, nf := startDevnet(t)
	k, err := keys.Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	gate := capacity.NewGate(nil)
	c := testConfig(t, nf, k)
	c.Mine, c.Gate = true, gate
	n, err := Start(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	events, stop := n.Subscribe()
	defer stop()
	next := func(want bool) capacity.GateState {
		t.Helper()
		for {
			select {
			case e := <-events:
				if e.Kind == EventGovernor && e.Gate.Run == want {
					return e.Gate
				}
			case <-time.After(waitFor):
				t.Fatalf("no governor event with Run=%v", want)
			}
		}
	}
	gate.Apply(capacity.Decision{Run: true, Cores: 1, Duty: 1, Reason: "idle"})
	if s := next(true); s.Reason != "idle" {
		t.Fatalf("gate state %+v", s)
	}
	poll(t, "a ticket mined with the gate open", func() bool { return n.Status().Tickets > 0 })
	gate.Pause("user is typing")
	if s := next(false); s.Reason != "user is typing" {
		t.Fatalf("gate state %+v", s)
	}
}

// TestLightNodeFollowsMembership: a demo user bonds as a trustee; at the next
// membership boundary the set grows to five, and the light node takes the new set
// from the block that the new set certifies and follows on.
func TestLightNodeFollowsMembership(t *testing.T) {
	dir, nf, d := startDevnetNodes(t)
	n := startLight(t, nf, nil)
	user, err := keys.LoadKeyFile(devnet.UserKeyFile(dir, 1))
	if err != nil {
		t.Fatal(err)
	}
	bond := chain.NewTx(user, nf.ChainID, 0, 1, &chain.TrusteeBond{Amount: devnet.DefaultBond, Addrs: []string{"/ip4/127.0.0.1/tcp/1"}})
	if _, err := d.Nodes[0].Trustee.SubmitTx(context.Background(), bond); err != nil {
		t.Fatal(err)
	}
	var joined uint64
	poll(t, "the light node following a five-trustee set", func() bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		if len(n.fol.Set()) == 5 && joined == 0 {
			joined = n.fol.Height()
		}
		return joined > 0 && n.fol.Height() >= joined+3
	})
	t.Logf("the set grew to 5 at block %d; the light node followed to %d", joined, n.Height())
}
