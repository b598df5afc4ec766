//go:build unix

package main

import (
	"io"
	"net/http"
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
	"github.com/daolicloud/daoli/node/store"
	"github.com/daolicloud/daoli/node/trustee"
)

const waitFor = 120 * time.Second

// e2eTrustee is one daoli-trustee process of an end-to-end test, restartable.
type e2eTrustee struct {
	bin, config, metrics, dataDir string
	cmd                           *exec.Cmd
	log                           *nodetest.Buffer
}

func (p *e2eTrustee) start(t *testing.T) {
	t.Helper()
	if p.log == nil {
		p.log = new(nodetest.Buffer)
	}
	p.cmd = exec.Command(p.bin, "run", "--config", p.config)
	p.cmd.Stdout, p.cmd.Stderr = io.Discard, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
}

// stop sends SIGTERM and expects a clean exit with the stop logged.
func (p *e2eTrustee) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("trustee %s: %v\n%s", p.config, err, p.log.String())
	}
	if !strings.Contains(p.log.String(), "trustee stopped") {
		t.Fatalf("trustee %s did not log its stop", p.config)
	}
	p.cmd = nil
}

// e2eNet is a devnet of trustee processes.
type e2eNet struct {
	t     *testing.T
	procs []*e2eTrustee
}

// startE2E builds daoli-trustee, writes an n-trustee devnet with a 300 ms cycle and
// starts one process per trustee; every process still running is killed at cleanup.
func startE2E(t *testing.T, n int) *e2eNet {
	t.Helper()
	tmp := t.TempDir()
	bin := trusteetest.Build(t, tmp)
	ts := trusteetest.Devnet(t, bin, filepath.Join(tmp, "devnet"), n, trusteetest.Fast)
	net := &e2eNet{t: t}
	t.Cleanup(func() {
		for _, p := range net.procs {
			if p.cmd != nil {
				p.cmd.Process.Kill()
				p.cmd.Wait()
			}
		}
	})
	for _, tr := range ts {
		p := &e2eTrustee{bin: bin, config: tr.Path, metrics: tr.Metrics, dataDir: tr.DataDir}
		p.start(t)
		net.procs = append(net.procs, p)
	}
	return net
}

// heights reads the chain height of the trustees given (all when none are).
func (n *e2eNet) heights(which ...int) []int {
	if len(which) == 0 {
		for i := range n.procs {
			which = append(which, i)
		}
	}
	hs := make([]int, len(which))
	for j, i := range which {
		hs[j] = int(devnet.Height(n.procs[i].metrics))
	}
	return hs
}

