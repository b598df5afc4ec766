package capacity

import (
	"context"
	"time"
)

// Supervised is a process that SuperviseProcess holds to the gate: a job worker
// (compute.Process). Pause stops it where it is (SIGSTOP; on Windows all its threads
// are suspended), Resume continues it; both do nothing once its job is over, so the
// process ID is not signalled after that.
type Supervised interface {
	Pid() int
	Pause()
	Resume()
}

// CPULimited is a Supervised process whose CPU share the OS itself can hold: on
// Windows the worker's Job Object takes a CPU rate and the cores to run on
// (compute.Process.LimitCPU). LimitCPU(cores, duty) limits it to duty of cores
// CPUs; LimitCPU(0, 1) lifts the limit. Where it fails (elsewhere, or under Wine,
// which has no CPU rate control) the supervisor pins and duty-cycles the process,
// so a LimitCPU that fails must leave no limit in place: the OS's rate on top of the
// supervisor's duty cycle would hold the process to duty² (compute's applyCPULimit).
type CPULimited interface {
	LimitCPU(cores int, duty float64) error
}

// SuperviseProcess makes another process obey the gate until ctx ends: the job
// worker, whose WebAssembly code cannot stop at a checkpoint of ours. It stops the
// process while the gate is closed, continues and stops it over each duty period
// (work for Duty of the period, then stopped for the rest), and on Linux pins all
// its threads to one CPU. The job takes that one of the gate's cores meanwhile: the
// miner's throttles allow one worker fewer. One CPU, not all the gate allows, because
// a job is one thread: the worker's other threads (the Go runtime's collector, the
// compiler) would otherwise run beside the miner on its cores, above the share the
// reason line states. On return the process runs again, on every CPU this process
// may use.
func SuperviseProcess(ctx context.Context, gate *Gate, p Supervised) error {
	s := &processSupervisor{p: p, clock: gate.clock, started: processStart(p.Pid())}
	s.limiter, _ = p.(CPULimited)
	gate.reserve(jobCores)
	defer gate.reserve(-jobCores)
	defer func() {
		s.setStopped(false)
		if s.limited {
			_ = p.(CPULimited).LimitCPU(0, 1)
		}
		if s.pinned {
			// The worker may run a job next that the gate does not hold (a buyer's
			// check of a result).
			_ = limitProcessCPUs(p.Pid(), s.started, 0)
		}
	}()
	for ctx.Err() == nil {
		s.follow(ctx, gate.state.Load(), gate.period)
	}
	return nil
}

// jobCores is how many of the gate's cores a supervised worker runs on, and how many
// it takes from the miner (Gate.reserve).
const jobCores = 1

type processSupervisor struct {
	p       Supervised
	clock   Clock
	stopped bool
	pinned  bool       // the worker has been pinned to jobCores CPUs
	limiter CPULimited // nil, or once LimitCPU failed
	limited bool       // the OS holds the worker to its cores and duty
	started uint64     // processStart of the process, so that no later one with its ID is pinned
}

// follow enforces one gate state until it changes or ctx ends.
func (s *processSupervisor) follow(ctx context.Context, st *gateState, period time.Duration) {
	if !st.Run {
		s.setStopped(true)
		waitChange(ctx, st)
		return
	}
	if s.limiter != nil {
		// The OS enforces the cores and the duty without stopping the process.
		if err := s.limiter.LimitCPU(jobCores, min(st.Duty, 1)); err == nil {
			s.limited = true
			s.setStopped(false)
			waitChange(ctx, st)
			return
		}
		s.limiter = nil
	}
	if !s.pinned {
		// Pinning is best effort: a process that cannot be pinned still pauses and
		// keeps the duty.
		_ = limitProcessCPUs(s.p.Pid(), s.started, jobCores)
		s.pinned = true
	}
	s.setStopped(false)
	if st.Duty >= 1 {
		waitChange(ctx, st)
		return
	}
	work := time.Duration(st.Duty * float64(period))
	if s.sleep(ctx, st, work) {
		return
	}
	s.setStopped(true)
	s.sleep(ctx, st, period-work)
}

// sleep waits d, or less if the gate changes or ctx ends; it reports whether it was
// cut short.
func (s *processSupervisor) sleep(ctx context.Context, st *gateState, d time.Duration) bool {
	timer := s.clock.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C():
		return false
	case <-st.changed:
	case <-ctx.Done():
	}
	return true
}

func waitChange(ctx context.Context, st *gateState) {
	select {
	case <-st.changed:
	case <-ctx.Done():
	}
}

func (s *processSupervisor) setStopped(stop bool) {
	if s.stopped == stop {
		return
	}
	if stop {
		s.p.Pause()
	} else {
		s.p.Resume()
	}
	s.stopped = stop
}
