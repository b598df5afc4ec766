package market

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/content"
	"github.com/daolicloud/daoli/node/market/terms"
)

// A deal's result is one small document, its hash the Output a ResultPost names: the
// hashes and sizes of the job's standard output and of its packed /output tree (each
// a blob of its own in the content directory), its standard error inline (the sandbox
// keeps at most 64 KiB of it) and, for a run that did not end ok, the reason in words.
// So one digest covers all three outputs, and a re-check or a mediator compares them
// all by comparing it.
//
//	"dresult1\n"                        magic
//	uvarint n, n bytes                  reason (UTF-8, at most MaxReason bytes)
//	32 bytes, uvarint size              standard output: its hash and size
//	uvarint n, n bytes                  standard error (at most MaxStderr bytes)
//	32 bytes, uvarint size              the packed /output tree; all zero when none
//
// A run that passed a cap (time, memory, output) posts its reason only: how far such a
// run got before it was stopped differs between machines, and what it left is not
// what the buyer asked for; the reason names the cap.
const resultMagic = "dresult1\n"

// Bounds of a result document.
const (
	MaxStderr = 64 << 10
	MaxReason = 512
	MaxResult = len(resultMagic) + 3*binary.MaxVarintLen64 + 2*(32+binary.MaxVarintLen64) + MaxReason + MaxStderr
)

// ErrResult: a result document that does not decode.
var ErrResult = errors.New("bad result document")

// Part names one output blob: its hash and size. The zero Part is none.
type Part struct {
	Hash chain.Hash
	Size uint64
}

// Result is a deal's result document.
type Result struct {
	Reason string
	Stdout Part
	Stderr []byte
	Tree   Part
}

// Outputs is a run's result document and the blobs it names.
type Outputs struct {
	Result Result
	Stdout []byte
	Tree   []byte
}

// OutputsOf is what a provider posts for a sandbox run of a deal's job, and what a
// re-check or a mediator compares against it.
func OutputsOf(res compute.Result) Outputs {
	o := Outputs{Result: Result{Reason: Truncate(res.Reason, MaxReason)}}
	if StatusOf(res.Status) == chain.StatusLimit {
		return o
	}
	o.Stdout, o.Tree = res.Stdout, res.Tree
	o.Result.Stdout = Part{chain.Hash(content.HashOf(res.Stdout)), uint64(len(res.Stdout))}
	o.Result.Stderr = res.Stderr[:min(len(res.Stderr), MaxStderr)]
	if res.Tree != nil {
		o.Result.Tree = Part{chain.Hash(content.HashOf(res.Tree)), uint64(len(res.Tree))}
	}
	return o
}

// Hash is the document's hash: the Output a ResultPost names.
func (r Result) Hash() chain.Hash { return chain.Hash(content.HashOf(r.Encode())) }

// Encode is the document's bytes.
func (r Result) Encode() []byte {
	b := make([]byte, 0, len(resultMagic)+len(r.Reason)+len(r.Stderr)+96)
	b = append(b, resultMagic...)
	b = binary.AppendUvarint(b, uint64(len(r.Reason)))
	b = append(b, r.Reason...)
	b = append(b, r.Stdout.Hash[:]...)
	b = binary.AppendUvarint(b, r.Stdout.Size)
	b = binary.AppendUvarint(b, uint64(len(r.Stderr)))
	b = append(b, r.Stderr...)
	b = append(b, r.Tree.Hash[:]...)
	return binary.AppendUvarint(b, r.Tree.Size)
}

// DecodeResult parses a result document, refusing any Encode would not have written:
// a bad magic, a field past its bound, a size without a hash, a number not written
// minimally, or bytes past the end. Stderr aliases b.
func DecodeResult(b []byte) (Result, error) {
	var r Result
	if len(b) > MaxResult {
		return r, fmt.Errorf("%w: %d bytes, at most %d", ErrResult, len(b), MaxResult)
	}
	rest, ok := bytes.CutPrefix(b, []byte(resultMagic))
	if !ok {
		return r, fmt.Errorf("%w: not a result document", ErrResult)
	}
	field := func(what string, limit int) ([]byte, error) {
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > uint64(limit) || n > uint64(len(rest)-k) {
			return nil, fmt.Errorf("%w: %s", ErrResult, what)
		}
		f := rest[k : k+int(n)]
		rest = rest[k+int(n):]
		return f, nil
	}
	part := func(what string, limit uint64) (Part, error) {
		var p Part
		if len(rest) < 32 {
			return p, fmt.Errorf("%w: %s", ErrResult, what)
		}
		copy(p.Hash[:], rest)
		n, k := binary.Uvarint(rest[32:])
		if k <= 0 || n > limit {
			return p, fmt.Errorf("%w: %s size", ErrResult, what)
		}
		p.Size, rest = n, rest[32+k:]
		if p.Size > 0 && p.Hash.IsZero() {
			return p, fmt.Errorf("%w: %s of %d bytes without a hash", ErrResult, what, p.Size)
		}
		return p, nil
	}
	reason, err := field("reason", MaxReason)
	if err != nil {
		return r, err
	}
	r.Reason = string(reason)
	if r.Stdout, err = part("standard output", terms.MaxBlob); err != nil {
		return r, err
	}
	if r.Stderr, err = field("standard error", MaxStderr); err != nil {
		return r, err
	}
	if len(r.Stderr) == 0 {
		r.Stderr = nil
	}
	if r.Tree, err = part("output tree", terms.MaxBlob); err != nil {
		return r, err
	}
	if len(rest) > 0 {
		return r, fmt.Errorf("%w: %d bytes past the end", ErrResult, len(rest))
	}
	// Encode writes uvarints minimally; a document written another way would have
	// another hash for the same result.
	if !bytes.Equal(r.Encode(), b) {
		return r, fmt.Errorf("%w: not in its one encoding", ErrResult)
	}
	return r, nil
}
