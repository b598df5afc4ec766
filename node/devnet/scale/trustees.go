package scale

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/daolicloud/daoli/node/devnet"
	"github.com/daolicloud/daoli/node/trustee"
)

// Build compiles daoli-trustee (without cgo) into dir and returns its path.
func Build(dir string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("%w: build inside the Daoli module", ErrBadOptions)
	}
	bin := filepath.Join(dir, "daoli-trustee")
	cmd := exec.Command("go", "build", "-o", bin, "./node/cmd/daoli-trustee")
	cmd.Dir, cmd.Env = filepath.Dir(mod), append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build daoli-trustee: %w\n%s", err, out)
	}
	return bin, nil
}

// certLog collects, from the trustees' logs, when each height was first certified and
// how many transactions its block carried.
type certLog struct {
	mu    sync.Mutex
	at    map[uint64]time.Time
	txs   map[uint64]int
	top   uint64
	moved chan struct{} // closed and replaced whenever top rises
}

func newCertLog() *certLog {
	return &certLog{at: map[uint64]time.Time{}, txs: map[uint64]int{}, moved: make(chan struct{})}
}

// line takes one log line read at now.
func (c *certLog) line(s string, now time.Time) {
	if !strings.Contains(s, `msg="block certified"`) {
		return
	}
	h, ok := field(s, "height")
	if !ok {
		return
	}
	txs, _ := field(s, "txs")
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, seen := c.at[h]; !seen {
		c.at[h] = now
		c.txs[h] = int(txs)
	}
	if h > c.top {
		c.top = h
		close(c.moved)
		c.moved = make(chan struct{})
	}
}

// field reads key=<unsigned> from a slog text line.
func field(s, key string) (uint64, bool) {
	i := strings.Index(s, " "+key+"=")
	if i < 0 {
		return 0, false
	}
	v := s[i+len(key)+2:]
	if j := strings.IndexByte(v, ' '); j >= 0 {
		v = v[:j]
	}
	n, err := strconv.ParseUint(v, 10, 64)
	return n, err == nil
}

// height is the highest height certified, and a channel closed when it rises.
func (c *certLog) height() (uint64, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.top, c.moved
}

func (c *certLog) when(h uint64) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.at[h]
	return t, ok
}

func (c *certLog) txsIn(from, to uint64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for h := from; h <= to; h++ {
		n += c.txs[h]
	}
	return n
}

// waitHeight waits until height h is certified.
func (c *certLog) waitHeight(ctx context.Context, h uint64, exited <-chan error) error {
	for {
		top, moved := c.height()
		if top >= h {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: waiting for height %d certified (at %d)", ErrTimeout, h, top)
		case err := <-exited:
			return err
		case <-moved:
		}
	}
}

// trusteeProc is one running daoli-trustee.
type trusteeProc struct {
	index   int
	cmd     *exec.Cmd
	metrics string // host:port of its metrics server
	peerID  string
	logFile *os.File
	done    chan struct{}
}

// startTrustee runs daoli-trustee on the configuration at path, admitting maxLights
// light nodes (0: its default); its log goes to logPath and through certs.
func startTrustee(bin, path, logPath string, index, maxLights int, certs *certLog, exited chan<- error) (*trusteeProc, error) {
	cfg, err := trustee.LoadConfig(path)
	if err != nil {
		return nil, err
	}
	if maxLights > 0 {
		cfg.MaxLights = maxLights
		if err := trustee.SaveConfig(path, cfg); err != nil {
			return nil, err
		}
	}
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "run", "--config", path)
	cmd.Stdout = f
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start trustee %d: %w", index, err)
	}
	p := &trusteeProc{index: index, cmd: cmd, metrics: cfg.Metrics, logFile: f, done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			certs.line(sc.Text(), time.Now())
			fmt.Fprintln(f, sc.Text())
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		err := cmd.Wait()
		pw.Close()
		close(p.done)
		select {
		case exited <- fmt.Errorf("%w: trustee %d: %v (log %s)", ErrTrusteeExited, index, err, logPath):
		default:
		}
	}()
	return p, nil
}

// stop asks the trustee to stop and waits for it, killing it after a while.
func (p *trusteeProc) stop() {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	p.logFile.Close()
}

// peers reads the trustee's daoli_peers gauge: its connected libp2p peers.
func (p *trusteeProc) peers(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := devnet.Metric(ctx, p.metrics, "daoli_peers")
	if err != nil {
		return 0, fmt.Errorf("trustee %d: %w", p.index, err)
	}
	return int(v), nil
}
