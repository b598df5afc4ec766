//go:build unix

package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/internal/trusteetest"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/devnet"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/store"
	"github.com/daolicloud/daoli/node/trustee"
)

// crashKills is how many times TestCrashRestart kills trustee 0.
const crashKills = 20

// crashWait bounds every wait of TestCrashRestart: far above what a healthy network
// needs, so that only a stuck one reaches it.
const crashWait = 30 * time.Second

// crashProc is one daoli-trustee process of TestCrashRestart. Its log runs on across
// restarts; exited is closed when the current process has ended.
type crashProc struct {
	bin, config, metrics, dataDir string
	key                           keys.PublicKey
	log                           *nodetest.Buffer
	cmd                           *exec.Cmd
	exited                        chan struct{}
	err                           error // why the process ended, once exited is closed
}

func (p *crashProc) start(t *testing.T) {
	t.Helper()
	fmt.Fprintf(p.log, "--- start %s\n", time.Now().Format(time.TimeOnly+".000"))
	cmd := exec.Command(p.bin, "run", "--config", p.config)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited = cmd, exited
	go func() {
		p.err = cmd.Wait()
		close(exited)
	}()
}

// running reports whether the process started last is still running.
func (p *crashProc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// kill ends the process with SIGKILL, as a power cut or the OOM killer would.
func (p *crashProc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	fmt.Fprintf(p.log, "--- killed %s\n", time.Now().Format(time.TimeOnly+".000"))
}

// terminate sends SIGTERM and reports whether the process exited cleanly in time.
func (p *crashProc) terminate() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-p.exited:
	case <-time.After(crashWait):
		p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("no exit %v after SIGTERM", crashWait)
	}
	return p.err
}

// crashNet is the devnet of TestCrashRestart.
type crashNet struct {
	t     *testing.T
	procs []*crashProc
}

// startCrashNet builds daoli-trustee, writes an n-trustee devnet with a 300 ms cycle
// and starts one process per trustee; every process still running is killed at cleanup.
func startCrashNet(t *testing.T, n int) *crashNet {
	t.Helper()
	tmp := t.TempDir()
	bin := trusteetest.Build(t, tmp)
	ts := trusteetest.Devnet(t, bin, filepath.Join(tmp, "devnet"), n, trusteetest.Fast)
	net := &crashNet{t: t}
	t.Cleanup(func() {
		for _, p := range net.procs {
			if p.cmd != nil && p.running() {
				p.cmd.Process.Kill()
				<-p.exited
			}
		}
	})
	for _, tr := range ts {
		key, err := keys.LoadKeyFile(tr.KeyFile)
		if err != nil {
			t.Fatal(err)
		}
		p := &crashProc{bin: bin, config: tr.Path, metrics: tr.Metrics, dataDir: tr.DataDir, key: key.Public(), log: new(nodetest.Buffer)}
		p.start(t)
		net.procs = append(net.procs, p)
	}
	return net
}

// fail logs every trustee's output and fails the test.
func (n *crashNet) fail(format string, a ...any) {
	n.t.Helper()
	for i, p := range n.procs {
		n.t.Logf("trustee %d log:\n%s", i, p.log.String())
	}
	n.t.Fatalf(format, a...)
}

// heights reads the chain heights of the trustees in which.
func (n *crashNet) heights(which ...int) []int {
	hs := make([]int, len(which))
	for j, i := range which {
		hs[j] = int(devnet.Height(n.procs[i].metrics))
	}
	return hs
}

// check fails the test when a trustee that should run has exited, or when any log
// tells of an equivocation or a halt.
func (n *crashNet) check() {
	n.t.Helper()
	for i, p := range n.procs {
		if p.cmd != nil && !p.running() {
			n.fail("trustee %d exited: %v", i, p.err)
		}
		log := p.log.String()
		for _, bad := range []string{"equivocation", "trustee halted", "panic:", "DATA RACE"} {
			if strings.Contains(log, bad) {
				n.fail("trustee %d logged %q", i, bad)
			}
		}
	}
}

