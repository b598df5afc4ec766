package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
)

func dbPath(t testing.TB) string { return filepath.Join(t.TempDir(), "chain.db") }

func openStore(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newChain opens a store at a new path, initialised with the genesis of a test net.
func newChain(t testing.TB, cfg chaintest.Config) (*Store, *chaintest.Net) {
	t.Helper()
	n, err := chaintest.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := openStore(t, dbPath(t))
	if err := s.Init(n.Genesis); err != nil {
		t.Fatal(err)
	}
	return s, n
}

func commitSteps(t testing.TB, s *Store, n *chaintest.Net, steps ...chaintest.Step) []*chaintest.Committed {
	t.Helper()
	var out []*chaintest.Committed
	for _, step := range steps {
		c, err := n.Next(step)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CommitBlock(c.Block, c.Cert, c.State); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func TestInit(t *testing.T) {
	s := openStore(t, dbPath(t))
	if _, _, err := s.Tip(); !errors.Is(err, ErrNotInitialized) {
		t.Fatalf("Tip of an empty store: %v", err)
	}
	if _, err := s.LoadState(); !errors.Is(err, ErrNotInitialized) {
		t.Fatalf("LoadState of an empty store: %v", err)
	}
	if err := s.CheckConsistency(); !errors.Is(err, ErrNotInitialized) {
		t.Fatalf("CheckConsistency of an empty store: %v", err)
	}
	n, err := chaintest.New(chaintest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Init(n.Genesis); err != nil {
		t.Fatal(err)
	}
	genesis := n.Genesis.Block(n.State())
	height, hash, err := s.Tip()
	if err != nil || height != 0 || hash != genesis.Hash() {
		t.Fatalf("Tip = %d %s, %v; want 0 %s", height, hash.Short(), err, genesis.Hash().Short())
	}
	id, gh, err := s.Genesis()
	if err != nil || id != n.Genesis.ChainID || gh != genesis.Hash() {
		t.Fatalf("Genesis = %q %s, %v", id, gh.Short(), err)
	}
	st, err := s.LoadState()
	if err != nil {
		t.Fatal(err)
	}
	if st.Root() != n.State().Root() || st.Tip() != n.State().Tip() {
		t.Fatal("loaded genesis state differs")
	}
	if err := s.Init(n.Genesis); err != nil {
		t.Fatalf("Init with the same genesis again: %v", err)
	}
	other := chaintest.Config{ChainID: "other"}.Genesis()
	if err := s.Init(other); !errors.Is(err, ErrGenesisMismatch) {
		t.Fatalf("Init with another genesis: %v", err)
	}
	bad := chaintest.Config{}.Genesis()
	bad.Trustees = nil
	if err := s.Init(bad); !errors.Is(err, chain.ErrBadGenesis) {
		t.Fatalf("Init with an invalid genesis: %v", err)
	}
	if err := s.CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}

func TestCommitAndRead(t *testing.T) {
	s, n := newChain(t, chaintest.Config{Users: 6})
	steps := []chaintest.Step{{}, {Transfers: 12}, {Tickets: 4}, {Transfers: 5, Tickets: 2}, {Transfers: 40}, {}}
	cs := commitSteps(t, s, n, steps...)
	check := func(s *Store) {
		t.Helper()
		height, hash, err := s.Tip()
		if err != nil || height != uint64(len(cs)) || hash != cs[len(cs)-1].Block.Hash() {
			t.Fatalf("Tip = %d %s, %v", height, hash.Short(), err)
		}
		for _, c := range cs {
			h := c.Block.Header.Epoch
			b, err := s.Block(h)
			if err != nil || b.Hash() != c.Block.Hash() || len(b.Payload) != len(c.Block.Payload) {
				t.Fatalf("Block(%d): %v", h, err)
			}
			if b, err := s.BlockByHash(c.Block.Hash()); err != nil || b.Header.Epoch != h {
				t.Fatalf("BlockByHash(%d): %v", h, err)
			}
			if got, err := s.Height(c.Block.Hash()); err != nil || got != h {
				t.Fatalf("Height(%d) = %d, %v", h, got, err)
			}
			cert, err := s.Cert(h)
			if err != nil || cert.Hash() != c.Cert.Hash() {
				t.Fatalf("Cert(%d): %v", h, err)
			}
		}
		st, err := s.LoadState()
		if err != nil {
			t.Fatal(err)
		}
		want := n.State()
		if st.Root() != want.Root() || st.Tip() != want.Tip() || st.Epoch() != want.Epoch() {
			t.Fatal("loaded state differs from the net's")
		}
		for _, u := range n.Users {
			if st.Account(u.Address()) != want.Account(u.Address()) {
				t.Fatalf("account %s differs", u.Address())
			}
		}
		if err := s.CheckConsistency(); err != nil {
			t.Fatal(err)
		}
	}
	check(s)

	// Everything survives closing and reopening.
	path := s.Path()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check(openStore(t, path))
}

func TestReadMissing(t *testing.T) {
	s, n := newChain(t, chaintest.Config{})
	commitSteps(t, s, n, chaintest.Step{}, chaintest.Step{})
	tests := []struct {
		name string
		read func() error
	}{
		{"block above the tip", func() error { _, err := s.Block(3); return err }},
		{"unknown hash", func() error { _, err := s.BlockByHash(chain.Hash{1}); return err }},
		{"height of an unknown hash", func() error { _, err := s.Height(chain.Hash{1}); return err }},
		{"certificate of genesis", func() error { _, err := s.Cert(0); return err }},
		{"certificate above the tip", func() error { _, err := s.Cert(3); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.read(); !errors.Is(err, ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
		})
	}
}

func TestCommitRejects(t *testing.T) {
	s, n := newChain(t, chaintest.Config{})
	first := commitSteps(t, s, n, chaintest.Step{Transfers: 2})[0]
	next, err := n.Next(chaintest.Step{Transfers: 1})
	if err != nil {
		t.Fatal(err)
	}
	after, err := n.Next(chaintest.Step{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := chaintest.New(chaintest.Config{ChainID: "other"})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := other.Next(chaintest.Step{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		block *chain.Block
		cert  *chain.Cert
		state *chain.State
		want  error
	}{
		{"the tip again", first.Block, first.Cert, first.State, ErrNotNext},
		{"a gap", after.Block, after.Cert, after.State, ErrNotNext},
		{"another chain", foreign.Block, foreign.Cert, foreign.State, ErrNotNext},
		{"no certificate", next.Block, nil, next.State, ErrMismatch},
		{"certificate of another block", next.Block, after.Cert, next.State, ErrMismatch},
		{"state after another block", next.Block, next.Cert, after.State, ErrMismatch},
		{"state before the block", next.Block, next.Cert, first.State, ErrMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.CommitBlock(tc.block, tc.cert, tc.state); !errors.Is(err, tc.want) {
				t.Fatalf("CommitBlock: %v, want %v", err, tc.want)
			}
			if h, _, err := s.Tip(); err != nil || h != 1 {
				t.Fatalf("tip moved to %d (%v)", h, err)
			}
			if err := s.CheckConsistency(); err != nil {
				t.Fatal(err)
			}
		})
	}
	if err := s.CommitBlock(next.Block, next.Cert, next.State); err != nil {
		t.Fatalf("the right block after the rejections: %v", err)
	}
}

// TestCorruption damages one stored value at a time and checks that the reads which
// meet it, and CheckConsistency, report ErrCorrupt rather than panicking or passing.
func TestCorruption(t *testing.T) {
	put := func(bucket, key, value []byte) func(*bbolt.Tx) error {
		return func(tx *bbolt.Tx) error { return tx.Bucket(bucket).Put(key, value) }
	}
	del := func(bucket, key []byte) func(*bbolt.Tx) error {
		return func(tx *bbolt.Tx) error { return tx.Bucket(bucket).Delete(key) }
	}
	firstLeaf := func(tx *bbolt.Tx) []byte {
		k, _ := tx.Bucket(bucketState).Cursor().First()
		return append([]byte(nil), k...)
	}
	type world struct {
		s  *Store
		cs []*chaintest.Committed
	}
	tests := []struct {
		name   string
		damage func(w world) func(*bbolt.Tx) error
		read   func(w world) error // a read that must report ErrCorrupt, besides CheckConsistency
	}{
		{"garbage block", func(w world) func(*bbolt.Tx) error {
			return put(bucketBlocks, uint64Key(2), []byte{0xff, 0x00})
		}, func(w world) error { _, err := w.s.Block(2); return err }},
		{"block of another height", func(w world) func(*bbolt.Tx) error {
			return put(bucketBlocks, uint64Key(2), chain.EncodeBlock(w.cs[2].Block))
		}, func(w world) error { _, err := w.s.Block(2); return err }},
		{"truncated tip block", func(w world) func(*bbolt.Tx) error {
			enc := chain.EncodeBlock(w.cs[3].Block)
			return put(bucketBlocks, uint64Key(4), enc[:len(enc)/2])
		}, func(w world) error { _, err := w.s.LoadState(); return err }},
		{"garbage certificate", func(w world) func(*bbolt.Tx) error {
			return put(bucketCerts, uint64Key(2), []byte("not a certificate"))
		}, func(w world) error { _, err := w.s.Cert(2); return err }},
		{"certificate of another block", func(w world) func(*bbolt.Tx) error {
			c := *w.cs[1].Cert
			c.Block = chain.Hash{7}
			return put(bucketCerts, uint64Key(2), chain.EncodeCert(&c))
		}, nil},
		{"missing certificate", func(w world) func(*bbolt.Tx) error {
			return del(bucketCerts, uint64Key(1))
		}, nil},
		{"changed state leaf", func(w world) func(*bbolt.Tx) error {
			return func(tx *bbolt.Tx) error { return tx.Bucket(bucketState).Put(firstLeaf(tx), []byte{1, 2, 3}) }
		}, func(w world) error { _, err := w.s.LoadState(); return err }},
		{"lost state leaf", func(w world) func(*bbolt.Tx) error {
			return func(tx *bbolt.Tx) error { return tx.Bucket(bucketState).Delete(firstLeaf(tx)) }
		}, func(w world) error { _, err := w.s.LoadState(); return err }},
		{"short state key", func(w world) func(*bbolt.Tx) error {
			return put(bucketState, []byte("short"), []byte{1})
		}, func(w world) error { _, err := w.s.LoadState(); return err }},
		{"short tip height", func(w world) func(*bbolt.Tx) error {
			return put(bucketMeta, keyTipHeight, []byte{0, 0, 0, 0, 0, 0, 4})
		}, func(w world) error { _, _, err := w.s.Tip(); return err }},
		{"tip hash of another block", func(w world) func(*bbolt.Tx) error {
			h := w.cs[2].Block.Hash()
			return put(bucketMeta, keyTipHash, h[:])
		}, func(w world) error { _, err := w.s.LoadState(); return err }},
		{"tip height behind the state", func(w world) func(*bbolt.Tx) error {
			return func(tx *bbolt.Tx) error {
				h := w.cs[2].Block.Hash()
				return putTip(tx, 3, h)
			}
		}, func(w world) error { _, err := w.s.LoadState(); return err }},
		{"hash index off by one", func(w world) func(*bbolt.Tx) error {
			h := w.cs[1].Block.Hash()
			return put(bucketHeights, h[:], uint64Key(3))
		}, func(w world) error { _, err := w.s.BlockByHash(w.cs[1].Block.Hash()); return err }},
		{"hash index to nowhere", func(w world) func(*bbolt.Tx) error {
			h := w.cs[1].Block.Hash()
			return put(bucketHeights, h[:], uint64Key(99))
		}, func(w world) error { _, err := w.s.BlockByHash(w.cs[1].Block.Hash()); return err }},
		{"stray block above the tip", func(w world) func(*bbolt.Tx) error {
			return put(bucketBlocks, uint64Key(9), chain.EncodeBlock(w.cs[0].Block))
		}, nil},
		{"missing block", func(w world) func(*bbolt.Tx) error {
			return del(bucketBlocks, uint64Key(1))
		}, func(w world) error { _, err := w.s.BlockByHash(w.cs[0].Block.Hash()); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, n := newChain(t, chaintest.Config{})
			w := world{s: s, cs: commitSteps(t, s, n, chaintest.Step{Transfers: 3}, chaintest.Step{Tickets: 2},
				chaintest.Step{Transfers: 1}, chaintest.Step{})}
			if err := s.CheckConsistency(); err != nil {
				t.Fatalf("before the damage: %v", err)
			}
			if err := s.db.Update(tc.damage(w)); err != nil {
				t.Fatal(err)
			}
			if err := s.CheckConsistency(); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("CheckConsistency: %v, want ErrCorrupt", err)
			}
			if tc.read != nil {
				if err := tc.read(w); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("read: %v, want ErrCorrupt", err)
				}
			}
		})
	}
}

func TestOpenRejects(t *testing.T) {
	t.Run("not a database", func(t *testing.T) {
		path := dbPath(t)
		junk := make([]byte, 64<<10)
		for i := range junk {
			junk[i] = byte(i * 7)
		}
		if err := os.WriteFile(path, junk, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(path, nil); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Open: %v, want ErrCorrupt", err)
		}
	})
	t.Run("another schema version", func(t *testing.T) {
		s := openStore(t, dbPath(t))
		if err := s.db.Update(func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketMeta).Put(keySchemaVersion, uint64Key(schemaVersion+1))
		}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if _, err := Open(s.Path(), nil); !errors.Is(err, ErrSchema) {
			t.Fatalf("Open: %v, want ErrSchema", err)
		}
	})
}

// TestResumeFromStore continues a chain from what the store holds, the way a node
// restarts: the loaded state must be able to apply the next block.
func TestResumeFromStore(t *testing.T) {
	s, n := newChain(t, chaintest.Config{})
	commitSteps(t, s, n, chaintest.Step{Transfers: 2}, chaintest.Step{Tickets: 2})
	st, err := s.LoadState()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := st.Params(), n.State().Params(); got != want {
		t.Fatalf("loaded parameters %+v, want %+v", got, want)
	}
	last, err := s.Cert(st.Epoch())
	if err != nil {
		t.Fatal(err)
	}
	resumed, err := chaintest.Resume(n.Config, st, last)
	if err != nil {
		t.Fatal(err)
	}
	want, err := n.Next(chaintest.Step{Transfers: 3})
	if err != nil {
		t.Fatal(err)
	}
	got, err := resumed.Next(chaintest.Step{Transfers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got.Block.Hash() != want.Block.Hash() {
		t.Fatal("the resumed chain built another block")
	}
	if err := s.CommitBlock(got.Block, got.Cert, got.State); err != nil {
		t.Fatal(err)
	}
}
