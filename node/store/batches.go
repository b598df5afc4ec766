package store

import (
	"fmt"

	"github.com/daolicloud/daoli/node/chain"
	"go.etcd.io/bbolt"
)

// PutBatch stores a buyer's batch record (node/batch's encoding) under its ID.
func (s *Store) PutBatch(id chain.Hash, value []byte) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketBatches).Put(id[:], value); err != nil {
			return fmt.Errorf("store batch %s: %w", id.Short(), err)
		}
		return nil
	})
}

// ForEachBatch visits the stored batch records.
func (s *Store) ForEachBatch(fn func(id chain.Hash, value []byte) error) error {
	return s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketBatches).ForEach(func(k, v []byte) error {
			if len(k) != len(chain.Hash{}) {
				return fmt.Errorf("%w: batch key of %d bytes", ErrCorrupt, len(k))
			}
			return fn(chain.Hash(k), v)
		})
	})
}