// waitUntil polls cond, checking the processes on the way, until it holds; what
// describes the wait in the failure.
func (n *crashNet) waitUntil(what string, cond func() bool) {
	n.t.Helper()
	deadline := time.Now().Add(crashWait)
	for !cond() {
		n.check()
		if time.Now().After(deadline) {
			n.fail("%s: not within %v", what, crashWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// crashMode is when TestCrashRestart kills trustee 0.
type crashMode int

const (
	killTimed     crashMode = iota // a while after trustee 0 has caught up
	killEarly                      // a while after its restart
	killAfterVote                  // just after it has signed a vote
)

func (m crashMode) String() string {
	return [...]string{"caught up", "restarted", "after a vote"}[m]
}

// votesSigned reads the votes a trustee signed since it started from its metrics;
// -1 when unreachable.
func votesSigned(addr string) int {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	n := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "daoli_votes_total{") {
			continue
		}
		_, v, _ := strings.Cut(sc.Text(), "} ")
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return -1
		}
		n += int(f)
	}
	return n
}

// storedChain is what a stopped trustee's database holds.
type storedChain struct {
	hashes   []chain.Hash
	evidence int          // Evidence transactions in its blocks
	certs    []chain.Cert // the certificate of each height above genesis
}

func readChain(dataDir string) (*storedChain, error) {
	st, err := store.Open(filepath.Join(dataDir, trustee.DBFile), nil)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	tip, _, err := st.Tip()
	if err != nil {
		return nil, err
	}
	c := &storedChain{hashes: make([]chain.Hash, tip+1)}
	for h := uint64(0); h <= tip; h++ {
		b, err := st.Block(h)
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", h, err)
		}
		c.hashes[h] = b.Hash()
		for i := range b.Payload {
			if b.Payload[i].Kind == chain.KindEvidence {
				c.evidence++
			}
		}
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
		c.certs = append(c.certs, *cert)
	}
	return c, nil
}

