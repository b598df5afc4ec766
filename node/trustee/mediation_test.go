package trustee

import (
	"errors"
	"slices"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
)

// TestMediationRetries drives the bookkeeping mediate keeps of the disputes it
// mediates: an attempt that failed (a fetch that found nobody holding the module) is
// tried again on later blocks, after 1, 2, 4 and then every 4 epochs, while the
// dispute is open; one that sent its verdict is not; an attempt under way is not
// doubled; and a deal no longer disputed is forgotten, so the map does not grow.
func TestMediationRetries(t *testing.T) {
	m := mediation{deals: map[chain.Hash]*mediationState{}}
	a, b := chain.Deal{ID: chain.Hash{1}}, chain.Deal{ID: chain.Hash{2}}
	fetchFailed := errors.New("fetch the job: no peer holds the module")
	ids := func(ds []chain.Deal) []chain.Hash {
		var out []chain.Hash
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
	steps := []struct {
		h        uint64
		disputed []chain.Deal
		finish   map[chain.Hash]error // attempts that end after this block
		want     []chain.Hash         // attempts begun at this block
		kept     int                  // entries after this block
	}{
		{h: 10, disputed: []chain.Deal{a}, want: []chain.Hash{a.ID}, kept: 1},
		{h: 11, disputed: []chain.Deal{a}, finish: map[chain.Hash]error{a.ID: fetchFailed}, kept: 1}, // under way at 11
		{h: 12, disputed: []chain.Deal{a, b}, want: []chain.Hash{a.ID, b.ID}, finish: map[chain.Hash]error{a.ID: fetchFailed}, kept: 2},
		{h: 13, disputed: []chain.Deal{a, b}, finish: map[chain.Hash]error{b.ID: nil}, kept: 2}, // a waits 2 epochs
		{h: 14, disputed: []chain.Deal{a, b}, want: []chain.Hash{a.ID}, finish: map[chain.Hash]error{a.ID: fetchFailed}, kept: 2},
		{h: 17, disputed: []chain.Deal{a, b}, kept: 2}, // a waits 4 epochs, b is done
		{h: 18, disputed: []chain.Deal{a, b}, want: []chain.Hash{a.ID}, finish: map[chain.Hash]error{a.ID: fetchFailed}, kept: 2},
		{h: 21, disputed: []chain.Deal{a, b}, kept: 2},
		{h: 22, disputed: []chain.Deal{a}, want: []chain.Hash{a.ID}, kept: 1},            // b settled: forgotten
		{h: 23, disputed: nil, finish: map[chain.Hash]error{a.ID: fetchFailed}, kept: 0}, // a timed out while its attempt ran
		{h: 24, disputed: nil, kept: 0},
	}
	for _, s := range steps {
		got := ids(m.due(s.h, s.disputed))
		if !slices.Equal(got, s.want) {
			t.Fatalf("height %d: attempts begun on %v, want %v", s.h, got, s.want)
		}
		for id, err := range s.finish {
			m.finished(id, err)
		}
		if len(m.deals) != s.kept {
			t.Fatalf("height %d: %d deals remembered, want %d", s.h, len(m.deals), s.kept)
		}
	}
}
