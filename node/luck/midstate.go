package luck

import (
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"hash"

	"github.com/daolicloud/daoli/node/chain"
)

// midstate computes chain.Work(prefix, nonce) with the prefix hashed once. The SHA-256
// state after the prefix is saved; each attempt restores it (a copy of a few words),
// appends the nonce and finishes the hash: one compression for a prefix that fills
// whole blocks, as chain.WorkPrefix makes it, against three for hashing it all again.
type midstate struct {
	d     hash.Hash
	u     encoding.BinaryUnmarshaler
	saved []byte
	nonce [8]byte
	sum   [sha256.Size]byte // a field, so Sum appends in place without allocating
}

func newMidstate(prefix []byte) *midstate {
	d := sha256.New()
	d.Write(prefix)
	saved, err := d.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic("luck: sha256 state does not marshal: " + err.Error())
	}
	return &midstate{d: d, u: d.(encoding.BinaryUnmarshaler), saved: saved}
}

// work returns SHA-256(prefix ‖ nonce), nonce big-endian: chain.Work.
func (s *midstate) work(nonce uint64) chain.Hash {
	if err := s.u.UnmarshalBinary(s.saved); err != nil {
		panic("luck: sha256 state does not restore: " + err.Error())
	}
	binary.BigEndian.PutUint64(s.nonce[:], nonce)
	s.d.Write(s.nonce[:])
	s.d.Sum(s.sum[:0])
	return s.sum
}

// scan tries nonces from..to (inclusive) in order and returns the first admitted one.
func (s *midstate) scan(from, to uint64, target chain.Hash) (uint64, bool) {
	for n := from; ; n++ {
		if chain.Admitted(s.work(n), target) {
			return n, true
		}
		if n == to {
			return 0, false
		}
	}
}
