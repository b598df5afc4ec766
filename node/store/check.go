package store

import (
	"bytes"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/daolicloud/daoli/node/chain"
)

// CheckConsistency verifies that the store holds one whole chain up to its tip and the
// state at that tip. With tip height T it checks:
//
//   - meta names a chain, a genesis hash and a tip, all well formed;
//   - every height 0…T holds a block that decodes, is of that epoch and chain, matches
//     its own header's commitments (CheckBody), and whose hash the hash index maps back
//     to that height; block 0 is the genesis, block T the tip;
//   - each block h ≥ 1 names block h−1 as its parent and carries, from h ≥ 2 on, a
//     certificate of block h−1 (block 1 carries none);
//   - every height 1…T holds a certificate of the block at that height (the certificate
//     of block h certifies block h; genesis has none);
//   - no block, index entry or certificate lies outside those ranges;
//   - the state leaves rebuild to the tip header's state root, at epoch T, of the
//     stored chain, and every account in them decodes.
//
// It does not verify signatures: which trustees may sign a certificate depends on the
// state at each height, and the node checked that when it accepted the block. Any
// failure wraps ErrCorrupt (or ErrNotInitialized on a store without a genesis).
func (s *Store) CheckConsistency() error {
	// One read transaction: the chain and the state are checked at the same tip.
	var (
		src     stateSource
		chainID string
	)
	err := s.db.View(func(tx *bbolt.Tx) error {
		if err := checkChain(tx); err != nil {
			return err
		}
		chainID = string(tx.Bucket(bucketMeta).Get(keyChainID))
		var err error
		src, err = readStateSource(tx)
		return err
	})
	if err != nil {
		return fmt.Errorf("check %s: %w", s.path, err)
	}
	st, err := src.load()
	if err != nil {
		return fmt.Errorf("check %s: %w", s.path, err)
	}
	if id := st.Params().ChainID; id != chainID {
		return fmt.Errorf("check %s: %w: state of chain %q, the store of %q", s.path, ErrCorrupt, id, chainID)
	}
	if err := st.ForEachAccount(func(chain.Account) error { return nil }); err != nil {
		return fmt.Errorf("check %s: state: %w: %w", s.path, ErrCorrupt, err)
	}
	return nil
}

func checkChain(tx *bbolt.Tx) error {
	tipHeight, tipHash, err := readTip(tx)
	if err != nil {
		return err
	}
	m := tx.Bucket(bucketMeta)
	chainID := string(m.Get(keyChainID))
	genesis, err := decodeHash("genesis hash", m.Get(keyGenesisHash))
	if err != nil {
		return err
	}
	corrupt := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, a...))
	}

	blocks, heights, certs := tx.Bucket(bucketBlocks), tx.Bucket(bucketHeights), tx.Bucket(bucketCerts)
	var prevHash chain.Hash
	for h := uint64(0); h <= tipHeight; h++ {
		raw := blocks.Get(uint64Key(h))
		if raw == nil {
			return corrupt("no block at height %d of %d", h, tipHeight)
		}
		b, err := decodeBlock(h, bytes.Clone(raw))
		if err != nil {
			return err
		}
		hash := b.Hash()
		switch {
		case b.Header.ChainID != chainID:
			return corrupt("block %d is of chain %q, the store of %q", h, b.Header.ChainID, chainID)
		case h == 0 && hash != genesis:
			return corrupt("block 0 is %s, genesis is %s", hash.Short(), genesis.Short())
		case h == tipHeight && hash != tipHash:
			return corrupt("block %d is %s, the tip is %s", h, hash.Short(), tipHash.Short())
		case h > 0 && b.Header.Parent != prevHash:
			return corrupt("block %d has parent %s, block %d is %s", h, b.Header.Parent.Short(), h-1, prevHash.Short())
		case h == 1 && b.LastCert != nil:
			return corrupt("block 1 carries a certificate")
		case h >= 2 && (b.LastCert == nil || b.LastCert.Epoch != h-1 || b.LastCert.Block != prevHash):
			return corrupt("block %d does not carry a certificate of block %d", h, h-1)
		}
		if err := b.CheckBody(); err != nil {
			return corrupt("block %d: %v", h, err)
		}
		rawIdx := heights.Get(hash[:])
		if rawIdx == nil {
			return corrupt("hash index lacks block %d (%s)", h, hash.Short())
		}
		idx, err := decodeUint64(fmt.Sprintf("height of block %d", h), rawIdx)
		if err != nil {
			return err
		}
		if idx != h {
			return corrupt("hash index maps block %d (%s) to height %d", h, hash.Short(), idx)
		}
		if h > 0 {
			raw := certs.Get(uint64Key(h))
			if raw == nil {
				return corrupt("no certificate of block %d", h)
			}
			c, err := decodeCert(h, bytes.Clone(raw))
			if err != nil {
				return err
			}
			if c.Block != hash {
				return corrupt("certificate %d certifies %s, block %d is %s", h, c.Block.Short(), h, hash.Short())
			}
		}
		prevHash = hash
	}

	// Counting the entries finds any that the walk above did not reach.
	count := func(b *bbolt.Bucket) uint64 {
		var n uint64
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			n++
		}
		return n
	}
	if n := count(blocks); n != tipHeight+1 {
		return corrupt("%d blocks stored, heights 0…%d need %d", n, tipHeight, tipHeight+1)
	}
	if n := count(heights); n != tipHeight+1 {
		return corrupt("%d hash index entries for %d blocks", n, tipHeight+1)
	}
	if n := count(certs); n != tipHeight {
		return corrupt("%d certificates stored, heights 1…%d need %d", n, tipHeight, tipHeight)
	}
	return nil
}
