package frame

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

var (
	// ErrTruncated reports a stream that ended inside a frame.
	ErrTruncated = errors.New("frame cut short")
	// ErrTooLarge reports a frame whose body is longer than the reader allows.
	ErrTooLarge = errors.New("frame too large")
)

// Write writes one frame: kind, length, body.
func Write(w io.Writer, kind byte, body []byte) error {
	var head [5]byte
	head[0] = kind
	binary.BigEndian.PutUint32(head[1:], uint32(len(body)))
	if _, err := w.Write(head[:]); err != nil {
		return err
	}
	if len(body) == 0 {
		return nil
	}
	_, err := w.Write(body)
	return err
}

// Read reads one frame of at most max bytes of body. It returns io.EOF only between
// frames, ErrTruncated inside one and ErrTooLarge for a longer body.
func Read(r io.Reader, max int) (kind byte, body []byte, err error) {
	var head [5]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return 0, nil, ErrTruncated
		}
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(head[1:])
	if uint64(n) > uint64(max) {
		return 0, nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, n)
	}
	body = make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, nil, ErrTruncated
	}
	return head[0], body, nil
}
