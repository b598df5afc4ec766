package nemesis

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/control"
	"github.com/daolicloud/daoli/node/devnet"
	"github.com/daolicloud/daoli/node/internal/skew"
	"github.com/daolicloud/daoli/node/trustee"
)

// proxiedPort is where a trustee listens behind its proxy, on its namespace's
// loopback.
const proxiedPort = 4002

// passphrase unlocks the light nodes' wallets (DAOLI_PASSPHRASE).
const passphrase = "nemesis passphrase"

// node is one trustee or light node of a run.
type node struct {
	*Proc
	index   int
	trustee bool
	dir     string // light: data directory; trustee: its directory
	dataDir string // trustee: its chain database directory
	metrics string // trustee: host:port
	skew    skew.Spec
}

// cluster is a run's network and processes.
type cluster struct {
	cfg     Config
	net     *Net
	nodes   []*node
	network string   // the network file
	tmpfs   string   // the mounted tmpfs, "" for none
	filler  string   // the file that fills it
	proxies []*Proxy // in front of each trustee, by trustee
}

func (c *cluster) trustees() []*node { return c.nodes[:c.cfg.Trustees] }
func (c *cluster) lights() []*node   { return c.nodes[c.cfg.Trustees:] }

// setup makes the network, the genesis, the wallets and the tmpfs, and starts every
// process.
func (c *cluster) setup(id string) error {
	var err error
	if c.net, err = NewNet(id, c.cfg.Subnet); err != nil {
		return err
	}
	n := c.cfg.Trustees + c.cfg.Lights
	hosts := make([]*Host, n)
	for i := range n {
		name := fmt.Sprintf("t%d", i)
		if i >= c.cfg.Trustees {
			name = fmt.Sprintf("l%d", i-c.cfg.Trustees)
		}
		if hosts[i], err = c.net.AddHost(name); err != nil {
			return err
		}
	}
	ips := make([]string, c.cfg.Trustees)
	for i := range ips {
		ips[i] = hosts[i].IP
	}
	dn := filepath.Join(c.cfg.Dir, "devnet")
	if _, err := devnet.Genesis(dn, c.cfg.Trustees, devnet.Options{
		ChainID: "daoli-nemesis", Name: "Nemesis network", Phi: c.cfg.Phi, Delta: c.cfg.Delta, Cycle: c.cfg.Phi + c.cfg.Delta,
		Metrics: true, Hosts: ips, Users: 1,
	}); err != nil {
		return err
	}
	c.network = filepath.Join(dn, devnet.NetworkFile)
	for i := range c.cfg.Trustees {
		d := devnet.TrusteeDir(dn, i)
		// The trustee listens on its namespace's loopback; a proxy in the namespace
		// takes the genesis address and forwards to it, so that the nemesis can delay
		// what reaches the trustee.
		cp := filepath.Join(d, devnet.ConfigFile)
		tc, err := trustee.LoadConfig(cp)
		if err != nil {
			return err
		}
		tc.Listen = []string{fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", proxiedPort)}
		if err := trustee.SaveConfig(cp, tc); err != nil {
			return err
		}
		px, err := listenInNS(hosts[i].NS, fmt.Sprintf("%s:%d", ips[i], devnet.HostPort), fmt.Sprintf("127.0.0.1:%d", proxiedPort))
		if err != nil {
			return fmt.Errorf("proxy for trustee %d: %w", i, err)
		}
		c.proxies = append(c.proxies, px)
		nd := &node{index: i, trustee: true, dir: d, dataDir: filepath.Join(d, "data"), metrics: fmt.Sprintf("%s:%d", ips[i], devnet.HostMetricsPort), skew: c.cfg.skewOf(i)}
		if i == c.cfg.DiskTrustee {
			if err := c.mountTmpfs(nd.dataDir); err != nil {
				return err
			}
		}
		nd.Proc = newProc(hosts[i].Name, hosts[i], filepath.Join(c.cfg.Dir, hosts[i].Name+".log"), c.cfg.Bins.Trustee,
			[]string{"run", "--config", filepath.Join(d, devnet.ConfigFile)}, c.env(nd.skew))
		c.nodes = append(c.nodes, nd)
	}
	for j := range c.cfg.Lights {
		i := c.cfg.Trustees + j
		d := filepath.Join(c.cfg.Dir, hosts[i].Name)
		nd := &node{index: i, dir: d, skew: c.cfg.skewOf(i)}
		wn := exec.Command(c.cfg.Bins.Daoli, "wallet", "new", "--data", d)
		wn.Env = append(os.Environ(), "DAOLI_PASSPHRASE="+passphrase)
		out, err := wn.CombinedOutput()
		if err != nil {
			return fmt.Errorf("daoli wallet new: %w\n%s", err, out)
		}
		// Mode always: a loaded test machine would pause mining in mode auto.
		s := capacity.DefaultSettings(1)
		s.Mode = capacity.Always
		if err := (capacity.FileSettingsStore{Path: filepath.Join(d, "sharing.json")}).Save(s); err != nil {
			return err
		}
		nd.Proc = newProc(hosts[i].Name, hosts[i], filepath.Join(c.cfg.Dir, hosts[i].Name+".log"), c.cfg.Bins.Daoli,
			[]string{"node", "--data", d, "--network", c.network, "--listen", fmt.Sprintf("/ip4/%s/tcp/%d", hosts[i].IP, devnet.HostPort)},
			c.env(nd.skew))
		c.nodes = append(c.nodes, nd)
	}
	for _, nd := range c.nodes {
		if err := nd.Start(); err != nil {
			return err
		}
	}
	return nil
}

func (c *cluster) env(s skew.Spec) []string {
	env := []string{"DAOLI_PASSPHRASE=" + passphrase, "GOMAXPROCS=2"}
	if sp := s.String(); sp != "" {
		env = append(env, skew.Env+"="+sp)
	}
	return env
}

// mountTmpfs mounts a small tmpfs at dir, for the full-disk fault.
func (c *cluster) mountTmpfs(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := run("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dm,mode=0700", c.cfg.DiskMB), "nemesis", dir); err != nil {
		return err
	}
	c.tmpfs, c.filler = dir, filepath.Join(dir, "filler")
	return nil
}

