package nemesis

import (
	"reflect"
	"testing"
	"time"
)

var testShape = Shape{Trustees: 4, Lights: 3, Duration: 100 * time.Second, Epoch: time.Second, DiskTrustee: 1}

// TestScheduleReplays: a seed gives the same schedule every time, another seed
// another; faults never overlap and name nodes that exist.
func TestScheduleReplays(t *testing.T) {
	a, b := Schedule(7, testShape), Schedule(7, testShape)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("one seed, two schedules")
	}
	if reflect.DeepEqual(a, Schedule(8, testShape)) {
		t.Fatal("seeds 7 and 8 drew the same schedule")
	}
	n := testShape.Trustees + testShape.Lights
	var end time.Duration
	for _, f := range a {
		if f.At < end {
			t.Fatalf("%s at %v overlaps the fault before, until %v", f, f.At, end)
		}
		end = f.At + f.For
		for _, i := range f.Nodes {
			if i < 0 || i >= n {
				t.Fatalf("%s names node %d of %d", f, i, n)
			}
		}
		switch f.Kind {
		case Isolate:
			if f.Nodes[0] >= testShape.Trustees {
				t.Fatalf("%s isolates a light node", f)
			}
		case CutLight:
			if f.Nodes[0] < testShape.Trustees {
				t.Fatalf("%s cuts a trustee", f)
			}
		case DiskFull:
			if f.Nodes[0] != testShape.DiskTrustee {
				t.Fatalf("%s fills the wrong disk", f)
			}
		case OneWay:
			if f.Nodes[0] == f.Nodes[1] {
				t.Fatalf("%s drops a node's packets to itself", f)
			}
		case Loss:
			if f.Prob < 0.05 || f.Prob > 0.3 {
				t.Fatalf("%s", f)
			}
		case Reorder:
			if f.Prob < 0.1 || f.Prob > 0.5 || f.Lag < testShape.Epoch/3 || f.Lag > testShape.Epoch {
				t.Fatalf("%s", f)
			}
			for _, i := range f.Nodes {
				if i >= testShape.Trustees {
					t.Fatalf("%s reorders at a light node", f)
				}
			}
		case Delay:
			if f.Lag <= 0 || f.Lag > testShape.Epoch/3 || f.Jitter > f.Lag {
				t.Fatalf("%s", f)
			}
			for _, i := range f.Nodes {
				if i >= testShape.Trustees {
					t.Fatalf("%s delays a light node", f)
				}
			}
		}
	}
	without := testShape
	without.DiskTrustee = -1
	for _, f := range Schedule(7, without) {
		if f.Kind == DiskFull {
			t.Fatal("a full disk with no tmpfs trustee")
		}
	}
}

// TestDrops: which packets each partition drops.
func TestDrops(t *testing.T) {
	const nodes, trustees = 5, 3
	pairs := func(d map[int]map[int]bool) map[[2]int]bool {
		m := map[[2]int]bool{}
		for to, froms := range d {
			for from := range froms {
				m[[2]int{from, to}] = true
			}
		}
		return m
	}
	for _, c := range []struct {
		f    Fault
		want [][2]int // from, to
	}{
		{Fault{Kind: OneWay, Nodes: []int{0, 4}}, [][2]int{{0, 4}}},
		{Fault{Kind: CutLight, Nodes: []int{3}}, [][2]int{{3, 0}, {0, 3}, {3, 1}, {1, 3}, {3, 2}, {2, 3}}},
		{Fault{Kind: Isolate, Nodes: []int{1}}, [][2]int{{1, 0}, {0, 1}, {1, 2}, {2, 1}, {1, 3}, {3, 1}, {1, 4}, {4, 1}}},
		{Fault{Kind: Halves, Nodes: []int{0, 3}}, [][2]int{{0, 1}, {1, 0}, {0, 2}, {2, 0}, {0, 4}, {4, 0}, {3, 1}, {1, 3}, {3, 2}, {2, 3}, {3, 4}, {4, 3}}},
		{Fault{Kind: Pause, Nodes: []int{0}}, nil},
		{Fault{Kind: Loss, Nodes: []int{0, 1}, Prob: 0.1}, nil},
	} {
		got := pairs(drops(c.f, nodes, trustees))
		want := map[[2]int]bool{}
		for _, p := range c.want {
			want[p] = true
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s drops %v, want %v", c.f, got, want)
		}
	}
}

// TestRunNames: CleanAll touches only names a run gives.
func TestRunNames(t *testing.T) {
	for _, c := range []struct {
		name, prefix  string
		indexed, want bool
	}{
		{"nm0181-5", "nm", true, true},
		{"nmv0181-12", "nmv", true, true},
		{"nmb0181", "nmb", false, true},
		{"nmb0181x", "nmb", false, false},
		{"nm0181", "nm", true, false},
		{"nm0181-", "nm", true, false},
		{"nmzz81-1", "nm", true, false},
		{"eth0", "nm", true, false},
		{"nmb", "nmb", false, false},
	} {
		if got := isRunName(c.name, c.prefix, c.indexed); got != c.want {
			t.Errorf("isRunName(%q, %q, %v) = %v", c.name, c.prefix, c.indexed, got)
		}
	}
}
