//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/devnet"
	"github.com/daolicloud/daoli/node/trustee"
)

const waitFor = 120 * time.Second

// logBuffer collects a process's output; the process writes while the test reads.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// height reads daoli_chain_height from a metrics endpoint; -1 when unreachable.
func height(addr string) int {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "daoli_chain_height "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return -1
			}
			return int(f)
		}
	}
	return -1
}

// TestProcesses builds daoli-trustee, makes a four-trustee devnet with it and runs each
// trustee as its own process until every one reports height 20 on its metrics
// endpoint; then SIGTERM stops each cleanly.
func TestProcesses(t *testing.T) {
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "daoli-trustee")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dir := filepath.Join(tmp, "devnet")
	out, err := exec.Command(bin, "devnet", "--trustees", "4", "--dir", dir, "--phi", "150ms", "--delta", "100ms", "--cycle", "300ms").CombinedOutput()
	if err != nil {
		t.Fatalf("devnet: %v\n%s", err, out)
	}
	paths, err := devnet.Configs(dir)
	if err != nil {
		t.Fatal(err)
	}
	type proc struct {
		cmd     *exec.Cmd
		log     *logBuffer
		metrics string
	}
	var procs []*proc
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, p := range paths {
		cfg, err := trustee.LoadConfig(p)
		if err != nil {
			t.Fatal(err)
		}
		pr := &proc{log: new(logBuffer), metrics: cfg.Metrics}
		pr.cmd = exec.CommandContext(ctx, bin, "run", "--config", p)
		pr.cmd.Stdout, pr.cmd.Stderr = io.Discard, pr.log
		if err := pr.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, pr)
	}
	start := time.Now()
	deadline := start.Add(waitFor)
	for {
		low := 1 << 30
		for _, pr := range procs {
			low = min(low, height(pr.metrics))
		}
		if low >= 20 {
			break
		}
		if time.Now().After(deadline) {
			for i, pr := range procs {
				t.Logf("trustee %d log:\n%s", i, pr.log.String())
			}
			t.Fatalf("lowest height %d after %v", low, waitFor)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("4 trustee processes: height 20 in %v", time.Since(start).Round(time.Millisecond))
	for i, pr := range procs {
		if err := pr.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := pr.cmd.Wait(); err != nil {
			t.Fatalf("trustee %d: %v\n%s", i, err, pr.log.String())
		}
		if !strings.Contains(pr.log.String(), "trustee stopped") {
			t.Fatalf("trustee %d did not log its stop", i)
		}
	}
}
