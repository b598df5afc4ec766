package store

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"

	"github.com/daolicloud/daoli/node/chain"
)

// DefaultTimeout is how long Open waits for the file lock by default: long enough to
// ride out a previous daoli that is just exiting, short enough to tell a user at once.
const DefaultTimeout = time.Second

// Options tune Open. The zero value (or nil) is the default.
type Options struct {
	// Timeout is how long Open waits for another process to release the database
	// before it returns ErrLocked; zero means DefaultTimeout.
	Timeout time.Duration
}

// Store is a node's chain database. Its methods are safe for concurrent use.
type Store struct {
	db   *bbolt.DB
	path string
	wal  *WAL
}

// Open opens or creates the database at path and its buckets. When another process
// holds it, Open returns ErrLocked after the timeout.
func Open(path string, opts *Options) (*Store, error) {
	timeout := DefaultTimeout
	if opts != nil && opts.Timeout > 0 {
		timeout = opts.Timeout
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: timeout, FreelistType: bbolt.FreelistMapType})
	switch {
	case errors.Is(err, bberrors.ErrTimeout):
		return nil, fmt.Errorf("database %s is in use by another process (is another daoli running?): %w", path, ErrLocked)
	case errors.Is(err, bberrors.ErrInvalid), errors.Is(err, bberrors.ErrChecksum), errors.Is(err, bberrors.ErrVersionMismatch):
		return nil, fmt.Errorf("open %s: %w: %w", path, ErrCorrupt, err)
	case err != nil:
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	s.wal = &WAL{path: path + ".wal", db: db}
	// Read first: opening a prepared database then writes nothing, and costs no fsync.
	var ready bool
	err = db.View(func(tx *bbolt.Tx) error {
		var err error
		ready, err = checkSchema(tx)
		return err
	})
	if err == nil && !ready {
		err = db.Update(prepare)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return s, nil
}

// checkSchema reports whether every bucket exists and the schema version is recorded;
// a database of another schema version is an error.
func checkSchema(tx *bbolt.Tx) (ready bool, err error) {
	m := tx.Bucket(bucketMeta)
	if m == nil {
		return false, nil
	}
	raw := m.Get(keySchemaVersion)
	if raw == nil {
		return false, nil
	}
	v, err := decodeUint64("schema version", raw)
	if err != nil {
		return false, err
	}
	if v != schemaVersion {
		return false, fmt.Errorf("%w: version %d, this daoli reads version %d", ErrSchema, v, schemaVersion)
	}
	for _, name := range allBuckets {
		if tx.Bucket(name) == nil {
			return false, nil
		}
	}
	return true, nil
}

// prepare creates what checkSchema found missing.
func prepare(tx *bbolt.Tx) error {
	if _, err := checkSchema(tx); err != nil {
		return err
	}
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	m := tx.Bucket(bucketMeta)
	if m.Get(keySchemaVersion) == nil {
		return m.Put(keySchemaVersion, uint64Key(schemaVersion))
	}
	return nil
}

// Close releases the database and its lock.
func (s *Store) Close() error {
	walErr := s.wal.close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	if walErr != nil {
		return fmt.Errorf("close %s: %w", s.wal.path, walErr)
	}
	return nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Init stores the genesis block and state of g as height 0 and makes it the tip. On a
// store that already holds g it does nothing; one that holds another chain is refused.
func (s *Store) Init(g *chain.Genesis) error {
	st, err := g.State()
	if err != nil {
		return fmt.Errorf("init store: %w", err)
	}
	blk := g.Block(st)
	hash := blk.Hash()
	enc := chain.EncodeBlock(blk)
	var leaves []chain.Change
	if err := st.ForEach(func(k chain.Hash, v []byte) error {
		leaves = append(leaves, chain.Change{Key: k, Value: v})
		return nil
	}); err != nil {
		return fmt.Errorf("init store: %w", err)
	}
	// Read first, so that the usual start of an initialised node writes nothing.
	var stored bool
	err = s.db.View(func(tx *bbolt.Tx) error {
		var err error
		stored, err = storedGenesis(tx.Bucket(bucketMeta), hash)
		return err
	})
	if err != nil {
		return fmt.Errorf("init store: %w", err)
	}
	if stored {
		return nil
	}
	err = s.db.Update(func(tx *bbolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if stored, err := storedGenesis(m, hash); stored || err != nil {
			return err
		}
		if k, _ := tx.Bucket(bucketBlocks).Cursor().First(); k != nil {
			return fmt.Errorf("%w: blocks without a genesis", ErrCorrupt)
		}
		if err := putBlock(tx, 0, hash, enc); err != nil {
			return err
		}
		if err := putChanges(tx, leaves); err != nil {
			return err
		}
		return putGenesis(tx, g.ChainID, hash)
	})
	if err != nil {
		return fmt.Errorf("init store: %w", err)
	}
	return nil
}

// storedGenesis reports whether the meta bucket m records a genesis, and refuses one
// other than hash: a store holds one chain.
func storedGenesis(m *bbolt.Bucket, hash chain.Hash) (stored bool, err error) {
	old := m.Get(keyGenesisHash)
	if old != nil && !bytes.Equal(old, hash[:]) {
		return true, fmt.Errorf("%w: stored genesis %x, given %s", ErrGenesisMismatch, old, hash)
	}
	return old != nil, nil
}

// putGenesis records the chain ID and the genesis hash, and makes the genesis, at
// height 0, the tip: the last writes of a store's initialisation, trustee or light.
func putGenesis(tx *bbolt.Tx, chainID string, hash chain.Hash) error {
	m := tx.Bucket(bucketMeta)
	if err := m.Put(keyChainID, []byte(chainID)); err != nil {
		return err
	}
	if err := m.Put(keyGenesisHash, hash[:]); err != nil {
		return err
	}
	return putTip(tx, 0, hash)
}

// CommitBlock stores b as the new tip together with cert, which certifies b, and the
// state keys st wrote, st being the state after b. Everything goes into one bbolt
// transaction, durable when CommitBlock returns: after a crash the store holds either
// the old tip or this block, completely.
func (s *Store) CommitBlock(b *chain.Block, cert *chain.Cert, st *chain.State) error {
	height, hash := b.Header.Epoch, b.Hash()
	mismatch := func(format string, a ...any) error {
		return fmt.Errorf("commit block %d: %w: %s", height, ErrMismatch, fmt.Sprintf(format, a...))
	}
	switch {
	case cert == nil:
		return mismatch("no certificate")
	case cert.Epoch != height || cert.Block != hash:
		return mismatch("certificate of block %d %s", cert.Epoch, cert.Block.Short())
	case st.Tip() != hash || st.Epoch() != height:
		return mismatch("state after block %d %s", st.Epoch(), st.Tip().Short())
	case st.Root() != b.Header.StateRoot:
		return mismatch("state root %s, header says %s", st.Root().Short(), b.Header.StateRoot.Short())
	}
	// Encode before the write transaction so the database is locked only for the writes.
	enc, encCert, changes := chain.EncodeBlock(b), chain.EncodeCert(cert), st.Changes()
	// The set that certified b: kept where it differs from the parent's, for the sync
	// service to send light nodes along with the block.
	set := st.Registry().CertifiedBy
	var encSet []byte
	if chain.TrusteeSetHash(set) == b.Header.TrusteeSetHash {
		encSet = chain.EncodeTrusteeSet(set)
	}
	err := s.db.Update(func(tx *bbolt.Tx) error {
		tipHeight, tipHash, err := readTip(tx)
		if err != nil {
			return err
		}
		if height != tipHeight+1 || b.Header.Parent != tipHash {
			return fmt.Errorf("%w: block %d on %s, tip is %d %s", ErrNotNext, height, b.Header.Parent.Short(), tipHeight, tipHash.Short())
		}
		if err := putBlock(tx, height, hash, enc); err != nil {
			return err
		}
		if err := tx.Bucket(bucketCerts).Put(uint64Key(height), encCert); err != nil {
			return err
		}
		if err := putChanges(tx, changes); err != nil {
			return err
		}
		if encSet != nil {
			parent, err := decodeBlock(tipHeight, tx.Bucket(bucketBlocks).Get(uint64Key(tipHeight)))
			if err != nil {
				return err
			}
			if parent.Header.TrusteeSetHash != b.Header.TrusteeSetHash {
				if err := tx.Bucket(bucketTrustSets).Put(uint64Key(height), encSet); err != nil {
					return err
				}
			}
		}
		return putTip(tx, height, hash)
	})
	if err != nil {
		return fmt.Errorf("commit block %d: %w", height, err)
	}
	return nil
}

func putBlock(tx *bbolt.Tx, height uint64, hash chain.Hash, enc []byte) error {
	if err := tx.Bucket(bucketBlocks).Put(uint64Key(height), enc); err != nil {
		return err
	}
	return tx.Bucket(bucketHeights).Put(hash[:], uint64Key(height))
}

func putChanges(tx *bbolt.Tx, changes []chain.Change) error {
	b := tx.Bucket(bucketState)
	for _, c := range changes {
		var err error
		if c.Value == nil {
			err = b.Delete(c.Key[:])
		} else {
			err = b.Put(c.Key[:], c.Value)
		}
		if err != nil {
			return fmt.Errorf("state key %s: %w", c.Key.Short(), err)
		}
	}
	return nil
}

func putTip(tx *bbolt.Tx, height uint64, hash chain.Hash) error {
	m := tx.Bucket(bucketMeta)
	if err := m.Put(keyTipHeight, uint64Key(height)); err != nil {
		return err
	}
	return m.Put(keyTipHash, hash[:])
}

func readTip(tx *bbolt.Tx) (uint64, chain.Hash, error) {
	m := tx.Bucket(bucketMeta)
	if m.Get(keyGenesisHash) == nil {
		return 0, chain.Hash{}, ErrNotInitialized
	}
	height, err := decodeUint64("tip height", m.Get(keyTipHeight))
	if err != nil {
		return 0, chain.Hash{}, err
	}
	hash, err := decodeHash("tip hash", m.Get(keyTipHash))
	return height, hash, err
}

// Tip returns the height and hash of the newest committed block.
func (s *Store) Tip() (height uint64, hash chain.Hash, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		height, hash, err = readTip(tx)
		return err
	})
	if err != nil {
		return 0, chain.Hash{}, fmt.Errorf("read tip: %w", err)
	}
	return height, hash, nil
}

