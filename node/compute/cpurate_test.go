package compute

import "testing"

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
