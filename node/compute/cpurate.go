package compute

import "math"

// cpuRate is a Windows Job Object's CPU rate for duty (0 to 1) of cores of a
// machine's cpus: hundredths of a percent of all of them, at least 1 (Windows
// refuses 0) and at most 10000.
func cpuRate(cores int, duty float64, cpus int) uint32 {
	if cpus < 1 || cores < 1 {
		return 10000
	}
	r := math.Round(10000 * duty * float64(min(cores, cpus)) / float64(cpus))
	return uint32(min(max(r, 1), 10000))
}
