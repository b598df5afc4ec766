//go:build !unix

package compute

import "github.com/tetratelabs/wazero/experimental"

// mmapAllocator keeps linear memories in Go slices where there is no mmap.
var mmapAllocator experimental.MemoryAllocator = experimental.MemoryAllocatorFunc(func(_, max uint64) experimental.LinearMemory {
	return &sliceMemory{max: max}
})