// TestCrashRestart kills trustee 0 of a four-trustee network of processes with
// SIGKILL 20 times, at random moments (a while after it caught up, right after a
// restart, just after it signed a vote), and restarts it after a random pause. For
// the last 10 kills trustee 3 is stopped, so that trustee 0 is in every quorum and a
// crash leaves its epoch undecided until it is back.
//
// Trustee 0 never signs two different votes for one kind, epoch and round, and its
// log never holds two different proposals or reports for one epoch and round: not in
// the union of its write-ahead log as read after every kill, nor (votes) against its
// precommits in the certificates the other trustees stored; no trustee
// ever logs an equivocation, and no block carries Evidence. After every restart the
// others certify on; at the end trustees 0 and 3 catch up, every process stops cleanly
// on SIGTERM, and the four chains agree.
//
// The kill times come from a seed the test logs; DAOLI_CRASH_SEED replays them.
func TestCrashRestart(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("DAOLI_CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("DAOLI_CRASH_SEED: %v", err)
		}
	}
	t.Logf("seed %d (DAOLI_CRASH_SEED=%d replays the kill times)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	begin := time.Now()
	net := startCrashNet(t, 4)
	victim := net.procs[0]
	others := []int{1, 2, 3}
	signed := devnet.NewSignedLog(victim.key)
	net.waitUntil("all four certify height 5", func() bool { return slices.Min(net.heights(0, 1, 2, 3)) >= 5 })

	records := 0
	for i := range crashKills {
		iterStart := time.Now()
		if i == crashKills/2 {
			// From here on trustee 0 is in every quorum: a crash leaves its epoch
			// undecided, and only its write-ahead log keeps the restarted trustee from
			// signing anew what it signed before.
			if err := net.procs[3].terminate(); err != nil {
				net.fail("trustee 3: SIGTERM: %v", err)
			}
			net.procs[3].cmd = nil
			others = []int{1, 2}
			t.Log("trustee 3 stopped")
		}
		// A kill comes at a random moment once trustee 0 has caught up and takes part
		// in every epoch, or right after its restart while it restores and catches
		// up, or just after it has signed a vote, while the round is still going on.
		mode := crashMode(rng.IntN(3))
		if i == 0 {
			mode = killTimed
		}
		delay := time.Duration(rng.IntN(900)) * time.Millisecond
		if mode == killAfterVote {
			delay = time.Duration(rng.IntN(4)) * time.Millisecond
		}
		// Down for long, a trustee of four lags and syncs, which takes a while; one of
		// three stalls the network, whose timeouts then run while it is away.
		down := time.Duration(rng.IntN(400)) * time.Millisecond
		if len(others) == 2 {
			down = time.Duration(rng.IntN(1500)) * time.Millisecond
		}
		if mode != killEarly {
			net.waitUntil(fmt.Sprintf("kill %d: trustee 0 catches up", i+1), func() bool {
				h0 := int(devnet.Height(victim.metrics))
				return h0 > 0 && h0 >= slices.Min(net.heights(others...))-1
			})
		}
		if mode == killAfterVote {
			signedBefore := votesSigned(victim.metrics)
			net.waitUntil(fmt.Sprintf("kill %d: trustee 0 signs a vote", i+1), func() bool {
				return votesSigned(victim.metrics) > signedBefore
			})
		}
		caught := time.Since(iterStart)
		time.Sleep(delay)
		net.check()
		before := slices.Min(net.heights(others...))
		victim.kill(t)

		n, err := signed.Read(victim.dataDir)
		if err != nil {
			net.fail("kill %d: trustee 0's WAL: %v", i+1, err)
		}
		records += n
		t.Logf("kill %d %s +%v at height %d: %d WAL records; down for %v (caught up %v)", i+1, mode, delay, before, n, down, caught.Round(time.Millisecond))
		time.Sleep(down)
		victim.start(t)

		net.waitUntil(fmt.Sprintf("kill %d: the network certifies past height %d", i+1, before), func() bool {
			return slices.Min(net.heights(others...)) > before
		})
	}

	net.procs[3].start(t)
	others = []int{1, 2, 3}
	net.waitUntil("trustees 0 and 3 catch up", func() bool {
		hs := net.heights(0, 1, 2, 3)
		return slices.Min(hs) > 0 && slices.Min(hs) >= slices.Max(hs)-2
	})
	final := slices.Max(net.heights(0, 1, 2, 3)) + 3
	net.waitUntil(fmt.Sprintf("all four certify height %d", final), func() bool {
		return slices.Min(net.heights(0, 1, 2, 3)) >= final
	})
	net.check()

	for i, p := range net.procs {
		if err := p.terminate(); err != nil {
			net.fail("trustee %d: SIGTERM: %v", i, err)
		}
		if !strings.Contains(p.log.String(), "trustee stopped") {
			net.fail("trustee %d did not log its stop", i)
		}
	}
	n, err := signed.Read(victim.dataDir)
	if err != nil {
		net.fail("trustee 0's WAL at the end: %v", err)
	}
	records += n

	chains := make([]*storedChain, len(net.procs))
	for i, p := range net.procs {
		if chains[i], err = readChain(p.dataDir); err != nil {
			net.fail("trustee %d: %v", i, err)
		}
		if chains[i].evidence > 0 {
			net.fail("trustee %d's chain holds %d Evidence transactions", i, chains[i].evidence)
		}
	}
	for i := 1; i < len(chains); i++ {
		common := min(len(chains[0].hashes), len(chains[i].hashes))
		for h := range common {
			if chains[0].hashes[h] != chains[i].hashes[h] {
				net.fail("fork at height %d: trustee 0 has %s, trustee %d has %s", h, chains[0].hashes[h].Short(), i, chains[i].hashes[h].Short())
			}
		}
	}
	// The precommits of trustee 0 that the others received and certified with must be
	// the ones its log says it signed.
	matched, inCerts := 0, 0
	for i, c := range chains {
		for _, cert := range c.certs {
			for _, s := range cert.Sigs {
				if s.Trustee != victim.key {
					continue
				}
				inCerts++
				h, ok := signed.Precommit(cert.Epoch, cert.Round)
				if !ok {
					continue // signed and pruned between two readings of the log
				}
				if h != cert.Block {
					net.fail("trustee %d holds trustee 0's precommit of epoch %d round %d for %s; its WAL has %s", i, cert.Epoch, cert.Round, cert.Block.Short(), h.Short())
				}
				matched++
			}
		}
	}
	if inCerts == 0 {
		net.fail("no certificate holds a precommit of trustee 0")
	}
	tips := make([]int, len(chains))
	for i, c := range chains {
		tips[i] = len(c.hashes) - 1
	}
	t.Logf("%d kills in %v: tips %v; %d WAL records read, %d distinct votes; %d of trustee 0's %d certified precommits checked against its WAL",
		crashKills, time.Since(begin).Round(time.Millisecond), tips, records, signed.Votes(), matched, inCerts)
}