// waitHeight polls until each trustee in which reports at least h.
func (n *e2eNet) waitHeight(h int, which ...int) time.Duration {
	n.t.Helper()
	start := time.Now()
	for {
		hs := n.heights(which...)
		if slices.Min(hs) >= h {
			return time.Since(start)
		}
		if time.Since(start) > waitFor {
			n.dumpLogs()
			n.t.Fatalf("heights %v after %v, want %d", hs, waitFor, h)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (n *e2eNet) dumpLogs() {
	for i, p := range n.procs {
		n.t.Logf("trustee %d log:\n%s", i, p.log.String())
	}
}

// chains opens every trustee's database (all processes stopped) and returns the block
// hash at each height of each chain.
func (n *e2eNet) chains() [][]chain.Hash {
	n.t.Helper()
	var out [][]chain.Hash
	for i, p := range n.procs {
		st, err := store.Open(filepath.Join(p.dataDir, trustee.DBFile), nil)
		if err != nil {
			n.t.Fatalf("trustee %d: %v", i, err)
		}
		tip, _, err := st.Tip()
		if err != nil {
			n.t.Fatalf("trustee %d: %v", i, err)
		}
		hashes := make([]chain.Hash, tip+1)
		for h := uint64(0); h <= tip; h++ {
			b, err := st.Block(h)
			if err != nil {
				n.t.Fatalf("trustee %d block %d: %v", i, h, err)
			}
			hashes[h] = b.Hash()
		}
		if err := st.Close(); err != nil {
			n.t.Fatal(err)
		}
		out = append(out, hashes)
	}
	return out
}

// TestProcesses is the four-trustee network as operators run it: one daoli-trustee
// process per trustee. It certifies 100 epochs; with one trustee stopped the other
// three go on; with two stopped the network stalls, and no trustee certifies a block
// another does not have; restarted, the two catch up and the network resumes. Every
// stop is a SIGTERM that must end the process cleanly.
func TestProcesses(t *testing.T) {
	net := startE2E(t, 4)

	took := net.waitHeight(100)
	t.Logf("4 trustee processes: height 100 in %v", took.Round(time.Millisecond))
	checkMetrics(t, net.procs[0].metrics)

	net.procs[3].stop(t)
	h := slices.Max(net.heights(0, 1, 2))
	took = net.waitHeight(h+10, 0, 1, 2)
	t.Logf("trustee 3 stopped: 3 trustees certified 10 more epochs in %v", took.Round(time.Millisecond))

	net.procs[2].stop(t)
	// Precommits already on the wire may still certify the epoch in progress; after
	// that, two of four trustees are below the quorum of three and nothing certifies.
	settle := slices.Max(net.heights(0, 1)) + 1
	time.Sleep(time.Second)
	stalled := net.heights(0, 1)
	if slices.Max(stalled) > settle {
		t.Fatalf("two trustees alone went from %d to %v", settle-1, stalled)
	}
	window := 10 * 300 * time.Millisecond
	time.Sleep(window)
	if now := net.heights(0, 1); !slices.Equal(now, stalled) {
		t.Fatalf("two trustees certified without a quorum: %v then %v", stalled, now)
	}
	t.Logf("trustees 2 and 3 stopped: stalled at %v for %v", stalled, window)

	net.procs[2].start(t)
	net.procs[3].start(t)
	resume := slices.Max(stalled) + 10
	took = net.waitHeight(resume)
	t.Logf("trustees 2 and 3 restarted: all 4 at height %d in %v", resume, took.Round(time.Millisecond))

	for _, p := range net.procs {
		p.stop(t)
	}
	chains := net.chains()
	for i := 1; i < len(chains); i++ {
		common := min(len(chains[0]), len(chains[i]))
		for h := range common {
			if chains[0][h] != chains[i][h] {
				t.Fatalf("fork at height %d: trustee 0 has %s, trustee %d has %s", h, chains[0][h].Short(), i, chains[i][h].Short())
			}
		}
	}
	for _, p := range net.procs {
		if strings.Contains(p.log.String(), "equivocation") {
			net.dumpLogs()
			t.Fatal("an honest trustee was reported for equivocation")
		}
	}
}

// checkMetrics reads a trustee's metrics and status page: every metric operators are
// promised is there, and the status page says what the trustee is doing.
func checkMetrics(t *testing.T, addr string) {
	t.Helper()
	body := func(path string) string {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	metrics := body("/metrics")
	for _, name := range []string{
		"daoli_chain_height ", "daoli_round ", `daoli_votes_total{kind="prevote"} `, `daoli_votes_total{kind="precommit"} `,
		"daoli_peers ", "daoli_mempool_txs ", "daoli_certification_seconds_bucket{", "daoli_certification_seconds_count ",
	} {
		if !strings.Contains(metrics, "\n"+name) {
			t.Errorf("metrics lack %q", name)
		}
	}
	if c := metricValue(metrics, "daoli_certification_seconds_count"); c < 50 {
		t.Errorf("certification latency observed %v times after 100 epochs", c)
	}
	if p := metricValue(metrics, "daoli_peers"); p < 3 {
		t.Errorf("daoli_peers = %v, want at least the 3 other trustees", p)
	}
	status := body("/")
	for _, want := range []string{"<td>height</td>", "daoli-devnet", "Trustees (4)"} {
		if !strings.Contains(status, want) {
			t.Errorf("status page lacks %q:\n%s", want, status)
		}
	}
}

func metricValue(text, name string) float64 {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return -1
}