// Genesis returns the chain ID and the genesis block hash of the stored chain.
func (s *Store) Genesis() (chainID string, hash chain.Hash, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		raw := m.Get(keyGenesisHash)
		if raw == nil {
			return ErrNotInitialized
		}
		if hash, err = decodeHash("genesis hash", raw); err != nil {
			return err
		}
		chainID = string(m.Get(keyChainID)) // string() copies out of the transaction
		return nil
	})
	if err != nil {
		return "", chain.Hash{}, fmt.Errorf("read genesis: %w", err)
	}
	return chainID, hash, nil
}

// get copies the value at key out of bucket; nil when absent.
func (s *Store) get(bucket, key []byte) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bbolt.Tx) error {
		out = bytes.Clone(tx.Bucket(bucket).Get(key))
		return nil
	})
	return out, err
}

// Block returns the block at height.
func (s *Store) Block(height uint64) (*chain.Block, error) {
	raw, err := s.get(bucketBlocks, uint64Key(height))
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, fmt.Errorf("block %d: %w", height, ErrNotFound)
	}
	return decodeBlock(height, raw)
}

// Height returns the height of the block with hash h.
func (s *Store) Height(h chain.Hash) (uint64, error) {
	raw, err := s.get(bucketHeights, h[:])
	if err != nil {
		return 0, err
	}
	if raw == nil {
		return 0, fmt.Errorf("block %s: %w", h.Short(), ErrNotFound)
	}
	return decodeUint64("height of block "+h.Short(), raw)
}

