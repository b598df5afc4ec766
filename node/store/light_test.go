package store

import (
	"errors"
	"fmt"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
)

func followed(cs []*chaintest.Committed) []Followed {
	out := make([]Followed, len(cs))
	for i, c := range cs {
		out[i] = Followed{Header: c.Block.Header, Cert: c.Cert,
			Earnings: [][]byte{[]byte(fmt.Sprintf("block %d", c.Block.Header.Epoch))}}
	}
	return out
}

func TestLightFollow(t *testing.T) {
	path := dbPath(t)
	s := openStore(t, path)
	net, err := chaintest.New(chaintest.Config{Trustees: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.InitLight(net.Genesis); err != nil {
		t.Fatal(err)
	}
	if err := s.InitLight(net.Genesis); err != nil {
		t.Fatalf("second init of the same genesis: %v", err)
	}
	other := chaintest.Config{Trustees: 4, ChainID: "other"}.Genesis()
	if err := s.InitLight(other); !errors.Is(err, ErrGenesisMismatch) {
		t.Fatalf("init with another genesis: %v", err)
	}
	tip, set, err := s.LightTip()
	if err != nil || tip.Epoch != 0 || chain.TrusteeSetHash(set) != tip.TrusteeSetHash {
		t.Fatalf("genesis tip %d, set of %d, %v", tip.Epoch, len(set), err)
	}

	cs, err := net.Run(12, chaintest.Step{Transfers: 1, Tickets: 2})
	if err != nil {
		t.Fatal(err)
	}
	fs := followed(cs)
	// A set recorded at block 5 (as where membership changed) is the tip's from then on.
	fs[4].Set = cs[4].State.Registry().CertifiedBy[:3]
	if err := s.Follow(fs[:8]); err != nil {
		t.Fatal(err)
	}
	// A batch whose last block does not follow writes none of it.
	bad := append(append([]Followed(nil), fs[8:11]...), fs[4])
	if err := s.Follow(bad); !errors.Is(err, ErrNotNext) {
		t.Fatalf("batch with a gap: %v", err)
	}
	if h, _, _ := s.Tip(); h != 8 {
		t.Fatalf("a refused batch moved the tip to %d", h)
	}
	wrongCert := fs[8]
	wrongCert.Cert = fs[7].Cert
	if err := s.Follow([]Followed{wrongCert}); !errors.Is(err, ErrMismatch) {
		t.Fatalf("certificate of another block: %v", err)
	}
	if err := s.Follow(fs[8:]); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, path)
	tip, set, err = s.LightTip()
	if err != nil || tip.Hash() != cs[11].Block.Hash() || len(set) != 3 {
		t.Fatalf("reopened: tip %d, set of %d, %v", tip.Epoch, len(set), err)
	}
	h, err := s.Header(5)
	if err != nil || h.Hash() != cs[4].Block.Hash() {
		t.Fatalf("header 5: %v", err)
	}
	if _, err := s.Header(13); !errors.Is(err, ErrNotFound) {
		t.Fatalf("header past the tip: %v", err)
	}
	var recs int
	if err := s.Earnings().Range(0, func(height uint64, index uint32, rec []byte) error {
		recs++
		if string(rec) != fmt.Sprintf("block %d", height) || index != 0 {
			return fmt.Errorf("record %d/%d: %q", height, index, rec)
		}
		return nil
	}); err != nil || recs != 12 {
		t.Fatalf("%d earnings records, %v", recs, err)
	}
}
