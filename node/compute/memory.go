package compute

import "github.com/tetratelabs/wazero/experimental"

// sliceMemory is a linear memory in a Go slice, grown by copying: what wazero does
// by itself, for where no mapping can be had.
type sliceMemory struct {
	buf []byte
	max uint64
}

func (m *sliceMemory) Reallocate(size uint64) []byte {
	switch {
	case size > m.max:
		return nil
	case size <= uint64(cap(m.buf)):
		m.buf = m.buf[:size]
	default:
		m.buf = append(m.buf[:cap(m.buf)], make([]byte, size-uint64(cap(m.buf)))...)
		m.buf = m.buf[:size]
	}
	return m.buf
}

func (m *sliceMemory) Free() { m.buf = nil }

var _ experimental.LinearMemory = (*sliceMemory)(nil)

// jobMemory caps one run's linear memory at the job's limit, below the runtime's,
// which is the largest any job may ask for: a memory.grow past the limit fails, as
// the module's own allocator then reports. The memory itself is mmapAllocator's.
type jobMemory struct {
	limit uint64
	// overAtStart: the module's memory starts above the limit. wazero allocates the
	// starting size unconditionally (failing would be a panic), so the run checks
	// this before the module starts.
	overAtStart bool
}

func (j *jobMemory) Allocate(capBytes, maxBytes uint64) experimental.LinearMemory {
	// Reserve what the job may use, not the runtime's 4 GiB: a system that does not
	// overcommit counts the reservation. The starting size (capBytes) always fits.
	return &cappedMemory{LinearMemory: mmapAllocator.Allocate(capBytes, min(maxBytes, max(j.limit, capBytes))), job: j}
}

type cappedMemory struct {
	experimental.LinearMemory
	job     *jobMemory
	started bool
}

func (m *cappedMemory) Reallocate(size uint64) []byte {
	if size > m.job.limit {
		if m.started {
			return nil
		}
		m.job.overAtStart = true
	}
	m.started = true
	return m.LinearMemory.Reallocate(size)
}

var _ experimental.MemoryAllocator = (*jobMemory)(nil)
