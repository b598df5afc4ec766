//go:build linux

package app

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/xvfbtest"
	"github.com/daolicloud/daoli/node/capacity"
)

// startApp starts the app under a private X server on the demo network with sharing
// set to mode, and returns the process and the time its window appeared.
func startApp(b *testing.B, mode capacity.RunMode) (*exec.Cmd, time.Duration) {
	b.Helper()
	display := xvfbtest.Start(b, "1280x800x24")
	dir := b.TempDir()
	s := capacity.DefaultSettings(2)
	s.Mode = mode
	if err := (capacity.FileSettingsStore{Path: filepath.Join(dir, sharingSettingsFile)}).Save(s); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	app := runApp(b, display, "DAOLI_TEST_DATA="+dir, PassphraseEnv+"=bench passphrase")
	app.waitWindow(b, 5*time.Millisecond)
	return app.cmd, time.Since(start)
}

// cpuTicks is the process's user+system time in clock ticks (1/100 s), and that of
// its children, the worker processes that run jobs: those that ended and were
// reaped, and those alive (waiting for their next job, or running one).
func cpuTicks(b *testing.B, pid int) (own, children int64) {
	t, _, err := procTimes(pid)
	if err != nil {
		b.Fatal(err)
	}
	own, children = t[0]+t[1], t[2]+t[3]
	for _, child := range childPids(pid) {
		if t, _, err := procTimes(child); err == nil {
			children += t[0] + t[1] + t[2] + t[3]
		}
	}
	return own, children
}

// procTimes reads utime, stime, cutime and cstime of a process, and its parent.
func procTimes(pid int) (t [4]int64, ppid int, err error) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return t, 0, err
	}
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:]))
	for i := range t {
		t[i], _ = strconv.ParseInt(f[11+i], 10, 64)
	}
	ppid, _ = strconv.Atoi(f[1])
	return t, ppid, nil
}

// childPids lists the live child processes of pid.
func childPids(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if _, ppid, err := procTimes(child); err == nil && ppid == pid {
			out = append(out, child)
		}
	}
	return out
}

// rssMB is the process's resident memory, 0 once it has exited.
func rssMB(pid int) float64 {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// median is the middle of the runs' figures (the mean of the two middle ones for an
// even count): a run disturbed by other work on the machine does not move it.
func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// BenchmarkAppLaunch is the time from starting the app to its window on screen,
// the median of the runs.
func BenchmarkAppLaunch(b *testing.B) {
	var took []float64
	for b.Loop() {
		cmd, t := startApp(b, capacity.Never)
		took = append(took, float64(t.Milliseconds()))
		cmd.Process.Kill()
		cmd.Wait()
	}
	b.ReportMetric(median(took), "ms-to-window")
}

// BenchmarkAppIdle runs the app on the demo network with sharing off for two minutes
// after it settles and reports its CPU use (percent of one core) and resident memory,
// the medians of the runs. Settling takes 90 s: the first sync, and the demo buyer's
// first job of each module, whose transfers and compilations are start-up work. The app's process includes the demo network's four
// trustees and two demo miners; the jobs the demo peers sell and buy run in worker
// processes, reported apart (workers-cpu-%, and the resident memory of those alive at
// the end, workers-rss-MB).
func BenchmarkAppIdle(b *testing.B) {
	var cpus, workers, rss, workersRSS []float64
	for b.Loop() {
		cmd, _ := startApp(b, capacity.Never)
		pid := cmd.Process.Pid
		time.Sleep(90 * time.Second) // start-up
		t0 := time.Now()
		c0, w0 := cpuTicks(b, pid)
		time.Sleep(120 * time.Second)
		c1, w1 := cpuTicks(b, pid)
		secs := time.Since(t0).Seconds()
		cpu, worker := float64(c1-c0)/secs, float64(w1-w0)/secs
		cpus, workers, rss = append(cpus, cpu), append(workers, worker), append(rss, rssMB(pid))
		var wrss float64
		for _, child := range childPids(pid) {
			wrss += rssMB(child)
		}
		workersRSS = append(workersRSS, wrss)
		b.Logf("run %d: %.2f %% CPU, workers %.2f %%, %.1f MB resident, workers %.1f MB", len(cpus), cpu, worker, rss[len(rss)-1], wrss)
		cmd.Process.Kill()
		cmd.Wait()
	}
	b.ReportMetric(median(cpus), "cpu-%")
	b.ReportMetric(median(workers), "workers-cpu-%")
	b.ReportMetric(median(rss), "rss-MB")
	b.ReportMetric(median(workersRSS), "workers-rss-MB")
}
