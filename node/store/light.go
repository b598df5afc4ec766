package store

import (
	"bytes"
	"fmt"

	"github.com/daolicloud/daoli/node/chain"
	"go.etcd.io/bbolt"
)

// Followed is one verified block as a light node keeps it: the header, its
// certificate, the trustee set when it changed at this block, and the node's ledger
// records from it.
type Followed struct {
	Header chain.Header
	Cert   *chain.Cert
	Set    []chain.Trustee // non-nil only where the certifying set changed
	// Earnings are encoded ledger records, stored under (height, index).
	Earnings [][]byte
	// Deals are the deal replicas this block changed; a nil Value deletes one.
	Deals []DealWrite
}

// DealWrite is one deal replica to store or delete.
type DealWrite struct {
	ID    chain.Hash
	Value []byte
}

// InitLight stores the genesis header of g and its trustee set as height 0 of a light
// node's chain. On a store that already holds g it does nothing; another chain is
// refused.
func (s *Store) InitLight(g *chain.Genesis) error {
	st, err := g.State()
	if err != nil {
		return fmt.Errorf("init light store: %w", err)
	}
	h := g.Block(st).Header
	hash := h.Hash()
	set := st.Active()
	err = s.db.Update(func(tx *bbolt.Tx) error {
		if stored, err := storedGenesis(tx.Bucket(bucketMeta), hash); stored || err != nil {
			return err
		}
		if err := tx.Bucket(bucketHeaders).Put(uint64Key(0), chain.EncodeHeader(&h)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketTrustSets).Put(uint64Key(0), chain.EncodeTrusteeSet(set)); err != nil {
			return err
		}
		return putGenesis(tx, g.ChainID, hash)
	})
	if err != nil {
		return fmt.Errorf("init light store: %w", err)
	}
	return nil
}

// Follow appends verified blocks to a light node's chain in one bbolt transaction:
// after a crash the store holds all of them, with their ledger records, or none.
func (s *Store) Follow(fs []Followed) error {
	if len(fs) == 0 {
		return nil
	}
	type enc struct {
		height      uint64
		hash        chain.Hash
		header, crt []byte
		set         []byte
	}
	encs := make([]enc, len(fs))
	for i := range fs {
		f := &fs[i]
		if f.Cert == nil || f.Cert.Epoch != f.Header.Epoch || f.Cert.Block != f.Header.Hash() {
			return fmt.Errorf("follow block %d: %w: certificate of another block", f.Header.Epoch, ErrMismatch)
		}
		encs[i] = enc{height: f.Header.Epoch, hash: f.Header.Hash(), header: chain.EncodeHeader(&f.Header), crt: chain.EncodeCert(f.Cert)}
		if f.Set != nil {
			encs[i].set = chain.EncodeTrusteeSet(f.Set)
		}
	}
	err := s.db.Update(func(tx *bbolt.Tx) error {
		tipHeight, tipHash, err := readTip(tx)
		if err != nil {
			return err
		}
		for i, e := range encs {
			if e.height != tipHeight+1 || fs[i].Header.Parent != tipHash {
				return fmt.Errorf("%w: block %d on %s, tip is %d %s", ErrNotNext, e.height, fs[i].Header.Parent.Short(), tipHeight, tipHash.Short())
			}
			k := uint64Key(e.height)
			if err := tx.Bucket(bucketHeaders).Put(k, e.header); err != nil {
				return err
			}
			if err := tx.Bucket(bucketCerts).Put(k, e.crt); err != nil {
				return err
			}
			if e.set != nil {
				if err := tx.Bucket(bucketTrustSets).Put(k, e.set); err != nil {
					return err
				}
			}
			for j, rec := range fs[i].Earnings {
				if err := tx.Bucket(bucketEarnings).Put(earningKey(e.height, uint32(j)), rec); err != nil {
					return err
				}
			}
			for _, d := range fs[i].Deals {
				var err error
				if d.Value == nil {
					err = tx.Bucket(bucketDeals).Delete(d.ID[:])
				} else {
					err = tx.Bucket(bucketDeals).Put(d.ID[:], d.Value)
				}
				if err != nil {
					return err
				}
			}
			tipHeight, tipHash = e.height, e.hash
		}
		return putTip(tx, tipHeight, tipHash)
	})
	if err != nil {
		return fmt.Errorf("follow blocks %d…%d: %w", encs[0].height, encs[len(encs)-1].height, err)
	}
	return nil
}

// LightTip returns a light node's newest verified header and the trustee set that
// certified it.
func (s *Store) LightTip() (chain.Header, []chain.Trustee, error) {
	var rawHeader, rawSet []byte
	var setHeight uint64
	err := s.db.View(func(tx *bbolt.Tx) error {
		height, _, err := readTip(tx)
		if err != nil {
			return err
		}
		rawHeader = bytes.Clone(tx.Bucket(bucketHeaders).Get(uint64Key(height)))
		if rawHeader == nil {
			return fmt.Errorf("%w: no header at the tip %d", ErrCorrupt, height)
		}
		c := tx.Bucket(bucketTrustSets).Cursor()
		k, v := c.Seek(uint64Key(height + 1))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		if k == nil {
			return fmt.Errorf("%w: no trustee set at or below %d", ErrCorrupt, height)
		}
		if setHeight, err = decodeUint64("trustee set height", k); err != nil {
			return err
		}
		rawSet = bytes.Clone(v)
		return nil
	})
	if err != nil {
		return chain.Header{}, nil, fmt.Errorf("read light tip: %w", err)
	}
	h, err := chain.DecodeHeader(rawHeader)
	if err != nil {
		return chain.Header{}, nil, fmt.Errorf("read light tip: %w: %w", ErrCorrupt, err)
	}
	set, err := chain.DecodeTrusteeSet(rawSet)
	if err != nil {
		return chain.Header{}, nil, fmt.Errorf("read trustee set of %d: %w: %w", setHeight, ErrCorrupt, err)
	}
	return *h, set, nil
}

// Header returns a light node's verified header at height.
func (s *Store) Header(height uint64) (*chain.Header, error) {
	raw, err := s.get(bucketHeaders, uint64Key(height))
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, fmt.Errorf("header %d: %w", height, ErrNotFound)
	}
	h, err := chain.DecodeHeader(raw)
	if err != nil {
		return nil, fmt.Errorf("header %d: %w: %w", height, ErrCorrupt, err)
	}
	return h, nil
}

// TrusteeSet returns the trustee set stored at height: the set that certified the
// block there, where it differs from the parent's. ok is false where the set did not
// change.
func (s *Store) TrusteeSet(height uint64) (set []chain.Trustee, ok bool, err error) {
	raw, err := s.get(bucketTrustSets, uint64Key(height))
	if err != nil || raw == nil {
		return nil, false, err
	}
	set, err = chain.DecodeTrusteeSet(raw)
	if err != nil {
		return nil, false, fmt.Errorf("trustee set %d: %w: %w", height, ErrCorrupt, err)
	}
	return set, true, nil
}

// ForEachDeal visits the stored deal replicas.
func (s *Store) ForEachDeal(fn func(id chain.Hash, value []byte) error) error {
	return s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketDeals).ForEach(func(k, v []byte) error {
			if len(k) != len(chain.Hash{}) {
				return fmt.Errorf("%w: deal key of %d bytes", ErrCorrupt, len(k))
			}
			return fn(chain.Hash(k), v)
		})
	})
}
