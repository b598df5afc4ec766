package p2p

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/daolicloud/daoli/internal/nodetest"
)

func TestFrameRoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, 127, 128, 4095, 4096, 4097, 16383, 16384, readChunk - 1, readChunk, readChunk + 1, 3*readChunk + 17} {
		msg := bytes.Repeat([]byte{byte(size)}, size)
		var buf bytes.Buffer
		if err := WriteFrame(&buf, msg); err != nil {
			t.Fatal(err)
		}
		for name, r := range map[string]io.Reader{
			"whole":    bytes.NewReader(buf.Bytes()),
			"one byte": iotest.OneByteReader(bytes.NewReader(buf.Bytes())),
			"half":     iotest.HalfReader(bytes.NewReader(buf.Bytes())),
		} {
			got, err := ReadFrame(r, size)
			if err != nil {
				t.Fatalf("size %d, %s reader: %v", size, name, err)
			}
			if !bytes.Equal(got, msg) {
				t.Fatalf("size %d, %s reader: body differs", size, name)
			}
		}
		if size > 0 {
			if _, err := ReadFrame(bytes.NewReader(buf.Bytes()), size-1); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("size %d with limit %d: got %v, want ErrTooLarge", size, size-1, err)
			}
		}
	}
}

func TestReadFrameErrors(t *testing.T) {
	cases := []struct {
		name  string
		in    []byte
		limit int
		want  error
	}{
		{"empty input", nil, 10, io.EOF},
		{"prefix cut short", []byte{0x80}, 1000, ErrMalformed},
		{"non-minimal prefix", []byte{0x81, 0x00, 'x'}, 1000, ErrMalformed},
		{"non-minimal zero", []byte{0x80, 0x00}, 1000, ErrMalformed},
		{"prefix over nine bytes", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 1 << 62, ErrMalformed},
		{"body cut short", []byte{5, 'a', 'b'}, 10, ErrMalformed},
		{"over limit", []byte{11}, 10, ErrTooLarge},
		{"claims 4 GiB", binary.AppendUvarint(nil, 4<<30), SyncResponseLimit, ErrTooLarge},
		{"claims 2^63", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, ConsensusMessageLimit, ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadFrame(bytes.NewReader(c.in), c.limit)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestReadOnlyFrameRejectsTrailingData(t *testing.T) {
	in := append(binary.AppendUvarint(nil, 2), 'o', 'k', '!')
	if _, _, err := readOnlyFrame(bytes.NewReader(in), 10, nil); !errors.Is(err, ErrMalformed) {
		t.Fatalf("got %v, want ErrMalformed", err)
	}
	b, _, err := readOnlyFrame(bytes.NewReader(in[:3]), 10, nil)
	if err != nil || string(b) != "ok" {
		t.Fatalf("got %q, %v", b, err)
	}
}

func TestReadFrameDoesNotAllocateTheClaimedSize(t *testing.T) {
	// A prefix claiming 4 GiB is refused without reading further.
	huge := binary.AppendUvarint(nil, 4<<30)
	if n := nodetest.Allocated(func() { _, _ = ReadFrame(bytes.NewReader(huge), ConsensusMessageLimit) }); n > 64<<10 {
		t.Fatalf("4 GiB claim allocated %d bytes", n)
	}
	// A claim under the limit that sends little allocates about what was sent.
	liar := append(binary.AppendUvarint(nil, ConsensusMessageLimit), "tiny"...)
	var err error
	if n := nodetest.Allocated(func() { _, err = ReadFrame(bytes.NewReader(liar), ConsensusMessageLimit) }); n > 2*readChunk {
		t.Fatalf("%d-byte claim with a 4-byte body allocated %d bytes", ConsensusMessageLimit, n)
	}
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("got %v, want ErrMalformed", err)
	}
}

func TestReadFrameBudget(t *testing.T) {
	bud := newBudget(100 << 10)
	msg := bytes.Repeat([]byte{1}, 90<<10)
	var buf bytes.Buffer
	if err := WriteFrame(&buf, msg); err != nil {
		t.Fatal(err)
	}
	frame := buf.Bytes()
	b, charged, err := readFrame(bytes.NewReader(frame), len(msg), bud)
	if err != nil || !bytes.Equal(b, msg) {
		t.Fatalf("first frame: %v", err)
	}
	if charged != int64(len(msg)) || bud.inUse() != charged {
		t.Fatalf("charged %d, in use %d, want %d", charged, bud.inUse(), len(msg))
	}
	// The budget is spent: a second frame is refused, and charges nothing.
	if _, _, err := readFrame(bytes.NewReader(frame), len(msg), bud); !errors.Is(err, ErrBusy) {
		t.Fatalf("second frame: got %v, want ErrBusy", err)
	}
	if bud.inUse() != charged {
		t.Fatalf("refused frame left %d in use", bud.inUse()-charged)
	}
	bud.give(charged)
	if bud.inUse() != 0 {
		t.Fatalf("in use %d after give", bud.inUse())
	}
	// A failed read gives back what it took.
	if _, _, err := readFrame(bytes.NewReader(frame[:len(frame)-1]), len(msg), bud); !errors.Is(err, ErrMalformed) {
		t.Fatalf("cut frame: got %v", err)
	}
	if bud.inUse() != 0 {
		t.Fatalf("failed read left %d in use", bud.inUse())
	}
}

func TestWriteStatusFrame(t *testing.T) {
	for _, size := range []int{0, 10, smallFrame - 1, smallFrame, 5 * smallFrame} {
		body := bytes.Repeat([]byte{7}, size)
		var buf bytes.Buffer
		if err := writeStatusFrame(&buf, statusError, body); err != nil {
			t.Fatal(err)
		}
		got, err := ReadFrame(&buf, size+1)
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != statusError || !bytes.Equal(got[1:], body) {
			t.Fatalf("size %d: frame differs", size)
		}
	}
}
