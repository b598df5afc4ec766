package light

import (
	"errors"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/keys"
)

// TestEntriesReconcile derives every user's and trustee's ledger from 60 blocks of
// transfers, wins and payroll, and checks that each ledger's sum is exactly the
// account's balance change in the state.
func TestEntriesReconcile(t *testing.T) {
	net, err := chaintest.New(chaintest.Config{Trustees: 4, Users: 6})
	if err != nil {
		t.Fatal(err)
	}
	start := net.State()
	cs, err := net.Run(60, chaintest.Step{Transfers: 4, Tickets: 4})
	if err != nil {
		t.Fatal(err)
	}
	all := append(append([]*keys.Key(nil), net.Users...), net.Trustees...)
	params := start.Params()
	for _, k := range all {
		me := k.Address()
		var sum int64
		var sources = Totals{}
		parentSet := start.Active()
		for _, c := range cs {
			es, err := Entries(&params, c.Block, parentSet, me, NewDealBook(me))
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range es {
				if e.Height != c.Block.Header.Epoch || e.Index != uint32(i) || e.Block != c.Block.Hash() {
					t.Fatalf("entry %+v of block %d", e, c.Block.Header.Epoch)
				}
				sum += e.Signed()
			}
			sources.Sum(es, time.Time{})
			parentSet = c.State.Registry().CertifiedBy
		}
		before, after := start.Account(me).Balance, net.State().Account(me).Balance
		if want := int64(after) - int64(before); sum != want {
			t.Fatalf("%s: ledger sums to %d, balance changed by %d (%v)", me, sum, want, sources)
		}
		t.Logf("%s: %+d from %v", me.String()[:12], sum, sources)
	}
}

func TestEntryEncoding(t *testing.T) {
	e := &Entry{Height: 7, Index: 2, Source: SourcePayroll, Amount: 300, Time: 12345}
	got, err := DecodeEntry(EncodeEntry(e))
	if err != nil || *got != *e {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for _, bad := range [][]byte{nil, {0x80}, {0xff}, make([]byte, maxEntrySize+1), EncodeEntry(&Entry{Source: sourceEnd})} {
		if _, err := DecodeEntry(bad); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("DecodeEntry(%x): %v", bad, err)
		}
	}
}

func FuzzDecodeEntry(f *testing.F) {
	f.Add(EncodeEntry(&Entry{Height: 1, Source: SourceWin, Amount: 400}))
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := DecodeEntry(data)
		if err != nil {
			return
		}
		again, err := DecodeEntry(EncodeEntry(e))
		if err != nil || *again != *e {
			t.Fatalf("re-encoding changes the entry: %+v / %+v, %v", e, again, err)
		}
	})
}
