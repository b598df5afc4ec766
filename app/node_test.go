//go:build unix

package app

import (
	"bytes"
	"context"
	cryptorand "crypto/rand"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/internal/trusteetest"
	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/control"
	"github.com/daolicloud/daoli/node/devnet"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/light"
	"github.com/daolicloud/daoli/node/network"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/store"
)

const e2eWait = 3 * time.Minute

// daoliCmd runs this test binary as the daoli command line.
func daoliCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runCLIEnv+"=1", PassphraseEnv+"=e2e passphrase")
	return cmd
}

// trusteeNet is a devnet of daoli-trustee processes.
type trusteeNet struct {
	networkFile string
	procs       []*exec.Cmd
	logs        []*nodetest.Buffer
}

func startTrustees(t testing.TB, n int) *trusteeNet {
	tm := trusteetest.Fast
	return startTrusteesWith(t, n, tm.Phi, tm.Delta, tm.Cycle)
}

// startTrusteesWith starts n daoli-trustee processes of a devnet with the given DCC
// windows and genesis cycle.
func startTrusteesWith(t testing.TB, n int, phi, delta, cycle string) *trusteeNet {
	t.Helper()
	tmp := t.TempDir()
	bin := trusteetest.Build(t, tmp)
	dir := filepath.Join(tmp, "devnet")
	ts := trusteetest.Devnet(t, bin, dir, n, trusteetest.Timing{Phi: phi, Delta: delta, Cycle: cycle})
	tn := &trusteeNet{networkFile: filepath.Join(dir, devnet.NetworkFile)}
	for _, tr := range ts {
		cmd := exec.Command(bin, "run", "--config", tr.Path)
		lg := new(nodetest.Buffer)
		cmd.Stderr = lg
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		tn.procs, tn.logs = append(tn.procs, cmd), append(tn.logs, lg)
	}
	t.Cleanup(func() {
		for _, c := range tn.procs {
			c.Process.Signal(syscall.SIGTERM)
			c.Wait()
		}
	})
	return tn
}

// lightProc is one `daoli node` process with its data directory.
type lightProc struct {
	dir string
	cmd *exec.Cmd
	log *nodetest.Buffer
}

// shareAlways saves the sharing setting "always" in a data directory: these test
// machines run other tests at full load, which in mode auto pauses mining.
func shareAlways(t testing.TB, dir string) {
	t.Helper()
	s := capacity.DefaultSettings(2)
	s.Mode = capacity.Always
	if err := (capacity.FileSettingsStore{Path: filepath.Join(dir, sharingSettingsFile)}).Save(s); err != nil {
		t.Fatal(err)
	}
}

func newLight(t *testing.T, networkFile string) *lightProc {
	return newLightChosen(t, networkFile, false)
}

