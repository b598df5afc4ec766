//go:build unix

package capacity

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// SuperviseProcess makes another process obey the gate until ctx ends: the job
// worker, whose WebAssembly code cannot stop at a checkpoint of ours. It sends
// SIGSTOP while the gate is closed, alternates SIGCONT and SIGSTOP over each duty
// period, and on Linux pins the process's threads to as many CPUs as the gate allows.
// On return the process runs again. It returns os.ErrProcessDone when the process
// has gone.
func SuperviseProcess(ctx context.Context, gate *Gate, pid int) error {
	s := &processSupervisor{pid: pid, clock: gate.clock, appliedCores: -1}
	defer s.setStopped(false)
	for {
		st := gate.state.Load()
		if err := s.follow(ctx, st, gate.period); err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return nil
			}
			return err
		}
	}
}

type processSupervisor struct {
	pid          int
	clock        Clock
	stopped      bool
	appliedCores int
}

// follow enforces one gate state until it changes or ctx ends.
func (s *processSupervisor) follow(ctx context.Context, st *gateState, period time.Duration) error {
	if !st.Run {
		if err := s.setStopped(true); err != nil {
			return err
		}
		return waitChange(ctx, st)
	}
	if st.Cores != s.appliedCores {
		// Pinning is best effort: a process that cannot be pinned still pauses.
		_ = limitProcessCPUs(s.pid, st.Cores)
		s.appliedCores = st.Cores
	}
	if err := s.setStopped(false); err != nil {
		return err
	}
	if st.Duty >= 1 {
		return waitChange(ctx, st)
	}
	work := time.Duration(st.Duty * float64(period))
	if changed, err := s.sleep(ctx, st, work); changed || err != nil {
		return err
	}
	if err := s.setStopped(true); err != nil {
		return err
	}
	_, err := s.sleep(ctx, st, period-work)
	return err
}

// sleep waits d, or less if the gate changes (changed) or ctx ends.
func (s *processSupervisor) sleep(ctx context.Context, st *gateState, d time.Duration) (changed bool, err error) {
	timer := s.clock.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C():
		return false, nil
	case <-st.changed:
		return true, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

func waitChange(ctx context.Context, st *gateState) error {
	select {
	case <-st.changed:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *processSupervisor) setStopped(stop bool) error {
	if s.stopped == stop {
		return nil
	}
	sig := syscall.SIGCONT
	if stop {
		sig = syscall.SIGSTOP
	}
	if err := syscall.Kill(s.pid, sig); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("process %d: %w", s.pid, os.ErrProcessDone)
		}
		return fmt.Errorf("signal process %d: %w", s.pid, err)
	}
	s.stopped = stop
	return nil
}
