package compute

import (
	"errors"
	"strings"
	"testing"
)

func TestCPURate(t *testing.T) {
	for _, c := range []struct {
		cores int
		duty  float64
		cpus  int
		want  uint32
	}{
		{1, 1, 1, 10000},
		{1, 0.5, 2, 2500}, // half of one of two CPUs: a quarter of the machine
		{1, 0.25, 8, 313}, // 3.125 % rounds to 3.13 %
		{2, 1, 4, 5000},
		{8, 1, 4, 10000},    // more cores than the machine has
		{1, 0.00001, 64, 1}, // Windows refuses 0
		{0, 0.5, 4, 10000},
		{1, 0.5, 0, 10000},
	} {
		if got := cpuRate(c.cores, c.duty, c.cpus); got != c.want {
			t.Errorf("cpuRate(%d, %g, %d) = %d, want %d", c.cores, c.duty, c.cpus, got, c.want)
		}
	}
}

// fakeJob is a Job Object's CPU rate and affinity as applyCPULimit leaves them.
type fakeJob struct {
	rate                     cpuRateControl
	mask                     uintptr
	rateErr, liftErr, affErr error
	rateCalls                int
}

func (j *fakeJob) setRate(r cpuRateControl) error {
	j.rateCalls++
	if r == (cpuRateControl{}) && j.liftErr != nil {
		return j.liftErr
	}
	if r != (cpuRateControl{}) && j.rateErr != nil {
		return j.rateErr
	}
	j.rate = r
	return nil
}

func (j *fakeJob) setAffinity(m uintptr) error {
	if j.affErr != nil {
		return j.affErr
	}
	j.mask = m
	return nil
}

// TestApplyCPULimit: a LimitCPU that fails leaves no CPU rate cap on the worker. The
// supervisor then suspends and resumes the worker over each duty period; a cap left
// from before the affinity failed would hold it to duty² of its core.
func TestApplyCPULimit(t *testing.T) {
	half := cpuRateControl{ControlFlags: jobCPURateEnable | jobCPURateHardCap, CpuRate: cpuRate(1, 0.5, 2)}
	refused := errors.New("refused")
	for _, c := range []struct {
		name     string
		job      fakeJob
		rate     cpuRateControl
		wantRate cpuRateControl
		wantMask uintptr
		wantErr  []string
		calls    int // of setRate
	}{
		{name: "both set", rate: half, wantRate: half, wantMask: 1, calls: 1},
		{name: "rate refused (Wine)", job: fakeJob{rateErr: refused}, rate: half, wantErr: []string{"CPU rate"}, calls: 1},
		{name: "affinity refused after the rate", job: fakeJob{affErr: refused}, rate: half, wantErr: []string{"affinity"}, calls: 2},
		{name: "affinity refused, the rate not lifted", job: fakeJob{affErr: refused, liftErr: errors.New("gone")},
			rate: half, wantRate: half, wantErr: []string{"affinity", "lift the worker's CPU rate again"}, calls: 2},
		{name: "lifting both, affinity refused", job: fakeJob{affErr: refused},
			rate: cpuRateControl{}, wantErr: []string{"affinity"}, calls: 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			j := c.job
			err := applyCPULimit(j.setRate, j.setAffinity, c.rate, 1)
			if j.rateCalls != c.calls {
				t.Errorf("the rate set %d times, want %d", j.rateCalls, c.calls)
			}
			if j.rate != c.wantRate || j.mask != c.wantMask {
				t.Errorf("rate %+v mask %#x, want %+v %#x", j.rate, j.mask, c.wantRate, c.wantMask)
			}
			if len(c.wantErr) == 0 {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if !errors.Is(err, refused) {
				t.Errorf("error %q does not wrap the refusal", err)
			}
		})
	}
}
