package store

import (
	"path/filepath"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
	"go.etcd.io/bbolt"
)

// TestBatches: batch records survive a reopen, and a store written before the batches
// bucket existed gets it on open.
func TestBatches(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chain.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	// An older store: the same schema without the bucket.
	if err := s.db.Update(func(tx *bbolt.Tx) error { return tx.DeleteBucket(bucketBatches) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(path, nil); err != nil {
		t.Fatal(err)
	}
	for i, v := range []string{"one", "two"} {
		if err := s.PutBatch(chain.Hash{byte(i + 1)}, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutBatch(chain.Hash{1}, []byte("one again")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(path, nil); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := map[chain.Hash]string{}
	if err := s.ForEachBatch(func(id chain.Hash, v []byte) error { got[id] = string(v); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[chain.Hash{1}] != "one again" || got[chain.Hash{2}] != "two" {
		t.Fatalf("batches after a reopen: %q", got)
	}
}
