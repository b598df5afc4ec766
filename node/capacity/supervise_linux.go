package capacity

import (
	"bytes"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// processStart is when process pid started, in clock ticks after boot (the 22nd
// field of /proc/PID/stat), or 0 when it cannot be read. With the ID it names one
// process: an ID is used again once its process has gone.
func processStart(pid int) uint64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name, field 2, may hold spaces; the fields after its ")" do not.
	fields := bytes.Fields(b[bytes.LastIndexByte(b, ')')+1:])
	if len(fields) < 20 {
		return 0
	}
	start, _ := strconv.ParseUint(string(fields[19]), 10, 64)
	return start
}

// limitProcessCPUs pins every thread of pid to the first cores CPUs this process may
// use, or to all of them when cores is 0, if pid is still the process that started
// at started (processStart). Affinity is per thread in Linux, and a thread takes it
// from the thread that starts it; so the threads are set over again until a pass
// finds all of them pinned, after which every new thread is too.
func limitProcessCPUs(pid int, started uint64, cores int) error {
	if started == 0 || processStart(pid) != started {
		return fmt.Errorf("pin process %d: %w", pid, os.ErrProcessDone)
	}
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
