package nemesis

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Kind is one kind of fault.
type Kind string

// The faults the nemesis applies.
const (
	Halves   Kind = "partition-halves" // two random halves of every node
	Isolate  Kind = "isolate-trustee"  // one trustee cut off from everyone
	CutLight Kind = "cut-light"        // one light node cut off from every trustee
	OneWay   Kind = "one-way-drop"     // packets from one node to another dropped
	Loss     Kind = "loss"             // a share of every packet into some nodes dropped
	Pause    Kind = "pause"            // SIGSTOP, SIGCONT at the end
	Kill     Kind = "kill"             // SIGKILL, restarted at the end
	DiskFull Kind = "disk-full"        // one trustee's tmpfs filled, freed at the end
	Delay    Kind = "delay"            // traffic into some trustees delayed, with jitter
	Reorder  Kind = "reorder"          // some of it held back, overtaken by other connections
)

// Fault is one step of a schedule: Kind on Nodes (indices into the run's nodes:
// trustees first, then light nodes) from At for For.
type Fault struct {
	At, For time.Duration
	Kind    Kind
	Nodes   []int
	Prob    float64 // Loss: the share dropped
	// Delay: each chunk of bytes into the trustees waits Lag plus up to Jitter.
	// Reorder: a share Prob of the chunks waits Lag, and the rest of its connection
	// with it.
	Lag, Jitter time.Duration
}

func (f Fault) String() string {
	s := fmt.Sprintf("%s on %v for %v", f.Kind, f.Nodes, f.For.Round(time.Millisecond))
	switch f.Kind {
	case Loss:
		s += fmt.Sprintf(" (%.0f %%)", 100*f.Prob)
	case Delay:
		s += fmt.Sprintf(" (%v + up to %v)", f.Lag, f.Jitter)
	case Reorder:
		s += fmt.Sprintf(" (%.0f %% held %v)", 100*f.Prob, f.Lag)
	}
	return s
}

// Shape is what a schedule is drawn for.
type Shape struct {
	Trustees, Lights int
	Duration         time.Duration // faults begin within it
	Epoch            time.Duration // the network's cycle: faults last a few
	DiskTrustee      int           // the trustee on a small tmpfs; -1: none
}

// Schedule draws the faults of seed for sh: one at a time, each lasting 3 to 12
// epochs, with 2 to 6 epochs of calm between, the kinds in successive random orders of
// all of them, so that a schedule long enough for one of each has one of each. The
// same seed and shape give the same schedule.
func Schedule(seed uint64, sh Shape) []Fault {
	rng := rand.New(rand.NewPCG(seed, 0x6e656d65736973))
	kinds := []Kind{Halves, Isolate, CutLight, OneWay, Loss, Delay, Pause, Kill, Reorder}
	if sh.DiskTrustee >= 0 {
		kinds = append(kinds, DiskFull)
	}
	nodes := sh.Trustees + sh.Lights
	epochs := func(lo, hi int) time.Duration { return time.Duration(lo+rng.IntN(hi-lo+1)) * sh.Epoch }
	var fs []Fault
	var order []int
	for at := epochs(2, 4); at < sh.Duration; {
		if len(order) == 0 {
			order = rng.Perm(len(kinds))
		}
		f := Fault{At: at, For: epochs(3, 12), Kind: kinds[order[0]]}
		order = order[1:]
		switch f.Kind {
		case Halves:
			perm := rng.Perm(nodes)
			f.Nodes = perm[:nodes/2] // the other half is the rest
		case Isolate:
			f.Nodes = []int{rng.IntN(sh.Trustees)}
		case CutLight:
			f.Nodes = []int{sh.Trustees + rng.IntN(sh.Lights)}
		case OneWay:
			a := rng.IntN(sh.Trustees)
			b := rng.IntN(nodes - 1)
			if b >= a {
				b++
			}
			f.Nodes = []int{a, b}
		case Loss:
			f.Prob = 0.05 + 0.25*rng.Float64()
			perm := rng.Perm(nodes)
			f.Nodes = perm[:1+rng.IntN(nodes)]
		case Delay:
			// Up to a third of an epoch each way, jitter up to as much again.
			f.Lag = (time.Duration(1+rng.IntN(10)) * sh.Epoch / 30).Round(time.Millisecond)
			f.Jitter = (time.Duration(rng.IntN(11)) * f.Lag / 10).Round(time.Millisecond)
			perm := rng.Perm(sh.Trustees)
			f.Nodes = perm[:1+rng.IntN(sh.Trustees)]
		case Reorder:
			// 10 to 50 % of the chunks held a third of an epoch to a whole one: long
			// enough for votes and blocks of other connections to overtake them.
			f.Prob = 0.1 + 0.4*rng.Float64()
			f.Lag = (time.Duration(10+rng.IntN(21)) * sh.Epoch / 30).Round(time.Millisecond)
			perm := rng.Perm(sh.Trustees)
			f.Nodes = perm[:1+rng.IntN(sh.Trustees)]
		case Pause, Kill:
			f.Nodes = []int{rng.IntN(nodes)}
		case DiskFull:
			f.Nodes = []int{sh.DiskTrustee}
		}
		fs = append(fs, f)
		at += f.For + epochs(2, 6)
	}
	return fs
}

// drops is which packets a fault drops: drop[b][a] means b drops what a sends it.
func drops(f Fault, nodes, trustees int) map[int]map[int]bool {
	d := map[int]map[int]bool{}
	add := func(from, to int) {
		if d[to] == nil {
			d[to] = map[int]bool{}
		}
		d[to][from] = true
	}
	both := func(a, b int) { add(a, b); add(b, a) }
	switch f.Kind {
	case Halves:
		in := map[int]bool{}
		for _, i := range f.Nodes {
			in[i] = true
		}
		for a := range nodes {
			for b := range nodes {
				if in[a] && !in[b] {
					both(a, b)
				}
			}
		}
	case Isolate:
		for b := range nodes {
			if b != f.Nodes[0] {
				both(f.Nodes[0], b)
			}
		}
	case CutLight:
		for t := range trustees {
			both(f.Nodes[0], t)
		}
	case OneWay:
		add(f.Nodes[0], f.Nodes[1])
	}
	return d
}
