package store

import (
	"bytes"
	"fmt"

	"go.etcd.io/bbolt"
)

// WAL is the consensus write-ahead log of a trustee (DESIGN §3.4): every vote it signs
// is appended here, durably, before it is sent, and replayed after a crash so that it
// never signs a conflicting vote. Records are opaque to the store. Each gets the next
// sequence number, which is never reused, not even after Truncate.
type WAL struct{ s *Store }

// WAL returns the store's write-ahead log.
func (s *Store) WAL() *WAL { return &WAL{s} }

// Append writes recs in order, in one transaction, and returns the sequence number of
// the first (the others follow it). It returns once the records are on disk.
func (w *WAL) Append(recs ...[]byte) (first uint64, err error) {
	return w.AppendTruncate(0, recs...)
}

// AppendTruncate deletes the records whose sequence is below before, as Truncate does,
// and appends recs, as Append does, in one transaction: a trustee prunes what its last
// commit made obsolete along with its next write, instead of paying a transaction and
// its fsyncs for the pruning alone.
func (w *WAL) AppendTruncate(before uint64, recs ...[]byte) (first uint64, err error) {
	if len(recs) == 0 {
		if before > 0 {
			return 0, w.Truncate(before)
		}
		return 0, nil
	}
	err = w.s.db.Update(func(tx *bbolt.Tx) error {
		if err := truncateWAL(tx, before); err != nil {
			return err
		}
		b := tx.Bucket(bucketWAL)
		for i, rec := range recs {
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			if i == 0 {
				first = seq
			}
			if err := b.Put(uint64Key(seq), rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("append to the WAL: %w", err)
	}
	return first, nil
}

// Range calls fn with every record whose sequence is at least from, in order. fn runs
// outside any transaction and owns rec; an error from fn stops the walk and is returned.
func (w *WAL) Range(from uint64, fn func(seq uint64, rec []byte) error) error {
	return w.s.rangeBucket(bucketWAL, uint64Key(from), func(k, v []byte) error {
		seq, err := decodeUint64("WAL sequence", k)
		if err != nil {
			return fmt.Errorf("range the WAL: %w", err)
		}
		return fn(seq, v)
	})
}

// Truncate deletes every record whose sequence is below before, once the state they
// protect is committed.
func (w *WAL) Truncate(before uint64) error {
	err := w.s.db.Update(func(tx *bbolt.Tx) error { return truncateWAL(tx, before) })
	if err != nil {
		return fmt.Errorf("truncate the WAL: %w", err)
	}
	return nil
}

func truncateWAL(tx *bbolt.Tx, before uint64) error {
	if before == 0 {
		return nil
	}
	end := uint64Key(before)
	c := tx.Bucket(bucketWAL).Cursor()
	// Deleting through the cursor moves it to the next entry, hence First each time.
	for k, _ := c.First(); k != nil && bytes.Compare(k, end) < 0; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}
