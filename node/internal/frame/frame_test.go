package frame

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestRead(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, 'j', []byte("job")); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, 's', nil); err != nil {
		t.Fatal(err)
	}
	stream := b.Bytes()
	cases := []struct {
		name string
		in   []byte
		max  int
		want error
	}{
		{"empty", nil, 16, io.EOF},
		{"head cut", stream[:3], 16, ErrTruncated},
		{"body cut", stream[:6], 16, ErrTruncated},
		{"too large", stream, 2, ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, _, err := Read(bytes.NewReader(c.in), c.max); !errors.Is(err, c.want) {
				t.Fatalf("%v, want %v", err, c.want)
			}
		})
	}
	r := bytes.NewReader(stream)
	for _, want := range []struct {
		kind byte
		body string
	}{{'j', "job"}, {'s', ""}} {
		k, body, err := Read(r, 16)
		if err != nil || k != want.kind || string(body) != want.body {
			t.Fatalf("read %q %q %v, want %q %q", k, body, err, want.kind, want.body)
		}
	}
	if _, _, err := Read(r, 16); err != io.EOF {
		t.Fatalf("after the last frame: %v", err)
	}
}
