package p2p

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// FuzzReadFrame feeds arbitrary bytes to the frame decoder. It must never panic, never
// return more than the limit, agree with itself whatever the read sizes, and accept
// only frames that WriteFrame would have written.
func FuzzReadFrame(f *testing.F) {
	for _, seed := range [][]byte{
		nil,
		{0},
		{3, 'a', 'b', 'c'},
		{3, 'a', 'b', 'c', 'd'},
		{0x80},
		{0x80, 0x00},
		{0x80, 0x01},
		{0xff, 0xff, 0xff, 0xff, 0x0f},
		binary.AppendUvarint(nil, 4<<30),
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		append(binary.AppendUvarint(nil, 200), bytes.Repeat([]byte{9}, 200)...),
	} {
		f.Add(seed, uint16(256))
	}
	f.Fuzz(func(t *testing.T, in []byte, limit16 uint16) {
		limit := int(limit16)
		got, err := ReadFrame(bytes.NewReader(in), limit)
		got1, err1 := ReadFrame(iotest.OneByteReader(bytes.NewReader(in)), limit)
		if (err == nil) != (err1 == nil) || !bytes.Equal(got, got1) {
			t.Fatalf("whole reader (%v) and one-byte reader (%v) disagree", err, err1)
		}
		if err != nil {
			if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrMalformed) && !errors.Is(err, io.EOF) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			if errors.Is(err, io.EOF) && len(in) != 0 {
				t.Fatalf("io.EOF on %d bytes of input", len(in))
			}
			return
		}
		if len(got) > limit {
			t.Fatalf("returned %d bytes over limit %d", len(got), limit)
		}
		// The accepted frame is canonical: WriteFrame gives back the bytes consumed.
		var out bytes.Buffer
		if err := WriteFrame(&out, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(in, out.Bytes()) {
			t.Fatalf("frame %x is not how WriteFrame writes its body", in[:out.Len()])
		}
		// Exactly one frame: readOnlyFrame agrees iff nothing follows.
		_, _, errOnly := readOnlyFrame(bytes.NewReader(in), limit, nil)
		if (len(in) == out.Len()) != (errOnly == nil) {
			t.Fatalf("readOnlyFrame on %d of %d bytes: %v", out.Len(), len(in), errOnly)
		}
	})
}

// FuzzFrameRoundTrip checks that every message survives WriteFrame and ReadFrame.
func FuzzFrameRoundTrip(f *testing.F) {
	f.Add([]byte(nil))
	f.Add([]byte("hello"))
	f.Add(bytes.Repeat([]byte{1}, 300))
	f.Fuzz(func(t *testing.T, msg []byte) {
		var buf bytes.Buffer
		if err := WriteFrame(&buf, msg); err != nil {
			t.Fatal(err)
		}
		got, _, err := readOnlyFrame(&buf, len(msg), nil)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("round trip of %d bytes: %v", len(msg), err)
		}
	})
}
