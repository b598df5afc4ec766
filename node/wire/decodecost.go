package wire

import (
	"fmt"
	"reflect"
	"sync"

	"github.com/fxamacker/cbor/v2"
)

// The CBOR decoder makes a slice as long as the array it reads claims before it reads
// the items, and goes on through items it cannot use. An array of one-byte items
// decoded into a slice of large structs (a KeyBlock takes 168 bytes) thus takes about
// two hundred times its encoding: a 2 MiB consensus message of nested empty arrays
// became a Proposal of 460 MiB, and a message at the consensus limit would take
// gigabytes, all before the decoder reports the first error. CheckDecodeCost walks an
// encoding against the Go type it will fill, allocating nothing, and bounds what
// decoding it allocates; data whose bound is far beyond what a valid value takes is
// refused before it is decoded.

const (
	// maxDecodeRatio bounds the bytes a decoded value may take per encoded byte. A valid
	// value takes at most about twice its encoding (a small transaction, whose struct
	// and copied signature outweigh its CBOR), so honest data stays well under it.
	maxDecodeRatio = 4
	// decodeSlack covers small values, whose fixed-size structs outweigh their bytes.
	decodeSlack = 64 << 10
	// maxCostDepth bounds the walk's recursion; the decoders refuse nesting deeper than
	// 16 levels anyway.
	maxCostDepth = 32
)

// CheckDecodeCost refuses data that would take more than maxDecodeRatio times its size
// once decoded into a value of type t. Data that is not well formed passes: the decoder
// refuses it before it allocates anything.
func CheckDecodeCost(data []byte, t reflect.Type) error {
	w := costWalker{data: data, budget: maxDecodeRatio*int64(len(data)) + decodeSlack}
	if !w.value(t, 0) && w.over {
		return fmt.Errorf("%w: %d bytes would decode into %s of more than %d bytes", ErrBloated, len(data), t, w.budget)
	}
	return nil
}

var unmarshalerType = reflect.TypeFor[cbor.Unmarshaler]()

// costWalker reads CBOR items as the decoders of this project accept them (definite
// lengths, no tags) and adds up what decoding them allocates. It stops at the first
// item that is not well formed, or as soon as the sum passes the budget (over), so a
// bloated encoding costs no more to refuse than its first long array.
type costWalker struct {
	data   []byte
	off    int
	spent  int64
	budget int64
	over   bool
}

// charge adds n bytes of allocation and reports whether they fit in the budget.
func (w *costWalker) charge(n int64) bool {
	w.spent += n
	w.over = w.spent > w.budget
	return !w.over
}

// head reads an item's head: its major type and argument (a value, a length or a
// count). It fails on truncated data, indefinite lengths and reserved values.
func (w *costWalker) head() (major byte, arg uint64, ok bool) {
	if w.off >= len(w.data) {
		return 0, 0, false
	}
	b := w.data[w.off]
	w.off++
	major, info := b>>5, b&0x1f
	switch {
	case info < 24:
		return major, uint64(info), true
	case info <= 27:
		n := 1 << (info - 24)
		if len(w.data)-w.off < n {
			return 0, 0, false
		}
		for _, c := range w.data[w.off : w.off+n] {
			arg = arg<<8 | uint64(c)
		}
		w.off += n
		return major, arg, true
	}
	return 0, 0, false
}

// room reports whether n more items, of at least one byte each, fit in what is left.
func (w *costWalker) room(n uint64) bool { return n <= uint64(len(w.data)-w.off) }

// skip passes over one item.
func (w *costWalker) skip(depth int) bool {
	if depth > maxCostDepth {
		return false
	}
	major, arg, ok := w.head()
	if !ok {
		return false
	}
	switch major {
	case 2, 3: // byte and text strings
		if !w.room(arg) {
			return false
		}
		w.off += int(arg)
	case 4, 5: // arrays, and maps of arg pairs
		if !w.room(arg) {
			return false
		}
		n := arg
		if major == 5 {
			n *= 2
		}
		for range n {
			if !w.skip(depth + 1) {
				return false
			}
		}
	case 6: // tags, which the decoders refuse
		return false
	}
	return true
}

// value passes over one item that the decoder would put into a value of type t,
// charging what decoding it allocates beyond the value itself. It returns false on
// data that is not well formed and when the budget is spent.
func (w *costWalker) value(t reflect.Type, depth int) bool {
	if depth > maxCostDepth {
		return false
	}
	start := w.off
	info := infoOf(t)
	if info.unmarshaler {
		// cbor.RawMessage and the like keep a copy of the item.
		return w.skip(depth) && w.charge(int64(w.off-start))
	}
	major, arg, ok := w.head()
	if !ok {
		return false
	}
	switch {
	case t.Kind() == reflect.Pointer:
		if major == 7 && (arg == 22 || arg == 23) { // null and undefined leave it nil
			return true
		}
		w.off = start
		return w.charge(int64(t.Elem().Size())) && w.value(t.Elem(), depth)
	case major == 2 || major == 3:
		if !w.room(arg) {
			return false
		}
		w.off += int(arg)
		if t.Kind() == reflect.Array {
			return true // copied into the array in place
		}
		return w.charge(int64(arg))
	case major == 4 && t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8:
		// The slice is made at the length the array claims, before its items are read.
		if !w.room(arg) || !w.charge(int64(arg)*int64(t.Elem().Size())) {
			return false
		}
		for range arg {
			if !w.value(t.Elem(), depth+1) {
				return false
			}
		}
		return true
	case major == 4 && t.Kind() == reflect.Array:
		if !w.room(arg) {
			return false
		}
		for i := range arg {
			ok := false
			if i < uint64(t.Len()) {
				ok = w.value(t.Elem(), depth+1)
			} else {
				ok = w.skip(depth + 1)
			}
			if !ok {
				return false
			}
		}
		return true
	case t.Kind() == reflect.Map || t.Kind() == reflect.Interface:
		// No wire type has these, and decoding into them allocates freely: charged
		// far above anything valid, so adding one fails loudly until it is walked.
		w.off = start
		return w.skip(depth) && w.charge(64*int64(w.off-start))
	case major == 4 && t.Kind() == reflect.Struct && arg == uint64(len(info.fields)):
		for _, f := range info.fields {
			if !w.value(f, depth+1) {
				return false
			}
		}
		return true
	}
	// Anything else either fits in the value (integers, booleans) or does not decode
	// into t at all (an array of the wrong length for a struct, say), which the decoder
	// reports after skipping the item without allocating for it.
	w.off = start
	return w.skip(depth)
}

// typeInfo is what the walk needs to know of a type, worked out once.
type typeInfo struct {
	unmarshaler bool           // decodes itself (cbor.RawMessage)
	fields      []reflect.Type // of a struct encoded as a CBOR array, in order
}

var typeInfos sync.Map // reflect.Type → *typeInfo

func infoOf(t reflect.Type) *typeInfo {
	if info, ok := typeInfos.Load(t); ok {
		return info.(*typeInfo)
	}
	info := &typeInfo{unmarshaler: reflect.PointerTo(t).Implements(unmarshalerType)}
	if t.Kind() == reflect.Struct {
		// The exported fields: the wire types have no embedded or skipped ones.
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				info.fields = append(info.fields, f.Type)
			}
		}
	}
	typeInfos.Store(t, info)
	return info
}
