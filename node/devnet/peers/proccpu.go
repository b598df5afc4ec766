package peers

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ProcCPU is the CPU time process pid has run so far: the sum of its threads'
// schedstat run times (nanoseconds, unlike /proc/PID/stat's clock ticks of 10 ms).
// Linux only.
func ProcCPU(pid int) (time.Duration, error) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, fmt.Errorf("process %d: %w", pid, err)
	}
	var sum time.Duration
	for _, t := range tasks {
		raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "task", t.Name(), "schedstat"))
		if err != nil {
			continue // the thread ended
		}
		ns, err := ParseSchedstat(string(raw))
		if err != nil {
			return 0, fmt.Errorf("process %d: %w", pid, err)
		}
		sum += ns
	}
	return sum, nil
}

// ParseSchedstat reads a /proc schedstat line: the time run on a CPU (ns), the time
// waited for one (ns), and the timeslices; it returns the first.
func ParseSchedstat(line string) (time.Duration, error) {
	f := strings.Fields(line)
	if len(f) != 3 {
		return 0, fmt.Errorf("%w: schedstat %q", ErrProc, line)
	}
	ns, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || ns < 0 {
		return 0, fmt.Errorf("%w: schedstat %q", ErrProc, line)
	}
	return time.Duration(ns), nil
}
