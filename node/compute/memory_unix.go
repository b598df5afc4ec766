//go:build unix

package compute

import (
	"math"
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// mmapAllocator backs a module's linear memory with an anonymous mapping of its
// largest size, reserved and not committed: the pages the module touches become
// memory, zeroed by the OS, and growing the memory only lengthens the slice. Without
// it wazero keeps the memory in a Go slice and copies it whole at every growth, and
// the Go heap, and its collector, carry it.
var mmapAllocator experimental.MemoryAllocator = experimental.MemoryAllocatorFunc(func(_, max uint64) experimental.LinearMemory {
	if max == 0 || max > math.MaxInt {
		return &sliceMemory{max: max}
	}
	buf, err := syscall.Mmap(-1, 0, int(max), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return &sliceMemory{max: max}
	}
	return &mmapMemory{buf: buf}
})

type mmapMemory struct{ buf []byte }

func (m *mmapMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.buf)) {
		return nil
	}
	return m.buf[:size]
}

func (m *mmapMemory) Free() {
	if m.buf != nil {
		_ = syscall.Munmap(m.buf)
		m.buf = nil
	}
}
