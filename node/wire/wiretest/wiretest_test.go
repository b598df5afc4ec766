package wiretest

import (
	"bytes"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
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

// TestBlockBloat: the bloated block is a certified block of three items whose block
// holds the header as given and two arrays of n empty items.
func TestBlockBloat(t *testing.T) {
	h := chain.Header{ChainID: "test", Epoch: 7}
	var cb []cbor.RawMessage
	if err := cbor.Unmarshal(BlockBloat(h, 1000), &cb); err != nil || len(cb) != 3 {
		t.Fatalf("certified block: %d items, %v", len(cb), err)
	}
	var block []cbor.RawMessage
	if err := cbor.Unmarshal(cb[0], &block); err != nil || len(block) != 5 {
		t.Fatalf("block: %d items, %v", len(block), err)
	}
	if !bytes.Equal(block[0], chain.EncodeHeader(&h)) {
		t.Fatal("the block's header is not the one given")
	}
	for _, i := range []int{2, 3} {
		var items []cbor.RawMessage
		if err := cbor.Unmarshal(block[i], &items); err != nil || len(items) != 1000 {
			t.Fatalf("block item %d: %d items, %v", i, len(items), err)
		}
	}
}
