package capacity

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// limitProcessCPUs pins every thread of pid to the first cores CPUs this process may
// use, or to all of them when cores is 0. Affinity is per thread in Linux, and a
// thread takes it from the thread that starts it; so the threads are set over again
// until a pass finds all of them pinned, after which every new thread is too.
func limitProcessCPUs(pid, cores int) error {
	var allowed unix.CPUSet
	if err := unix.SchedGetaffinity(0, &allowed); err != nil {
		return fmt.Errorf("read CPU affinity: %w", err)
	}
	set := allowed
	if cores > 0 {
		set.Zero()
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
	}
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	for range 100 { // a pass that changes something is followed by another
		tasks, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("list threads of %d: %w", pid, err)
		}
		changed := false
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			var cur unix.CPUSet
			if unix.SchedGetaffinity(tid, &cur) == nil && cur == set {
				continue
			}
			// A thread may end between the listing and the call; the others still
			// count.
			if unix.SchedSetaffinity(tid, &set) == nil {
				changed = true
			}
		}
		if !changed {
			return nil
		}
	}
	return nil
}
