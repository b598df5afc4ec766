package devnet

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/ibft"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/store"
	"github.com/daolicloud/daoli/node/trustee"
)

// writeWAL writes votes into a fresh trustee database in dir, as a trustee does before
// its vote leaves, replacing what an earlier writing left (the log is pruned).
func writeWAL(t *testing.T, dir string, votes ...*chain.Vote) {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, trustee.DBFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var recs [][]byte
	for _, v := range votes {
		recs = append(recs, ibft.EncodeRecord(&ibft.Record{Vote: v}))
	}
	last := uint64(0)
	if err := st.WAL().Range(0, func(seq uint64, _ []byte) error { last = seq + 1; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := st.WAL().AppendTruncate(last, recs...); err != nil {
		t.Fatal(err)
	}
}

func vote(t *testing.T, signer int, kind chain.VoteKind, epoch uint64, round uint32, block byte) *chain.Vote {
	t.Helper()
	v := &chain.Vote{Kind: kind, ChainID: "devnet-test", Epoch: epoch, Round: round, Block: chain.Hash{block}, Time: 1}
	v.Sign(chaintest.TrusteeKey(signer))
	return v
}

// TestSignedLogAcrossReadings: the union of the readings of a pruned log finds a
// precommit that contradicts one read before, and a record another trustee signed.
func TestSignedLogAcrossReadings(t *testing.T) {
	cases := []struct {
		name   string
		second *chain.Vote
		want   string // "" for no error
	}{
		{"the same precommit again", vote(t, 0, chain.Precommit, 7, 0, 1), ""},
		{"a precommit of the next round", vote(t, 0, chain.Precommit, 7, 1, 2), ""},
		{"a prevote beside the precommit", vote(t, 0, chain.Prevote, 7, 0, 2), ""},
		{"another block in the same round", vote(t, 0, chain.Precommit, 7, 0, 2), "precommit of epoch 7 round 0"},
		{"another trustee's vote", vote(t, 1, chain.Precommit, 8, 0, 1), "signed by another trustee"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			l := NewSignedLog(chaintest.TrusteeKey(0).Public())
			writeWAL(t, dir, vote(t, 0, chain.Precommit, 7, 0, 1))
			if n, err := l.Read(dir); n != 1 || err != nil {
				t.Fatalf("first reading: %d records, %v", n, err)
			}
			writeWAL(t, dir, c.second)
			_, err := l.Read(dir)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("second reading: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("second reading: %v, want an error naming %q", err, c.want)
			}
			if strings.HasPrefix(c.name, "another block") && !errors.Is(err, ErrEquivocation) {
				t.Fatalf("%v is not ErrEquivocation", err)
			}
			if h, ok := l.Precommit(7, 0); !ok || h != (chain.Hash{1}) {
				t.Fatalf("precommit of epoch 7 round 0: %s %v", h.Short(), ok)
			}
		})
	}
}

// TestSignedLogLearnsItsTrustee: a log started without a key is the first signer's.
func TestSignedLogLearnsItsTrustee(t *testing.T) {
	dir := t.TempDir()
	l := NewSignedLog(keys.PublicKey{})
	writeWAL(t, dir, vote(t, 2, chain.Prevote, 3, 0, 5), vote(t, 2, chain.Precommit, 3, 0, 5))
	if n, err := l.Read(dir); n != 2 || err != nil {
		t.Fatalf("reading: %d records, %v", n, err)
	}
	if l.Self() != chaintest.TrusteeKey(2).Public() || l.Votes() != 2 {
		t.Fatalf("log of %s with %d votes", l.Self().String()[:8], l.Votes())
	}
}