// BlockByHash returns the block with hash h.
func (s *Store) BlockByHash(h chain.Hash) (*chain.Block, error) {
	height, err := s.Height(h)
	if err != nil {
		return nil, err
	}
	b, err := s.Block(height)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: block %s indexed at height %d, which holds no block", ErrCorrupt, h.Short(), height)
	}
	if err != nil {
		return nil, err
	}
	if got := b.Hash(); got != h {
		return nil, fmt.Errorf("%w: block %s indexed at height %d, which holds %s", ErrCorrupt, h.Short(), height, got.Short())
	}
	return b, nil
}

// Cert returns the certificate of the block at height (heights 1 to the tip).
func (s *Store) Cert(height uint64) (*chain.Cert, error) {
	raw, err := s.get(bucketCerts, uint64Key(height))
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, fmt.Errorf("certificate %d: %w", height, ErrNotFound)
	}
	return decodeCert(height, raw)
}

func decodeBlock(height uint64, raw []byte) (*chain.Block, error) {
	b, err := chain.DecodeBlock(raw)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w: %w", height, ErrCorrupt, err)
	}
	if b.Header.Epoch != height {
		return nil, fmt.Errorf("block %d: %w: stored block is of epoch %d", height, ErrCorrupt, b.Header.Epoch)
	}
	return b, nil
}

