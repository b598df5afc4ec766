package store

import (
	"fmt"

	"go.etcd.io/bbolt"
)

// Earnings is the light node's earnings ledger (docs/light.md): one record per luck win,
// payroll wage, compute sale, purchase or fee, keyed by the height of the block that
// proves it and an index within that block. Records are opaque to the store.
type Earnings struct{ s *Store }

// Earnings returns the store's earnings ledger.
func (s *Store) Earnings() *Earnings { return &Earnings{s} }

// Put stores rec as entry index of block height, replacing any earlier one.
func (e *Earnings) Put(height uint64, index uint32, rec []byte) error {
	err := e.s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketEarnings).Put(earningKey(height, index), rec)
	})
	if err != nil {
		return fmt.Errorf("put earning %d/%d: %w", height, index, err)
	}
	return nil
}

// Range calls fn with every record from height on, by height and index. fn runs
// outside any transaction and owns rec; an error from fn stops the walk and is returned.
func (e *Earnings) Range(from uint64, fn func(height uint64, index uint32, rec []byte) error) error {
	return e.s.rangeBucket(bucketEarnings, earningKey(from, 0), func(k, v []byte) error {
		height, index, err := decodeEarningKey(k)
		if err != nil {
			return fmt.Errorf("range the earnings: %w", err)
		}
		return fn(height, index, v)
	})
}
