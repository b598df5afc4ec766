package p2p

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
)

// A frame is a message on a stream: its length as an unsigned varint (the multiformats
// unsigned-varint: minimal encoding, at most 9 bytes), then that many bytes. Every Daoli
// stream carries exactly one frame in each direction it is used, so a reader also checks
// that nothing follows the frame.

// maxVarintLen is the longest length prefix the multiformats rules allow.
const maxVarintLen = 9

// smallFrame is the size under which WriteFrame sends prefix and body in one write.
const smallFrame = 4 << 10

// readChunk is how much a reader allocates ahead of the bytes that actually arrived, so
// a frame that claims a large size but sends little costs little.
const readChunk = 64 << 10

// WriteFrame writes msg as one frame.
func WriteFrame(w io.Writer, msg []byte) error {
	var hdr [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(hdr[:], uint64(len(msg)))
	if len(msg) <= smallFrame {
		buf := make([]byte, 0, n+len(msg))
		buf = append(append(buf, hdr[:n]...), msg...)
		_, err := w.Write(buf)
		return err
	}
	if _, err := w.Write(hdr[:n]); err != nil {
		return err
	}
	_, err := w.Write(msg)
	return err
}

// ReadFrame reads one frame of at most limit bytes from r. A length prefix over the
// limit is refused with ErrTooLarge as soon as it is read, before the body is allocated;
// a bad prefix or a body cut short is ErrMalformed. io.EOF means r ended cleanly before
// the frame began.
func ReadFrame(r io.Reader, limit int) ([]byte, error) {
	b, _, err := readFrame(r, limit, nil)
	return b, err
}

// readOnlyFrame reads the one frame a stream carries and checks that the sender closed
// its side right after it.
func readOnlyFrame(r io.Reader, limit int, bud *budget) ([]byte, int64, error) {
	b, charged, err := readFrame(r, limit, bud)
	if err != nil {
		return nil, 0, err
	}
	var one [1]byte
	switch n, err := io.ReadFull(r, one[:]); {
	case n > 0:
		bud.give(charged)
		return nil, 0, fmt.Errorf("%w: data after the frame", ErrMalformed)
	case errors.Is(err, io.EOF):
		return b, charged, nil
	default:
		bud.give(charged)
		return nil, 0, err
	}
}

// readFrame reads a frame, charging the bytes it allocates to bud (nil: no budget). On
// success the caller owns the charge and gives it back when done with the bytes.
func readFrame(r io.Reader, limit int, bud *budget) ([]byte, int64, error) {
	size, err := readLength(r, limit)
	if err != nil {
		return nil, 0, err
	}
	n := int(size)
	var charged int64
	grow := func(buf []byte, want int) ([]byte, error) {
		if !bud.take(int64(want - cap(buf))) {
			return nil, ErrBusy
		}
		charged += int64(want - cap(buf))
		next := make([]byte, len(buf), want)
		copy(next, buf)
		return next, nil
	}
	buf, err := grow(nil, min(n, readChunk))
	if err != nil {
		return nil, 0, err
	}
	for len(buf) < n {
		if len(buf) == cap(buf) {
			if buf, err = grow(buf, min(2*cap(buf), n)); err != nil {
				bud.give(charged)
				return nil, 0, err
			}
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err != nil && len(buf) < n {
			bud.give(charged)
			if errors.Is(err, io.EOF) {
				return nil, 0, fmt.Errorf("%w: body ends after %d of %d bytes", ErrMalformed, len(buf), n)
			}
			return nil, 0, err
		}
	}
	return buf, charged, nil
}

// readLength reads the length prefix one byte at a time, so it never reads past it, and
// stops as soon as the value is over limit.
func readLength(r io.Reader, limit int) (uint64, error) {
	var (
		x   uint64
		one [1]byte
	)
	for i := 0; i < maxVarintLen; i++ {
		if _, err := io.ReadFull(r, one[:]); err != nil {
			if i > 0 && errors.Is(err, io.EOF) {
				return 0, fmt.Errorf("%w: length prefix cut short", ErrMalformed)
			}
			return 0, err
		}
		b := one[0]
		x |= uint64(b&0x7f) << (7 * i)
		if x > uint64(limit) {
			return 0, fmt.Errorf("%w: frame of at least %d bytes, limit %d", ErrTooLarge, x, limit)
		}
		if b < 0x80 {
			if b == 0 && i > 0 {
				return 0, fmt.Errorf("%w: length prefix not minimally encoded", ErrMalformed)
			}
			return x, nil
		}
	}
	return 0, fmt.Errorf("%w: length prefix longer than %d bytes", ErrMalformed, maxVarintLen)
}

// budget bounds the bytes held by inbound frames across all streams, so the memory a
// node spends on what peers send stays bounded however many of them send at once. A nil
// budget is unlimited.
type budget struct {
	used atomic.Int64
	max  int64
}

func newBudget(max int64) *budget { return &budget{max: max} }

// take charges n bytes if they fit.
func (b *budget) take(n int64) bool {
	if b == nil || n <= 0 {
		return true
	}
	for {
		used := b.used.Load()
		if used+n > b.max {
			return false
		}
		if b.used.CompareAndSwap(used, used+n) {
			return true
		}
	}
}

// give returns n bytes to the budget.
func (b *budget) give(n int64) {
	if b == nil || n <= 0 {
		return
	}
	if b.used.Add(-n) < 0 {
		panic("p2p: inbound budget returned more than was taken")
	}
}

// inUse reports the bytes currently charged.
func (b *budget) inUse() int64 {
	if b == nil {
		return 0
	}
	return b.used.Load()
}
