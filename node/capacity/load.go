package capacity

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"

	"github.com/shirou/gopsutil/v3/cpu"
	"github.com/shirou/gopsutil/v3/mem"
	"github.com/shirou/gopsutil/v3/process"
)

// ProcessLoadProbe measures CPU and memory with gopsutil: the machine's CPU times, and
// the times and resident memory of this process and the processes Own names.
type ProcessLoadProbe struct {
	// Own returns further process IDs that count as ours (the job worker); nil is none.
	// Listing children would cost a process scan every second, so owners register.
	Own func() []int32

	mu       sync.Mutex
	procs    map[int32]*process.Process
	prevMach cpuTotals
	prevPIDs map[int32]float64 // CPU seconds of our processes at the previous call
	havePrev bool
}

// cpuTotals are machine-wide CPU seconds summed over all cores.
type cpuTotals struct{ busy, total float64 }

// NewProcessLoadProbe returns a load probe counting this process as ours.
func NewProcessLoadProbe() *ProcessLoadProbe {
	return &ProcessLoadProbe{procs: map[int32]*process.Process{}}
}

// Load measures; CPU percentages cover the time since the previous call.
func (p *ProcessLoadProbe) Load(ctx context.Context) (Load, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.procs == nil {
		p.procs = map[int32]*process.Process{}
	}
	var l Load
	if vm, err := mem.VirtualMemoryWithContext(ctx); err == nil && vm.Total > 0 {
		l.MemoryTotal = Known(vm.Total)
	}

	mach, machErr := machineCPU(ctx)
	ownRSS, perPID := p.ownUsage(ctx)
	if len(perPID) > 0 {
		l.OwnMemory = Known(ownRSS)
	}
	if machErr == nil && p.havePrev {
		dTotal := mach.total - p.prevMach.total
		dBusy := mach.busy - p.prevMach.busy
		// A process that ended since the last call takes its seconds away; count
		// only processes seen both times.
		var dOwn float64
		for pid, secs := range perPID {
			if before, ok := p.prevPIDs[pid]; ok && secs >= before {
				dOwn += secs - before
			}
		}
		if dTotal > 0 {
			own := clampPercent(100 * dOwn / dTotal)
			l.OwnCPU = Known(own)
			l.OtherCPU = Known(clampPercent(100*dBusy/dTotal - own))
		}
	}
	if machErr == nil {
		p.prevMach, p.prevPIDs, p.havePrev = mach, perPID, true
	}
	if !l.MemoryTotal.IsKnown() && !l.OwnMemory.IsKnown() && !p.havePrev {
		return l, fmt.Errorf("load: %w", ErrUnknown)
	}
	return l, nil
}

func clampPercent(v float64) float64 { return min(100, max(0, v)) }

// machineCPU sums the CPU times of all cores. Guest time is already inside user time
// on Linux, and steal is time the hypervisor gave to other machines, so neither
// counts as a program's work here.
func machineCPU(ctx context.Context) (cpuTotals, error) {
	times, err := cpu.TimesWithContext(ctx, false)
	if err != nil {
		return cpuTotals{}, err
	}
	if len(times) == 0 {
		return cpuTotals{}, ErrUnknown
	}
	t := times[0]
	busy := t.User + t.System + t.Nice + t.Irq + t.Softirq
	return cpuTotals{busy: busy, total: busy + t.Idle + t.Iowait}, nil
}

// ownUsage returns our processes' resident bytes and each one's CPU seconds by
// process ID.
func (p *ProcessLoadProbe) ownUsage(ctx context.Context) (uint64, map[int32]float64) {
	pids := []int32{int32(os.Getpid())}
	if p.Own != nil {
		pids = append(pids, p.Own()...)
	}
	perPID := map[int32]float64{}
	var rss uint64
	for _, pid := range pids {
		if _, dup := perPID[pid]; dup {
			continue
		}
		proc := p.procs[pid]
		if proc == nil {
			var err error
			if proc, err = process.NewProcessWithContext(ctx, pid); err != nil {
				continue
			}
			p.procs[pid] = proc
		}
		times, err := proc.TimesWithContext(ctx)
		if err != nil {
			delete(p.procs, pid)
			continue
		}
		perPID[pid] = times.User + times.System
		if mi, err := proc.MemoryInfoWithContext(ctx); err == nil {
			rss += mi.RSS
		}
	}
	for pid := range p.procs {
		if _, ok := perPID[pid]; !ok {
			delete(p.procs, pid)
		}
	}
	return rss, perPID
}

// ProcessProgramProbe lists running programs with gopsutil.
type ProcessProgramProbe struct{}

// RunningPrograms returns the distinct names of the running processes, sorted: what
// the settings screen offers as exclusive programs.
func (ProcessProgramProbe) RunningPrograms(ctx context.Context) ([]string, error) {
	procs, err := process.ProcessesWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("list processes: %w: %w", ErrUnknown, err)
	}
	seen := map[string]bool{}
	names := []string{}
	for _, proc := range procs {
		name, err := proc.NameWithContext(ctx)
		if err != nil || name == "" || seen[name] {
			continue
		}
		seen[name] = true
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}
