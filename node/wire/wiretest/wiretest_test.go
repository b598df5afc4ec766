package wiretest

import (
	"bytes"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// TestCBORHead: each head decodes, as the start of an array of that many items, to
// that many items.
func TestCBORHead(t *testing.T) {
	for _, n := range []int{0, 23, 24, 255, 256, 65535, 65536} {
		data := EmptyItems(n)
		var items []cbor.RawMessage
		if err := cbor.Unmarshal(data, &items); err != nil {
			t.Fatalf("%d empty items: %v", n, err)
		}
		if len(items) != n {
			t.Fatalf("%d empty items decode to %d", n, len(items))
		}
		for _, it := range items {
			if !bytes.Equal(it, []byte{0x80}) {
				t.Fatalf("item %x, want an empty array", it)
			}
		}
	}
	if h := CBORHead(2, 1<<20); !bytes.Equal(h, []byte{0x5a, 0, 0x10, 0, 0}) {
		t.Fatalf("byte string head of 1 MiB: %x", h)
	}
}
