package capacity

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// limitProcessCPUs pins every thread of pid to the first cores CPUs this process may
// use. Affinity is per thread in Linux, and threads started later inherit it from
// the thread that starts them.
func limitProcessCPUs(pid, cores int) error {
	var allowed unix.CPUSet
	if err := unix.SchedGetaffinity(0, &allowed); err != nil {
		return fmt.Errorf("read CPU affinity: %w", err)
	}
	var set unix.CPUSet
	n := 0
	for cpu := 0; cpu < len(allowed)*64 && n < cores; cpu++ {
		if allowed.IsSet(cpu) {
			set.Set(cpu)
			n++
		}
	}
	if n == 0 {
		return nil
	}
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		return fmt.Errorf("list threads of %d: %w", pid, err)
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		// A thread may end between the listing and the call; the others still count.
		_ = unix.SchedSetaffinity(tid, &set)
	}
	return nil
}
