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
