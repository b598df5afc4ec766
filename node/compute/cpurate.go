package compute

import (
	"errors"
	"fmt"
	"math"
)

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

// cpuRateControl is JOBOBJECT_CPU_RATE_CONTROL_INFORMATION; CpuRate is in hundredths
// of a percent of all the machine's CPUs. The zero value lifts the cap.
type cpuRateControl struct {
	ControlFlags uint32
	CpuRate      uint32
}

const (
	jobCPURateEnable  = 0x1 // JOB_OBJECT_CPU_RATE_CONTROL_ENABLE
	jobCPURateHardCap = 0x4 // JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP
)

// applyCPULimit sets a Job Object's CPU rate, then its affinity mask, through the
// two setters; a failed call leaves no rate cap behind. The caller of a failed
// LimitCPU (capacity.SuperviseProcess) duty-cycles the worker itself, by suspending
// and resuming it: a rate cap left in place from the first step would hold the
// worker to duty of that duty, duty² of its core.
func applyCPULimit(setRate func(cpuRateControl) error, setAffinity func(mask uintptr) error, rate cpuRateControl, mask uintptr) error {
	if err := setRate(rate); err != nil {
		return fmt.Errorf("cap the worker's CPU rate: %w", err)
	}
	if err := setAffinity(mask); err != nil {
		err = fmt.Errorf("set the worker's CPU affinity: %w", err)
		if rate != (cpuRateControl{}) {
			if lift := setRate(cpuRateControl{}); lift != nil {
				err = errors.Join(err, fmt.Errorf("lift the worker's CPU rate again: %w", lift))
			}
		}
		return err
	}
	return nil
}