// newLightChosen is newLight; with chosen, the network is chosen as the app's
// Settings screen chooses it (a copy kept in the data directory) and the node starts
// without --network.
func newLightChosen(t *testing.T, networkFile string, chosen bool) *lightProc {
	t.Helper()
	p := &lightProc{dir: t.TempDir(), log: new(nodetest.Buffer)}
	if out, err := daoliCmd("wallet", "new", "--data", p.dir).CombinedOutput(); err != nil {
		t.Fatalf("wallet new: %v\n%s", err, out)
	}
	shareAlways(t, p.dir)
	if chosen {
		data, err := os.ReadFile(networkFile)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := chooseNetwork(p.dir, data); err != nil {
			t.Fatal(err)
		}
		networkFile = ""
	}
	p.start(t, networkFile)
	t.Cleanup(func() {
		if p.cmd != nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	return p
}

// start runs `daoli node` on networkFile, or with "" on the network its data
// directory chose.
func (p *lightProc) start(t *testing.T, networkFile string) {
	t.Helper()
	args := []string{"node", "--data", p.dir, "--listen", "/ip4/127.0.0.1/tcp/0"}
	if networkFile != "" {
		args = append(args, "--network", networkFile)
	}
	p.cmd = daoliCmd(args...)
	p.cmd.Stderr = p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
}

// status asks the node's control API; ok is false while the node is not serving.
func (p *lightProc) status() (control.Status, bool) {
	c, err := control.Dial(p.dir)
	if err != nil {
		return control.Status{}, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := c.Status(ctx)
	return s, err == nil
}

func (p *lightProc) client(t testing.TB) *control.Client {
	t.Helper()
	c, err := control.Dial(p.dir)
	if err != nil {
		t.Fatalf("%s: %v\n%s", p.dir, err, p.log.String())
	}
	return c
}

// reconcile proves the wallet's balance and checks that the ledger up to the proof's
// height adds up to exactly that balance (the wallets start empty).
func (p *lightProc) reconcile(t testing.TB) (control.Balance, []control.Entry) {
	t.Helper()
	c := p.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := c.Balance(ctx)
	if err != nil {
		t.Fatalf("balance: %v", err)
	}
	es, err := c.Ledger(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	seen := map[[2]uint64]bool{}
	for _, e := range es {
		k := [2]uint64{e.Height, uint64(e.Index)}
		if seen[k] {
			t.Fatalf("ledger entry %d/%d twice", e.Height, e.Index)
		}
		seen[k] = true
		if e.Height <= b.Height {
			sum += e.Amount
		}
	}
	if sum != int64(b.Balance) {
		t.Fatalf("%s: ledger up to %d sums to %d, proven balance %d", b.Address, b.Height, sum, b.Balance)
	}
	return b, es
}

func (p *lightProc) stop(t testing.TB) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("daoli node: %v\n%s", err, p.log.String())
	}
	p.cmd = nil
}

func waitUntil(t testing.TB, what string, cond func() bool, dump func()) {
	t.Helper()
	deadline := time.Now().Add(e2eWait)
	for !cond() {
		if time.Now().After(deadline) {
			dump()
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestLightNodesEndToEnd runs four daoli-trustee processes and three `daoli node`
// processes with fresh wallets (one joining the network chosen in its data directory,
// not named on its command line) for 200 epochs: every light node wins epochs and earns
// payroll wages, and each ledger adds up exactly to the balance the trustees prove.
// Then one light node is SIGKILLed at random moments and restarted 20 times: it reopens
// with its keystore, chain and ledger consistent, and its ledger still adds up exactly,
// so no earning was lost or counted twice.
func TestLightNodesEndToEnd(t *testing.T) {
	tn := startTrustees(t, 4)
	// The third node takes the network chosen in its data directory, as after a choice
	// in the app's Settings, rather than --network.
	nodes := []*lightProc{newLight(t, tn.networkFile), newLight(t, tn.networkFile), newLightChosen(t, tn.networkFile, true)}
	dump := func() {
		for i, l := range tn.logs {
			t.Logf("trustee %d:\n%s", i, l.String())
		}
		for i, n := range nodes {
			t.Logf("light node %d:\n%s", i, n.log.String())
		}
	}
	want, err := network.Load(tn.networkFile)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range nodes {
		waitUntil(t, "the light node to serve", func() bool { _, ok := n.status(); return ok }, dump)
		if s, _ := n.status(); s.Demo || s.ChainID != want.ChainID || s.Network != want.Name {
			t.Fatalf("light node %d follows %q, chain %q (demo: %v); want %q, chain %q", i, s.Network, s.ChainID, s.Demo, want.Name, want.ChainID)
		}
	}
	start := time.Now()
	waitUntil(t, "every light node at height 200", func() bool {
		for _, n := range nodes {
			if s, ok := n.status(); !ok || s.Height < 200 {
				return false
			}
		}
		return true
	}, dump)
	t.Logf("3 light nodes followed 200 epochs in %v", time.Since(start).Round(time.Second))
	for i, n := range nodes {
		s, _ := n.status()
		b, es := n.reconcile(t)
		t.Logf("light node %d: %d wins, %d payroll wages, %d tickets, balance %d proven at %d, %d ledger entries",
			i, s.Wins, s.Payrolls, s.Tickets, b.Balance, b.Height, len(es))
		if s.Wins == 0 || s.Payrolls == 0 {
			t.Errorf("light node %d: %d wins and %d payroll wages in 200 epochs", i, s.Wins, s.Payrolls)
		}
	}

	// Kill one light node at random moments; every restart must find its data whole.
	seed := uint64(time.Now().UnixNano())
	t.Logf("kill schedule seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	victim := nodes[0]
	for i := range 20 {
		time.Sleep(time.Duration(rng.IntN(1500)) * time.Millisecond)
		if err := victim.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		victim.cmd.Wait()
		checkLightStore(t, victim.dir)
		victim.start(t, tn.networkFile)
		waitUntil(t, "the restarted node to serve", func() bool { _, ok := victim.status(); return ok }, dump)
		if i%5 == 4 {
			// A balance is proven by a trustee: wait until the restarted node has one.
			waitUntil(t, "the restarted node connected to a trustee", func() bool { s, ok := victim.status(); return ok && s.Trustees > 0 }, dump)
			victim.reconcile(t)
		}
	}
	lead, _ := nodes[1].status()
	waitUntil(t, "the killed node to catch up", func() bool {
		s, ok := victim.status()
		return ok && s.Height >= lead.Height+5 && s.Earned > 0
	}, dump)
	victim.reconcile(t)
	for _, n := range nodes {
		n.stop(t)
	}
}

// checkLightStore opens a light node's database after a kill: the headers run from
// genesis to the tip without a gap, and no ledger entry lies beyond the tip.
func checkLightStore(t *testing.T, dir string) {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "node", light.DBFile), nil)
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer st.Close()
	tip, _, err := st.Tip()
	if err != nil {
		t.Fatal(err)
	}
	for h := uint64(0); h <= tip; h++ {
		if _, err := st.Header(h); err != nil {
			t.Fatalf("after kill: header %d of %d: %v", h, tip, err)
		}
	}
	err = st.Earnings().Range(0, func(height uint64, index uint32, rec []byte) error {
		if height > tip {
			return errors.New("ledger entry beyond the tip")
		}
		_, err := light.DecodeEntry(rec)
		return err
	})
	if err != nil {
		t.Fatalf("after kill: %v", err)
	}
}

// TestNodeOnDemoNetwork starts `daoli node` with nothing configured: it runs the
// embedded local demo network and the user's light node, and the CLI's commands talk
// to it through the control API.
func TestNodeOnDemoNetwork(t *testing.T) {
	p := &lightProc{dir: t.TempDir(), log: new(nodetest.Buffer)}
	if out, err := daoliCmd("wallet", "new", "--data", p.dir).CombinedOutput(); err != nil {
		t.Fatalf("wallet new: %v\n%s", err, out)
	}
	shareAlways(t, p.dir)
	p.cmd = daoliCmd("node", "--data", p.dir)
	p.cmd.Stderr = p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd != nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	cli := func(args ...string) []byte {
		t.Helper()
		cmd := daoliCmd(append(args, "--data", p.dir, "--json")...)
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("daoli %v: %v: %s", args, err, errOut.String())
		}
		return out
	}
	// A light node keeps p2p.LightTrustees of the demo's four trustees (docs/p2p.md,
	// "Connections"), not all of them.
	waitUntil(t, "a balance read from the chain, on its trustees", func() bool {
		s, ok := p.status()
		return ok && s.Height > 0 && s.BalanceHeight > 0 && s.Balance > 0 && s.Trustees >= p2p.LightTrustees
	}, func() { t.Log(p.log.String()) })

	var st struct {
		Height  uint64
		Address string
		Balance uint64
		Wins    int
		Peers   int
		Node    struct {
			Demo     bool
			Network  string
			Trustees int
		}
	}
	if err := json.Unmarshal(cli("status"), &st); err != nil {
		t.Fatal(err)
	}
	if st.Height == 0 || !strings.HasPrefix(st.Address, "dao1") || st.Balance == 0 || st.Node.Trustees < p2p.LightTrustees || st.Peers < st.Node.Trustees || !st.Node.Demo {
		t.Fatalf("status %+v", st)
	}
	var bal control.Balance
	if err := json.Unmarshal(cli("wallet", "balance"), &bal); err != nil || bal.Balance == 0 || bal.Height == 0 {
		t.Fatalf("balance %+v, %v", bal, err)
	}
	var hist []control.Entry
	if err := json.Unmarshal(cli("wallet", "history"), &hist); err != nil || len(hist) == 0 {
		t.Fatalf("history %d entries, %v", len(hist), err)
	}
	var sent control.SendResponse
	k, err := keys.Generate(cryptorand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other := k.Address().String()
	if err := json.Unmarshal(cli("wallet", "send", other, "1", "--fee", "1"), &sent); err != nil || sent.Tx.IsZero() {
		t.Fatalf("send: %+v, %v", sent, err)
	}
	out, err := daoliCmd("wallet", "send", other, "999999999999", "--data", p.dir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "balance") {
		t.Fatalf("send above the balance: %v %s", err, out)
	}
	// The job below is paid from what the node earns while it shares: it stops
	// earning once sharing is off.
	waitUntil(t, "a balance to pay for a job", func() bool {
		s, ok := p.status()
		return ok && s.Balance >= 400
	}, func() { t.Log(p.log.String()) })
	var sh control.SharingState
	if err := json.Unmarshal(cli("share", "off"), &sh); err != nil || sh.On || sh.Mode != "never" {
		t.Fatalf("share off: %+v, %v", sh, err)
	}
	if err := json.Unmarshal(cli("share", "status"), &sh); err != nil || sh.On || sh.Running {
		t.Fatalf("share status after off: %+v, %v", sh, err)
	}

	// Buying compute from the demo network's provider, and what is refused.
	bad := filepath.Join(t.TempDir(), "bad.wasm")
	if err := os.WriteFile(bad, []byte("not a module"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"job", "run", "nosuch"}, "no example job"},
		{[]string{"job", "run", bad}, "invalid module"},
		{[]string{"job", "run", "pi", "--max-price", "0"}, "maximum price"},
		{[]string{"job", "run", "pi", "--deadline", "soon"}, "not a duration"},
		{[]string{"job", "show", "ffff"}, "no job"},
		{[]string{"job", "run"}, "want 1 argument"},
	} {
		out, err := daoliCmd(append(c.args, "--data", p.dir)...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) {
			t.Errorf("daoli %v: %v, %s; want an error saying %q", c.args, err, out, c.want)
		}
	}
	// Bad input exits with 2 before anything is sent, and touches nothing.
	full := t.TempDir()
	keep := filepath.Join(full, "keep.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	linked := t.TempDir()
	if err := os.Symlink(keep, filepath.Join(linked, "link")); err != nil {
		t.Fatal(err)
	}
	imports := filepath.Join(t.TempDir(), "imports.wasm")
	if err := os.WriteFile(imports, envImportModule, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"job", "run", "pi", "--out", full}, "--out: directory not empty"},
		{[]string{"job", "run", "pi", "--out", keep}, "is a file"},
		{[]string{"job", "run", "pi", "--in", filepath.Join(full, "absent")}, "the input"},
		{[]string{"job", "run", "linestat", "--in", linked}, "neither a file nor a directory"},
		{[]string{"job", "run", "pi", "--env", "NOEQUALS"}, "is not NAME=value"},
		{[]string{"job", "run", "pi", "--env", "A=1", "--env", "A=2"}, "environment variable A twice"},
		{[]string{"job", "run", "pi", "--memory", "5000"}, "--memory 5000"},
		{[]string{"job", "run", "pi", "--time", "2h"}, "--time 2h0m0s"},
		{[]string{"job", "run", imports}, "wasi_snapshot_preview1"},
		{[]string{"job", "run", filepath.Join(full, "absent.wasm")}, "is not a file"},
	} {
		cmd := daoliCmd(append(c.args, "--data", p.dir)...)
		out, err := cmd.CombinedOutput()
		if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), c.want) {
			t.Errorf("daoli %v: %v, %s; want exit 2 saying %q", c.args, err, out, c.want)
		}
	}
	if got, err := os.ReadFile(keep); err != nil || string(got) != "mine" {
		t.Fatalf("a refused run changed a file: %q, %v", got, err)
	}
	outDir := filepath.Join(t.TempDir(), "pi")
	job := daoliCmd("job", "run", "pi", "--arg", "50000", "--max-price", "150", "--out", outDir, "--data", p.dir)
	var progress bytes.Buffer
	job.Stderr = &progress
	if err := job.Run(); err != nil {
		t.Fatalf("daoli job run: %v\n%s\n%s", err, progress.String(), p.log.String())
	}
	if res, err := os.ReadFile(filepath.Join(outDir, "stdout")); err != nil || !strings.Contains(string(res), "3.1") {
		t.Fatalf("the job's output %q, %v", res, err)
	}
	if res, err := os.ReadFile(filepath.Join(outDir, "stderr")); err != nil || len(res) != 0 {
		t.Fatalf("the job's standard error %q, %v", res, err)
	}
	if !strings.Contains(progress.String(), "Done: paid 120") {
		t.Fatalf("progress of the job:\n%s", progress.String())
	}
	var jobs []control.JobView
	if err := json.Unmarshal(cli("job", "list"), &jobs); err != nil || len(jobs) != 1 || jobs[0].Outcome != "paid" {
		t.Fatalf("job list: %+v, %v", jobs, err)
	}
	p.stop(t)
	if !strings.Contains(p.log.String(), "node stopped") {
		t.Fatalf("no clean stop:\n%s", p.log.String())
	}
}

// envImportModule is a WASI command that also imports env.foo, which a job may not.
var envImportModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // a type: func()
	0x02, 0x0b, 0x01, 0x03, 'e', 'n', 'v', 0x03, 'f', 'o', 'o', 0x00, 0x00, // import env.foo
	0x03, 0x02, 0x01, 0x00, // one function of that type
	0x07, 0x0a, 0x01, 0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x01, // export it as _start
	0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, // its body: nothing
}