func decodeCert(height uint64, raw []byte) (*chain.Cert, error) {
	c, err := chain.DecodeCert(raw)
	if err != nil {
		return nil, fmt.Errorf("certificate %d: %w: %w", height, ErrCorrupt, err)
	}
	if c.Epoch != height {
		return nil, fmt.Errorf("certificate %d: %w: stored certificate is of epoch %d", height, ErrCorrupt, c.Epoch)
	}
	return c, nil
}

// LoadState rebuilds the state at the tip from the stored leaves and checks it against
// the state root of the tip's header.
func (s *Store) LoadState() (*chain.State, error) {
	var src stateSource
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		src, err = readStateSource(tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	return src.load()
}

// stateSource is what rebuilding the tip state needs, copied out of one transaction.
type stateSource struct {
	height  uint64
	tipHash chain.Hash
	rawTip  []byte
	leaves  []chain.Change
}

func readStateSource(tx *bbolt.Tx) (stateSource, error) {
	var src stateSource
	var err error
	if src.height, src.tipHash, err = readTip(tx); err != nil {
		return src, err
	}
	src.rawTip = bytes.Clone(tx.Bucket(bucketBlocks).Get(uint64Key(src.height)))
	src.leaves, err = readLeaves(tx)
	return src, err
}

func (src stateSource) load() (*chain.State, error) {
	if src.rawTip == nil {
		return nil, fmt.Errorf("load state: %w: no block at the tip height %d", ErrCorrupt, src.height)
	}
	tip, err := decodeBlock(src.height, src.rawTip)
	if err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	if got := tip.Hash(); got != src.tipHash {
		return nil, fmt.Errorf("load state: %w: block %d is %s, tip says %s", ErrCorrupt, src.height, got.Short(), src.tipHash.Short())
	}
	st, err := chain.Load(src.leaves, src.tipHash, tip.Header.StateRoot)
	if err != nil {
		return nil, fmt.Errorf("load state at %d: %w: %w", src.height, ErrCorrupt, err)
	}
	if st.Epoch() != src.height {
		return nil, fmt.Errorf("load state: %w: state of epoch %d at height %d", ErrCorrupt, st.Epoch(), src.height)
	}
	return st, nil
}

func readLeaves(tx *bbolt.Tx) ([]chain.Change, error) {
	var leaves []chain.Change
	c := tx.Bucket(bucketState).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		key, err := decodeHash("state key", k)
		if err != nil {
			return nil, err
		}
		leaves = append(leaves, chain.Change{Key: key, Value: bytes.Clone(v)})
	}
	return leaves, nil
}

// rangeBatch bounds how many entries rangeBucket copies per read transaction.
const rangeBatch = 256

// rangeBucket calls fn with the entries of bucket from key start on, in key order. It
// copies them out a batch per read transaction, so fn runs outside any transaction (it
// may write to the store) and may keep what it is given.
func (s *Store) rangeBucket(bucket, start []byte, fn func(k, v []byte) error) error {
	next := start
	for {
		var ks, vs [][]byte
		err := s.db.View(func(tx *bbolt.Tx) error {
			c := tx.Bucket(bucket).Cursor()
			for k, v := c.Seek(next); k != nil && len(ks) < rangeBatch; k, v = c.Next() {
				ks, vs = append(ks, bytes.Clone(k)), append(vs, bytes.Clone(v))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i := range ks {
			if err := fn(ks[i], vs[i]); err != nil {
				return err
			}
		}
		if len(ks) < rangeBatch {
			return nil
		}
		// The smallest key after the last one seen.
		last := ks[len(ks)-1]
		next = append(append(make([]byte, 0, len(last)+1), last...), 0)
	}
}
