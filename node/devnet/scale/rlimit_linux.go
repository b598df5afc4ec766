package scale

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// raiseFiles lifts the process's open-file limit to the most the kernel allows
// (fs.nr_open), which takes privileges to go beyond the hard limit: the light nodes
// of a run share this process, and each connection between two of them takes two
// descriptors. It returns the limit in force.
func raiseFiles() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	want := lim.Max
	if b, err := os.ReadFile("/proc/sys/fs/nr_open"); err == nil {
		if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && n > want {
			want = n
		}
	}
	up := syscall.Rlimit{Cur: want, Max: want}
	if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &up) == nil {
		return want
	}
	up = syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
	if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &up) == nil {
		return lim.Max
	}
	return lim.Cur
}