// fill writes the filler until the tmpfs has no space left.
func (c *cluster) fill() error {
	f, err := os.OpenFile(c.filler, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				break
			}
			return err
		}
	}
	// Whatever the page left, a few bytes at a time.
	for {
		if _, err := f.Write(buf[:512]); err != nil {
			break
		}
	}
	return nil
}

// free removes the filler.
func (c *cluster) free() error {
	if err := os.Remove(c.filler); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// teardown kills every process still running, removes the network and unmounts the
// tmpfs; it runs whatever happened before.
func (c *cluster) teardown() error {
	for _, nd := range c.nodes {
		nd.Kill()
	}
	var errs []error
	for _, px := range c.proxies {
		errs = append(errs, px.Close())
	}
	if c.net != nil {
		errs = append(errs, c.net.Close())
	}
	if c.tmpfs != "" {
		errs = append(errs, run("umount", c.tmpfs))
	}
	return errors.Join(errs...)
}

// height reads a node's height and tip, and a light node's clock rate: a trustee's
// from its metrics, a light node's from its control API; height -1 when the node does
// not answer in time.
func (c *cluster) height(nd *node) (int64, string, float64) {
	if nd.trustee {
		return devnet.Height(nd.metrics), "", 0
	}
	s, ok := lightStatus(nd.dir, 2*time.Second)
	if !ok {
		return -1, "", 0
	}
	var rate float64
	if s.CycleBlocks >= 2 && s.GlobalCycle > 0 {
		rate = float64(s.PrivateCycle) / float64(s.GlobalCycle)
	}
	return int64(s.Height), s.Tip.Short(), rate
}

func lightStatus(dir string, wait time.Duration) (control.Status, bool) {
	cl, err := control.Dial(dir)
	if err != nil {
		return control.Status{}, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s, err := cl.Status(ctx)
	return s, err == nil
}
