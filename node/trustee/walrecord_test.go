package trustee

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/ibft"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/store"
	"github.com/daolicloud/daoli/node/wire"
	mocknet "github.com/libp2p/go-libp2p/p2p/net/mock"
	ma "github.com/multiformats/go-multiaddr"
)

// commitChain builds blocks certified by four trustees of a chaintest chain.
func commitChain(t *testing.T, blocks int) (*chain.Genesis, []*chaintest.Committed) {
	t.Helper()
	cfg := chaintest.Config{Trustees: 4}
	n, err := chaintest.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := n.Run(blocks, chaintest.Step{Transfers: 3, Tickets: 2})
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Genesis(), cs
}

// storeWith returns a store at genesis g with the first stored blocks of cs in its
// database and a commit record of each of logged in its WAL.
func storeWith(t *testing.T, g *chain.Genesis, cs []*chaintest.Committed, stored int, logged ...*chaintest.Committed) *store.Store {
	t.Helper()
	st := genesisStore(t, g)
	for _, c := range cs[:stored] {
		if err := st.CommitBlock(c.Block, c.Cert, c.State); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range logged {
		if _, err := st.WAL().Append(encodeCommitRecord(c.Block, c.Cert)); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// soloNet is a network of one host, enough for New.
func soloNet(t *testing.T, chainID string) Net {
	t.Helper()
	mn := mocknet.New()
	t.Cleanup(func() { mn.Close() })
	priv, err := p2p.PrivKey(chaintest.TrusteeKey(0))
	if err != nil {
		t.Fatal(err)
	}
	h, err := mn.AddPeer(priv, ma.StringCast("/ip4/10.0.0.1/tcp/4001"))
	if err != nil {
		t.Fatal(err)
	}
	nw, err := p2p.New(h, p2p.Config{ChainID: chainID, PingInterval: -1, ReconnectInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nw.Close() })
	return nw
}

// TestReplayCommits stops a trustee, in effect, between writing commit records and
// storing their blocks: New stores the blocks the database lacks, in order, and
// skips those it holds; a commit record that does not check stops it with
// ErrBadWALRecord and leaves the database as it was.
func TestReplayCommits(t *testing.T) {
	g, cs := commitChain(t, 4)
	forged := *cs[2].Cert
	forged.Sigs = forged.Sigs[:2] // below the quorum of four
	wrongBody := *cs[2]
	wrongBlock := *cs[2].Block
	wrongBlock.Payload = nil // the header's payload root no longer matches
	wrongBody.Block = &wrongBlock
	tests := []struct {
		name    string
		stored  int
		logged  []*chaintest.Committed
		height  uint64 // after New
		wantErr bool
	}{
		{"nothing to replay", 2, nil, 2, false},
		{"two missing", 2, cs[:4], 4, false},
		{"all held", 4, cs[1:4], 4, false},
		{"from genesis", 0, cs[:3], 3, false},
		{"a gap", 1, cs[2:4], 1, true},
		{"too few signatures", 2, []*chaintest.Committed{{Block: cs[2].Block, Cert: &forged}}, 2, true},
		{"a body that does not match", 2, []*chaintest.Committed{&wrongBody}, 2, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := storeWith(t, g, cs, tc.stored, tc.logged...)
			tr, err := New(Options{Key: chaintest.TrusteeKey(0), Store: st, Net: soloNet(t, g.ChainID)})
			if tc.wantErr != (err != nil) || (err != nil && !errors.Is(err, ErrBadWALRecord)) {
				t.Fatalf("New: %v, want an error: %v", err, tc.wantErr)
			}
			height, hash, err := st.Tip()
			if err != nil {
				t.Fatal(err)
			}
			if height != tc.height {
				t.Fatalf("database at %d, want %d", height, tc.height)
			}
			if height > 0 && hash != cs[height-1].Block.Hash() {
				t.Fatalf("database tip %s, want block %d %s", hash.Short(), height, cs[height-1].Block.Hash().Short())
			}
			if tr == nil {
				return
			}
			if s := tr.Status(); s.Height != tc.height || s.Epoch != tc.height+1 {
				t.Fatalf("trustee at height %d epoch %d, want %d", s.Height, s.Epoch, tc.height)
			}
			loaded, err := st.LoadState()
			if err != nil {
				t.Fatal(err)
			}
			if height > 0 && loaded.Root() != cs[height-1].State.Root() {
				t.Fatalf("state root %s after replay, want %s", loaded.Root().Short(), cs[height-1].State.Root().Short())
			}
			// The records are dropped with the first commit after the replay.
			tr.pruneWAL(height)
			if len(tr.marks) != 0 || (len(tc.logged) > 0 && tr.pruneTo == 0) {
				t.Fatalf("marks %v, prune to %d after the replay", tr.marks, tr.pruneTo)
			}
		})
	}
}

// TestWALRecordRoundTrip checks that both kinds of record decode to what was written.
func TestWALRecordRoundTrip(t *testing.T) {
	_, cs := commitChain(t, 1)
	c := cs[0]
	got, err := DecodeWALRecord(encodeCommitRecord(c.Block, c.Cert))
	if err != nil {
		t.Fatal(err)
	}
	if got.Signed != nil || got.Commit == nil || got.Commit.Block.Hash() != c.Block.Hash() || got.Epoch() != 1 {
		t.Fatalf("commit record decoded as %+v", got)
	}
	// The blocks topic carries the same bytes outside membership boundaries.
	if rec := encodeCommitRecord(c.Block, c.Cert); !bytes.Equal(certifiedBlockOf(rec), wire.Encode(&wire.CertifiedBlock{Block: *c.Block, Cert: *c.Cert})) {
		t.Fatal("the certified block inside a commit record is not the blocks topic's encoding")
	}
	v := vote(chain.Precommit, c.Block.Hash())
	got, err = DecodeWALRecord(ibft.EncodeRecord(&ibft.Record{Vote: v}))
	if err != nil {
		t.Fatal(err)
	}
	if got.Commit != nil || got.Signed == nil || got.Signed.Vote == nil || got.Epoch() != 1 {
		t.Fatalf("vote record decoded as %+v", got)
	}
	for _, bad := range [][]byte{nil, {commitRecordTag}, {commitRecordTag, 0x83}, {0x83}} {
		if _, err := DecodeWALRecord(bad); !errors.Is(err, ErrBadWALRecord) {
			t.Fatalf("%x: %v", bad, err)
		}
	}
	// A report record of the release before reports stated their admitted count: read,
	// nothing kept, its epoch known so that pruning drops it.
	type oldReport struct {
		_       struct{} `cbor:",toarray"`
		ChainID string
		Epoch   uint64
		Parent  chain.Hash
		Tickets []chain.KeyBlock
		Trustee keys.PublicKey
		Sig     []byte
	}
	type oldRecord struct {
		_        struct{} `cbor:",toarray"`
		Report   *oldReport
		Proposal *oldReport // always nil here
		Vote     *chain.Vote
	}
	old := wire.Encode(&oldRecord{Report: &oldReport{ChainID: chaintest.DefaultChainID, Epoch: 3, Sig: make([]byte, keys.SignatureSize)}})
	if _, err := ibft.DecodeRecord(old); err == nil {
		t.Fatal("an old report record decodes as a current one")
	}
	got, err = DecodeWALRecord(old)
	if err != nil || got.Signed != nil || got.Commit != nil || got.Epoch() != 3 {
		t.Fatalf("old report record: %+v, %v", got, err)
	}
}

func FuzzDecodeWALRecord(f *testing.F) {
	cfg := chaintest.Config{Trustees: 4}
	n, err := chaintest.New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	c, err := n.Next(chaintest.Step{Transfers: 2, Tickets: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(encodeCommitRecord(c.Block, c.Cert))
	v := vote(chain.Prevote, c.Block.Hash())
	f.Add(ibft.EncodeRecord(&ibft.Record{Vote: v}))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := DecodeWALRecord(data)
		if err != nil {
			if !errors.Is(err, ErrBadWALRecord) {
				t.Fatalf("decode error wraps no sentinel: %v", err)
			}
			return
		}
		if rec.Signed != nil && rec.Commit != nil {
			t.Fatalf("decoded %+v: want at most one kind", rec)
		}
		if rec.Commit != nil && rec.Commit.Cert.Block != rec.Commit.Block.Hash() {
			t.Fatal("accepted a commit whose certificate is of another block")
		}
	})
}

// vote is trustee 0's vote of epoch 1, round 0.
func vote(kind chain.VoteKind, block chain.Hash) *chain.Vote {
	v := &chain.Vote{Kind: kind, ChainID: chaintest.DefaultChainID, Epoch: 1, Block: block, Time: 1}
	v.Sign(chaintest.TrusteeKey(0))
	return v
}

// TestCommitRecordBeforeStore runs four trustees and, at the moment trustee 0 counts
// a block as committed, checks that the block's commit record is in its log and the
// block not yet in its database, and copies both: a crash there. A trustee started
// from the copy stores the block from its own log: the block another trustee stores
// at that height.
func TestCommitRecordBeforeStore(t *testing.T) {
	ts := mockTrustees(t, 4)
	tr := ts[0]
	const at = 3
	snap := t.TempDir()
	var (
		mu      sync.Mutex
		failed  error
		copied  bool
		crashAt uint64 // the height of the block committed at the copy
	)
	tr.onCommit = func(h uint64, _, _ time.Time) {
		mu.Lock()
		defer mu.Unlock()
		if copied || h < at || failed != nil {
			return
		}
		found := false
		failed = tr.store.WAL().Range(0, func(_ uint64, raw []byte) error {
			rec, err := DecodeWALRecord(raw)
			if err == nil && rec.Commit != nil && rec.Commit.Block.Header.Epoch == h {
				found = true
			}
			return err
		})
		tip, _, err := tr.store.Tip()
		switch {
		case failed != nil:
		case err != nil:
			failed = err
		case !found:
			failed = fmt.Errorf("block %d counted as committed without its commit record in the log", h)
		case tip != h-1:
			failed = fmt.Errorf("block %d counted as committed with the database at %d", h, tip)
		default:
			// The state goroutine, the only writer of both, is here.
			failed = copyTree(tr.store.Path(), filepath.Join(snap, DBFile))
			if failed == nil {
				failed = copyTree(tr.store.Path()+".wal", filepath.Join(snap, DBFile+".wal"))
			}
			copied, crashAt = true, h
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, tr := range ts {
		wg.Go(func() { _ = tr.Run(ctx) })
	}
	poll(t, "a copy at the commit", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return copied || failed != nil
	})
	mu.Lock()
	h := crashAt
	mu.Unlock()
	// A quorum is three of the four: another trustee may store the block well after
	// trustee 0 counted it, on a busy machine after the copy, so the test waits for one.
	var want *chain.Block
	poll(t, "another trustee storing the block", func() bool {
		for _, o := range ts[1:] {
			if b, err := o.store.Block(h); err == nil {
				want = b
				return true
			}
		}
		return h == 0 // the copy failed: reported below
	})
	cancel()
	wg.Wait()
	if failed != nil {
		t.Fatal(failed)
	}
	st, err := store.Open(filepath.Join(snap, DBFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	before, _, err := st.Tip()
	if err != nil {
		t.Fatal(err)
	}
	restarted, err := New(Options{Key: chaintest.TrusteeKey(0), Store: st, Net: soloNet(t, tr.chainID)})
	if err != nil {
		t.Fatal(err)
	}
	after, hash, err := st.Tip()
	if err != nil {
		t.Fatal(err)
	}
	if after != h || after != before+1 || restarted.Status().Height != after || hash != want.Hash() {
		t.Fatalf("database at %d before the start, %d %s after (trustee at %d); want %d %s",
			before, after, hash.Short(), restarted.Status().Height, h, want.Hash().Short())
	}
}

// copyTree copies a file, or a directory of files, from src to dst.
func copyTree(src, dst string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o600)
	}
	if err := os.Mkdir(dst, 0o700); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := copyTree(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
