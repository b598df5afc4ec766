package batch

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/fxamacker/cbor/v2"
)

// Limits of a batch.
const (
	// MaxTasks bounds a batch: the market index holds at most chain.MaxLiveDeals
	// live deals for everyone, and one buyer's batch should leave room for others.
	MaxTasks = 1000
	// DefaultAttempts is how many deals a task gets before it counts as failed.
	DefaultAttempts = 3
	// MaxAttempts bounds the attempts a buyer may ask for.
	MaxAttempts = 10
	// MaxUnconfirmed is how many of a buyer's DealOpens may wait for a block at
	// once: a trustee's mempool holds 64 pending transactions of one sender, and
	// the buyer's reactions to posted results need room beside them.
	MaxUnconfirmed = 24
	// MinWaiting is how many deals a batch keeps waiting for a provider while fewer
	// than that run (Batch.Next).
	MinWaiting = 8
	// MaxUnrun bounds the deals a task gets that nobody took by their deadline (or
	// that never reached a block); they do not count as attempts, since nothing ran.
	MaxUnrun = 20
	// LostAfter is how many blocks a DealOpen may take to land before the attempt
	// counts as lost (the light node gives a nonce up after 8).
	LostAfter = 16
	// Resend is how many blocks pass before a withdrawal that has not landed is sent
	// again (market.Resend's rule for a deal's steps).
	Resend = 3
	// TaskPlaceholder in an argument is replaced by the task's index, from 0.
	TaskPlaceholder = "{task}"
)

// Batch is a buyer's batch as the node keeps it. The deals' terms but the input and
// the arguments are the same for every task.
type Batch struct {
	_            struct{} `cbor:",toarray"`
	ID           chain.Hash
	Name         string // what runs: a template's name or a module file's
	Created      int64  // Unix nanoseconds, when the buyer asked
	Module       chain.Hash
	Limits       chain.DealLimits
	MaxPrice     uint64
	BuyerDeposit uint64
	Deadline     uint64   // epochs each deal has for its result
	Env          []string // NAME=value, every task's environment
	Attempts     uint32   // deals a task gets at most
	Cancelled    bool
	Tasks        []Task
}

// Task is one run of the batch's module.
type Task struct {
	_     struct{}   `cbor:",toarray"`
	Name  string     // the task's folder in the results: the input file's name, or task-N
	Input chain.Hash // zero: no input
	// InputTree says Input is a packed folder (the job's /input), not one file.
	InputTree bool
	Args      []string
	Tries     []Attempt
}

// Attempt is one deal opened for a task, as the chain last showed it.
type Attempt struct {
	_         struct{} `cbor:",toarray"`
	Deal      chain.Hash
	Sent      uint64 // height when the DealOpen was sent
	Phase     chain.DealPhase
	Outcome   chain.DealOutcome
	Status    chain.DealStatus
	Provider  keys.Address // the provider that accepted; zero before
	Output    chain.Hash
	Spent     uint64 // what the deal cost the buyer, once closed
	Lost      bool   // the DealOpen never landed
	Withdrawn uint64 // height a withdrawal was last sent; 0 if none
}

// closed says the attempt is over: its deal closed, or it never landed.
func (a Attempt) closed() bool { return a.Phase == chain.PhaseClosed || a.Lost }

// delivered says the attempt's deal gave the buyer a result: accepted, found right by
// a mediator, or left unanswered and so paid (the output was posted all the same).
func (a Attempt) delivered() bool {
	if a.Phase != chain.PhaseClosed || a.Output.IsZero() {
		return false
	}
	switch a.Outcome {
	case chain.OutcomePaid, chain.OutcomeBuyerFined, chain.OutcomeBuyerLate:
		return true
	}
	return false
}

// Name of a task numbered i of n with no input file of its own: task-007 of 1000.
func TaskName(i, n int) string {
	w := len(strconv.Itoa(max(n-1, 0)))
	return fmt.Sprintf("task-%0*d", w, i)
}

// FileNames names the tasks of one input file each by the file's base name; two
// files of the same name (from different folders) get -2, -3 … after the second.
func FileNames(paths []string) []string {
	out := make([]string, len(paths))
	seen := map[string]int{}
	for i, p := range paths {
		base := filepath.Base(p)
		seen[base]++
		if k := seen[base]; k > 1 {
			base = fmt.Sprintf("%s-%d", base, k)
		}
		out[i] = base
	}
	return out
}

// CheckName says why name cannot be a task's folder.
func CheckName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) || strings.ContainsRune(name, 0) || len(name) > 255 {
		return fmt.Errorf("%w: %q cannot be a task's folder name", ErrRequest, name)
	}
	return nil
}

// Args is the argument list of task i: TaskPlaceholder replaced by i.
func Args(args []string, i int) []string {
	out := make([]string, len(args))
	for k, a := range args {
		out[k] = strings.ReplaceAll(a, TaskPlaceholder, strconv.Itoa(i))
	}
	return out
}

// CheckSize says why a batch of n tasks cannot be run.
func CheckSize(n int) error {
	if n < 1 || n > MaxTasks {
		return fmt.Errorf("%w: a batch has 1 to %d tasks, not %d", ErrRequest, MaxTasks, n)
	}
	return nil
}

// Check says why b is not a batch a node can run: the checks a request and a stored
// record both pass.
func (b *Batch) Check() error {
	if err := CheckSize(len(b.Tasks)); err != nil {
		return err
	}
	if b.Attempts < 1 || b.Attempts > MaxAttempts {
		return fmt.Errorf("%w: a task gets 1 to %d attempts, not %d", ErrRequest, MaxAttempts, b.Attempts)
	}
	seen := make(map[string]bool, len(b.Tasks))
	for _, t := range b.Tasks {
		if err := CheckName(t.Name); err != nil {
			return err
		}
		if seen[t.Name] {
			return fmt.Errorf("%w: two tasks are named %q", ErrRequest, t.Name)
		}
		seen[t.Name] = true
		if len(t.Tries) > int(b.Attempts)+MaxUnrun {
			return fmt.Errorf("%w: task %q has %d attempts", ErrRequest, t.Name, len(t.Tries))
		}
	}
	return nil
}

var (
	encMode = func() cbor.EncMode {
		m, err := cbor.CoreDetEncOptions().EncMode()
		if err != nil {
			panic(err)
		}
		return m
	}()
	decMode = func() cbor.DecMode {
		m, err := cbor.DecOptions{MaxArrayElements: MaxTasks + 64, MaxNestedLevels: 8, DupMapKey: cbor.DupMapKeyEnforcedAPF}.DecMode()
		if err != nil {
			panic(err)
		}
		return m
	}()
)

// MaxRecord bounds a stored batch record.
const MaxRecord = 16 << 20

// Encode is a batch's record in the store.
func Encode(b *Batch) []byte {
	data, err := encMode.Marshal(b)
	if err != nil {
		panic(fmt.Sprintf("batch: encode: %v", err))
	}
	return data
}

// Decode parses and checks a stored batch record.
func Decode(data []byte) (*Batch, error) {
	if len(data) > MaxRecord {
		return nil, fmt.Errorf("%w: %d bytes", ErrCorrupt, len(data))
	}
	b := new(Batch)
	if err := decMode.Unmarshal(data, b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if err := b.Check(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return b, nil
}
