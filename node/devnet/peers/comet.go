package peers

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// CometVersion is the CometBFT release measured, built from the Go module proxy.
const CometVersion = "v1.0.1"

// BuildComet builds the cometbft command at CometVersion into dir with go install
// (from the module proxy, at that version; Go's build cache makes a second build
// cheap) and returns its path.
func BuildComet(ctx context.Context, dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("build cometbft: %w", err)
	}
	cmd := exec.CommandContext(ctx, "go", "install", "github.com/cometbft/cometbft/cmd/cometbft@"+CometVersion)
	// Outside any module, so that this repository's go.mod plays no part.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOBIN="+abs, "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build cometbft %s: %w\n%s", CometVersion, err, out)
	}
	return filepath.Join(abs, "cometbft"), nil
}

// CometConfig is what the harness changes in each validator's config.toml from what
// `cometbft testnet` writes: loopback addresses on free ports, the other three as
// persistent peers, the built-in kvstore application, no wait after a commit, and
// logging of errors only (the default, "info", logs every block and vote). Everything
// else, the mempool (5,000 transactions, 1 GB) and the consensus timeouts included,
// stays at CometBFT's default.
func CometConfig(rpcPort, p2pPort int, peers []string) []Setting {
	return []Setting{
		{"", "proxy_app", `"kvstore"`},
		{"", "log_level", `"error"`},
		{"rpc", "laddr", fmt.Sprintf(`"tcp://127.0.0.1:%d"`, rpcPort)},
		{"p2p", "laddr", fmt.Sprintf(`"tcp://127.0.0.1:%d"`, p2pPort)},
		{"p2p", "external_address", fmt.Sprintf(`"127.0.0.1:%d"`, p2pPort)},
		{"p2p", "persistent_peers", `"` + strings.Join(peers, ",") + `"`},
		{"p2p", "addr_book_strict", "false"},
		{"p2p", "allow_duplicate_ip", "true"},
		{"consensus", "timeout_commit", `"0s"`},
	}
}

// Comet is a running CometBFT testnet of validators on loopback.
type Comet struct {
	Bin   string
	Dir   string
	RPC   []string // each validator's RPC address, http://127.0.0.1:PORT
	procs []*exec.Cmd
	exits []chan error
}

// StartComet generates an n-validator testnet in dir with the binary bin, rewrites
// each validator's config.toml (CometConfig) and starts the validators, each logging
// to dir/nodeI.log.
func StartComet(ctx context.Context, bin, dir string, n int) (*Comet, error) {
	out, err := exec.CommandContext(ctx, bin, "testnet", "--v", fmt.Sprint(n), "--o", dir).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("cometbft testnet: %w\n%s", err, out)
	}
	ports, err := freePorts(2 * n)
	if err != nil {
		return nil, err
	}
	ids := make([]string, n)
	for i := range n {
		out, err := exec.CommandContext(ctx, bin, "show-node-id", "--home", home(dir, i)).Output()
		if err != nil {
			return nil, fmt.Errorf("cometbft show-node-id: %w", err)
		}
		ids[i] = strings.TrimSpace(string(out))
	}
	c := &Comet{Bin: bin, Dir: dir}
	for i := range n {
		var peers []string
		for j := range n {
			if j != i {
				peers = append(peers, fmt.Sprintf("%s@127.0.0.1:%d", ids[j], ports[2*j+1]))
			}
		}
		path := filepath.Join(home(dir, i), "config", "config.toml")
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		text, err := SetTOML(string(raw), CometConfig(ports[2*i], ports[2*i+1], peers))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return nil, fmt.Errorf("write config: %w", err)
		}
		c.RPC = append(c.RPC, fmt.Sprintf("http://127.0.0.1:%d", ports[2*i]))
	}
	for i := range n {
		if err := c.start(i); err != nil {
			c.Stop()
			return nil, err
		}
	}
	return c, nil
}

func home(dir string, i int) string { return filepath.Join(dir, fmt.Sprintf("node%d", i)) }

func (c *Comet) start(i int) error {
	log, err := os.Create(filepath.Join(c.Dir, fmt.Sprintf("node%d.log", i)))
	if err != nil {
		return fmt.Errorf("start validator %d: %w", i, err)
	}
	cmd := exec.Command(c.Bin, "start", "--home", home(c.Dir, i))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start validator %d: %w", i, err)
	}
	exit := make(chan error, 1)
	go func() { exit <- cmd.Wait(); log.Close() }()
	c.procs = append(c.procs, cmd)
	c.exits = append(c.exits, exit)
	return nil
}

// Pids are the validators' process IDs.
func (c *Comet) Pids() []int {
	var out []int
	for _, p := range c.procs {
		out = append(out, p.Process.Pid)
	}
	return out
}

// CPU is the CPU time all the validators' processes have used so far.
func (c *Comet) CPU() (time.Duration, error) {
	var sum time.Duration
	for _, p := range c.procs {
		d, err := ProcCPU(p.Process.Pid)
		if err != nil {
			return 0, err
		}
		sum += d
	}
	return sum, nil
}

// Stop ends the validators: SIGTERM, then SIGKILL after five seconds.
func (c *Comet) Stop() {
	for _, p := range c.procs {
		p.Process.Signal(syscall.SIGTERM)
	}
	for i, p := range c.procs {
		select {
		case <-c.exits[i]:
		case <-time.After(5 * time.Second):
			p.Process.Kill()
			<-c.exits[i]
		}
	}
	c.procs, c.exits = nil, nil
}

// WaitHeight waits until every validator has committed height h.
func (c *Comet) WaitHeight(ctx context.Context, h int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, url := range c.RPC {
		for {
			got, err := Height(ctx, url)
			if err == nil && got >= h {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%w: %s at height %d, not %d (%v)", ErrTimeout, url, got, h, err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

// freePorts finds n TCP ports free on 127.0.0.1 now.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
