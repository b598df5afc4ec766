package capacity

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Workload is a unit of work the capacity check times.
type Workload struct {
	Name string // "sha256", "float"
	Unit string // what one unit is, for display: "compressions/s"
	// New returns a function that does n units of work; each measuring goroutine
	// gets its own, so workloads need no locking.
	New func() func(n int)
}

// MinerWorkload counts SHA-256 compressions, the inner step of the miner's nonce
// search (one compression per attempt from a shared midstate, as luck.Miner hashes).
func MinerWorkload() Workload {
	return Workload{Name: "sha256", Unit: "compressions/s", New: func() func(int) {
		h := sha256.New()
		block := make([]byte, 64*256)
		return func(n int) {
			for n > 0 {
				k := min(n, 256)
				h.Write(block[:64*k]) // each full 64-byte block is one compression
				n -= k
			}
			sinkHash(h)
		}
	}}
}

// JobWorkload counts iterations of a Mandelbrot kernel: floating-point work like the
// example jobs' (assets/jobs), without their WebAssembly sandbox.
func JobWorkload() Workload {
	return Workload{Name: "float", Unit: "iterations/s", New: func() func(int) {
		var cx float64 = -0.7436
		return func(n int) {
			x, y, escaped := 0.0, 0.0, 0
			for i := 0; i < n; i++ {
				x, y = x*x-y*y+cx, 2*x*y+0.1318
				if x*x+y*y > 4 {
					x, y = 0, 0
					escaped++
				}
			}
			cx += float64(escaped) * 1e-12
			sinkFloat.Store(uint64(x*1e6) + uint64(escaped))
		}
	}}
}

// The sinks keep the compiler from dropping work whose result nobody reads.
var (
	sinkFloat atomic.Uint64
	sinkMu    sync.Mutex
	sinkSum   []byte
)

func sinkHash(h hash.Hash) {
	sum := h.Sum(nil)
	sinkMu.Lock()
	sinkSum = sum
	sinkMu.Unlock()
}

// Throughput is one workload's measured rate.
type Throughput struct {
	Workload   string  `json:"workload"`
	Unit       string  `json:"unit"`
	SingleCore float64 `json:"single_core"` // units per second on one core
	AllCores   float64 `json:"all_cores"`   // units per second on Cores goroutines
	Cores      int     `json:"cores"`
}

// CheckResult is a stored capacity check.
type CheckResult struct {
	Fingerprint Fingerprint   `json:"fingerprint"`
	At          time.Time     `json:"at"`
	Duration    time.Duration `json:"duration"` // of each of the four measurements
	Miner       Throughput    `json:"miner"`
	Job         Throughput    `json:"job"`
}

// CheckOptions configure RunCheck.
type CheckOptions struct {
	// Duration of each measurement; the check takes four. 0 means one second.
	Duration time.Duration
	// Cores for the all-core figure; 0 means every usable core.
	Cores int
	// Miner and Job default to MinerWorkload and JobWorkload.
	Miner, Job *Workload
}

// RunCheck measures single-core and all-core throughput of the miner's and the jobs'
// workloads: four measurements of Duration each.
func RunCheck(ctx context.Context, fp Fingerprint, opts CheckOptions) (CheckResult, error) {
	if opts.Duration <= 0 {
		opts.Duration = time.Second
	}
	if opts.Cores <= 0 {
		opts.Cores = runtime.NumCPU()
	}
	miner, job := MinerWorkload(), JobWorkload()
	if opts.Miner != nil {
		miner = *opts.Miner
	}
	if opts.Job != nil {
		job = *opts.Job
	}
	res := CheckResult{Fingerprint: fp, At: time.Now(), Duration: opts.Duration}
	for _, m := range []struct {
		w   Workload
		out *Throughput
	}{{miner, &res.Miner}, {job, &res.Job}} {
		single, err := MeasureThroughput(ctx, m.w, 1, opts.Duration)
		if err != nil {
			return CheckResult{}, err
		}
		all, err := MeasureThroughput(ctx, m.w, opts.Cores, opts.Duration)
		if err != nil {
			return CheckResult{}, err
		}
		*m.out = Throughput{Workload: m.w.Name, Unit: m.w.Unit, SingleCore: single, AllCores: all, Cores: opts.Cores}
	}
	return res, nil
}

// MeasureThroughput runs the workload on the given number of goroutines for about d
// and returns the units per second they achieved together.
func MeasureThroughput(ctx context.Context, w Workload, workers int, d time.Duration) (float64, error) {
	if w.New == nil || workers < 1 {
		return 0, fmt.Errorf("measure %q: no work or no workers", w.Name)
	}
	rates := make([]float64, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rates[i] = measureOne(ctx, w.New(), d)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("measure %q: %w", w.Name, err)
	}
	var total float64
	for _, r := range rates {
		total += r
	}
	return total, nil
}

// measureOne grows the batch until one takes about a millisecond, so looking at the
// clock costs nothing next to the work, and counts units until d has passed.
func measureOne(ctx context.Context, work func(int), d time.Duration) float64 {
	const batchTarget = time.Millisecond
	batch, units := 1, 0
	start := time.Now()
	for {
		t0 := time.Now()
		work(batch)
		units += batch
		now := time.Now()
		if now.Sub(start) >= d || ctx.Err() != nil {
			return float64(units) / now.Sub(start).Seconds()
		}
		if now.Sub(t0) < batchTarget && batch < 1<<30 {
			batch *= 2
		}
	}
}

// CheckStore keeps the last capacity check.
type CheckStore interface {
	// LoadCheck returns the stored result, or ErrNotFound.
	LoadCheck() (CheckResult, error)
	SaveCheck(CheckResult) error
}

// FileCheckStore keeps the check as JSON in one file.
type FileCheckStore struct {
	Path string
}

// LoadCheck reads the file.
func (f FileCheckStore) LoadCheck() (CheckResult, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return CheckResult{}, fmt.Errorf("capacity check %s: %w", f.Path, ErrNotFound)
	}
	if err != nil {
		return CheckResult{}, fmt.Errorf("load capacity check: %w", err)
	}
	var r CheckResult
	if err := json.Unmarshal(b, &r); err != nil {
		return CheckResult{}, fmt.Errorf("capacity check %s: %w: %w", f.Path, ErrCorrupt, err)
	}
	return r, nil
}

// SaveCheck replaces the file atomically.
func (f FileCheckStore) SaveCheck(r CheckResult) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode capacity check: %w", err)
	}
	return writeFileAtomic(f.Path, append(b, '\n'))
}

// EnsureCheck returns the stored check if it was made on hardware with this
// fingerprint, and otherwise runs a new one and stores it. ran reports a new check.
// A corrupt store is replaced by a fresh check.
func EnsureCheck(ctx context.Context, store CheckStore, fp Fingerprint, opts CheckOptions) (res CheckResult, ran bool, err error) {
	stored, err := store.LoadCheck()
	switch {
	case err == nil && stored.Fingerprint.Equal(fp):
		return stored, false, nil
	case err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrCorrupt):
		return CheckResult{}, false, err
	}
	res, err = RunCheck(ctx, fp, opts)
	if err != nil {
		return CheckResult{}, false, err
	}
	if err := store.SaveCheck(res); err != nil {
		return CheckResult{}, false, err
	}
	return res, true, nil
}
