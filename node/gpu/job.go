package gpu

import (
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/daolicloud/daoli/node/compute"
)

// Job is one run of a GPU module.
type Job struct {
	Module    []byte // the manifest (manifest.go)
	InputTree []byte // the input files, packed (compute.PackTree); empty for none
	Limits    Limits
}

// Limits bound one run; a manifest that asks for more is refused before it starts.
type Limits struct {
	BufferBytes  uint64        // all of the job's buffers together
	Dispatches   int           // dispatches, repeats counted
	DispatchTime time.Duration // the watchdog: the longest one dispatch may run
	WallTime     time.Duration // the whole run's running time, pauses not counted
}

// DefaultLimits are a provider's caps when it sets none: far above the example jobs,
// far below what would tie a GPU up for long.
var DefaultLimits = Limits{BufferBytes: 64 << 20, Dispatches: 1024, DispatchTime: 10 * time.Second, WallTime: 10 * time.Minute}

// Validate refuses limits that are zero or beyond the format's bounds.
func (l Limits) Validate() error {
	switch {
	case l.BufferBytes == 0 || l.BufferBytes > MaxTotalBytes:
		return fmt.Errorf("%w: buffer bytes %d, allowed 1 to %d", ErrLimits, l.BufferBytes, MaxTotalBytes)
	case l.Dispatches <= 0 || l.Dispatches > MaxDispatches:
		return fmt.Errorf("%w: dispatches %d, allowed 1 to %d", ErrLimits, l.Dispatches, MaxDispatches)
	case l.DispatchTime <= 0 || l.DispatchTime > l.WallTime:
		return fmt.Errorf("%w: dispatch time %v, allowed up to the wall time", ErrLimits, l.DispatchTime)
	case l.WallTime > compute.MaxWallTime:
		return fmt.Errorf("%w: wall time %v, allowed up to %v", ErrLimits, l.WallTime, compute.MaxWallTime)
	}
	return nil
}

// Admit checks a manifest against the limits: a job asking for more buffer bytes or
// dispatches than they allow is refused before anything runs.
func (l Limits) Admit(m *Manifest) error {
	if n := m.BufferBytes(); n > l.BufferBytes {
		return fmt.Errorf("%w: buffers of %d bytes, cap %d", ErrLimits, n, l.BufferBytes)
	}
	if n := m.DispatchCount(); n > l.Dispatches {
		return fmt.Errorf("%w: %d dispatches, cap %d", ErrLimits, n, l.Dispatches)
	}
	return nil
}

// Status says how a run ended.
type Status uint8

const (
	StatusOK      Status = iota + 1
	StatusFailed         // the device failed or was lost during the run
	StatusTimeout        // a dispatch ran past the watchdog, or the run past its wall time
	StatusInvalid        // the shader does not compile, or does not fit the manifest
)

var statusNames = [...]string{"", "ok", "failed", "timeout", "invalid"}

func (s Status) String() string {
	if int(s) < len(statusNames) && s != 0 {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Result is how a run ended and what it wrote.
type Result struct {
	Status     Status
	Tree       []byte // the output files, packed (compute.PackTree); only with StatusOK
	Reason     string // one line for people, empty with StatusOK
	Dispatches int    // dispatches that completed
	Adapter    string // the adapter that ran it, as Adapter.String says
	Elapsed    time.Duration
}

// ModuleHash names a GPU module by its bytes, as compute.ModuleHash does a WASM one.
func ModuleHash(module []byte) [32]byte { return sha256.Sum256(module) }

// Adapter describes a WebGPU adapter.
type Adapter struct {
	Name    string // the device's name, or the driver's description when it has none
	Vendor  string // "nvidia", "amd", "intel", "apple", or the PCI vendor ID in hex
	Backend string // "vulkan", "metal", "d3d12"
	Type    string // "discrete", "integrated", "cpu" (a software adapter), "virtual"
	// MaxBufferBytes is the largest storage buffer the adapter binds.
	MaxBufferBytes uint64
}

func (a Adapter) String() string {
	return fmt.Sprintf("%s (%s, %s, %s)", a.Name, a.Vendor, a.Type, a.Backend)
}

// Executor runs a manifest's dispatches on a GPU: buffers holds each buffer's
// starting bytes (len equal to its size, in the manifest's order); before is called
// with each dispatch's number before it is submitted, and started once it is, and a
// false from before ends the run. It returns the buffers' final bytes. Errors wrap
// ErrShader for a shader that does not compile or fit, ErrNoAdapter or ErrNoExecutor.
type Executor interface {
	Execute(m *Manifest, buffers [][]byte, before func(dispatch int) bool, started func(dispatch int)) ([][]byte, Adapter, error)
}

// Buffers builds a job's starting buffers from its input tree: zeros, or each
// buffer's input file, which must exist and fit.
func Buffers(m *Manifest, inputTree []byte) ([][]byte, error) {
	files := map[string][]byte{}
	if len(inputTree) > 0 {
		entries, err := compute.UnpackTree(inputTree)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInput, err)
		}
		for _, e := range entries {
			if !e.Dir {
				files[e.Path] = e.Data
			}
		}
	}
	bufs := make([][]byte, len(m.Buffers))
	for i, b := range m.Buffers {
		bufs[i] = make([]byte, b.Size)
		if b.Input == "" {
			continue
		}
		data, ok := files[b.Input]
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: no input file %q for binding %d", ErrInput, b.Input, b.Binding)
		case uint64(len(data)) > b.Size:
			return nil, fmt.Errorf("%w: input file %q of %d bytes is larger than binding %d's %d", ErrInput, b.Input, len(data), b.Binding, b.Size)
		}
		copy(bufs[i], data)
	}
	return bufs, nil
}

// Outputs packs the buffers that become output files into a tree.
func Outputs(m *Manifest, buffers [][]byte) ([]byte, error) {
	var entries []compute.TreeEntry
	for i, b := range m.Buffers {
		if b.Output != "" {
			entries = append(entries, compute.TreeEntry{Path: b.Output, Data: buffers[i]})
		}
	}
	return compute.PackTree(entries)
}
