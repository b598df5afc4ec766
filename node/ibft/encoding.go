package ibft

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"reflect"

	"github.com/daolicloud/daoli/node/chain"
)

// Size limits of encoded messages; a decoder rejects anything larger before parsing.
const (
	// MaxReportSize holds the most tickets a report can carry (payroll cap + 1).
	MaxReportSize = (chain.MaxPayroll+1)*chain.MaxKeyBlockSize + 1<<10
	// MaxProposalSize holds the largest block and the reports a proposal carries.
	MaxProposalSize = 2 * chain.MaxBlockSize
	// MaxMessageSize is the largest message on the wire.
	MaxMessageSize = MaxProposalSize + 1<<10
	// MaxRecordSize is the largest write-ahead log record: a precommit beside the
	// proposal of the block it locks on.
	MaxRecordSize = MaxProposalSize + 2*chain.MaxVoteSize
)

// The encoding is node/chain's own modes (chain.EncMode, chain.DecMode): CBOR in its
// core deterministic form with structs as arrays, strict decoding, and a re-encode check
// so each value has one encoding. Chain types nested in messages (blocks, tickets,
// votes) therefore encode here exactly as node/chain encodes them, and their hashes and
// signatures carry over.
var (
	encMode = chain.EncMode()
	decMode = chain.DecMode()
)

// encode returns the canonical encoding of v. Every type of this package encodes, so a
// failure is a broken invariant.
func encode(v any) []byte {
	b, err := encMode.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("ibft: encode %T: %v", v, err))
	}
	return b
}

// decode parses data into v, a pointer, enforcing the size limit and the canonical form.
func decode(data []byte, v any, limit int) error {
	name := reflect.TypeOf(v).Elem().Name()
	if len(data) > limit {
		return fmt.Errorf("decode %s: %w: %d bytes, limit %d", name, chain.ErrTooLarge, len(data), limit)
	}
	if err := decMode.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s: %w: %v", name, chain.ErrMalformed, err)
	}
	if !bytes.Equal(encode(v), data) {
		return fmt.Errorf("decode %s: %w", name, chain.ErrNonCanonical)
	}
	return nil
}

// hashTagged hashes a domain tag and parts, so hashes of different kinds never collide.
func hashTagged(tag string, parts ...[]byte) chain.Hash {
	d := sha256.New()
	d.Write([]byte(tag))
	for _, p := range parts {
		d.Write(p)
	}
	var h chain.Hash
	d.Sum(h[:0])
	return h
}
