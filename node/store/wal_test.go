package store

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func walSeqs(t *testing.T, w *WAL, from uint64) (seqs []uint64, recs []string) {
	t.Helper()
	if err := w.Range(from, func(seq uint64, rec []byte) error {
		seqs, recs = append(seqs, seq), append(recs, string(rec))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return seqs, recs
}

func TestWAL(t *testing.T) {
	s := openStore(t, dbPath(t))
	w := s.WAL()
	if first, err := w.Append([]byte("a"), []byte("b"), []byte("c")); err != nil || first != 1 {
		t.Fatalf("Append = %d, %v; want 1", first, err)
	}
	if first, err := w.Append([]byte("d")); err != nil || first != 4 {
		t.Fatalf("Append = %d, %v; want 4", first, err)
	}
	if first, err := w.Append(); err != nil || first != 0 {
		t.Fatalf("Append of nothing = %d, %v", first, err)
	}
	seqs, recs := walSeqs(t, w, 0)
	if !slices.Equal(seqs, []uint64{1, 2, 3, 4}) || !slices.Equal(recs, []string{"a", "b", "c", "d"}) {
		t.Fatalf("Range(0) = %v %q", seqs, recs)
	}
	if seqs, _ := walSeqs(t, w, 3); !slices.Equal(seqs, []uint64{3, 4}) {
		t.Fatalf("Range(3) = %v", seqs)
	}
	if err := w.Truncate(3); err != nil {
		t.Fatal(err)
	}
	if seqs, _ := walSeqs(t, w, 0); !slices.Equal(seqs, []uint64{3, 4}) {
		t.Fatalf("after Truncate(3): %v", seqs)
	}
	// Sequences are never reused, not even after a truncation and a reopening.
	path := s.Path()
	s.Close()
	s = openStore(t, path)
	w = s.WAL()
	if err := w.Truncate(100); err != nil {
		t.Fatal(err)
	}
	if first, err := w.Append([]byte("e")); err != nil || first != 5 {
		t.Fatalf("Append after truncating everything = %d, %v; want 5", first, err)
	}
	stop := errors.New("stop")
	var n int
	if err := w.Range(0, func(uint64, []byte) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Fatalf("Range with a failing fn: %v after %d calls", err, n)
	}
}

// TestWALRangeBatches walks more records than one read transaction copies, writing to
// the log from inside the walk, which only works because fn runs outside transactions.
func TestWALRangeBatches(t *testing.T) {
	s := openStore(t, dbPath(t))
	w := s.WAL()
	const total = 3*rangeBatch + 17
	recs := make([][]byte, total)
	for i := range recs {
		recs[i] = fmt.Appendf(nil, "rec %d", i)
	}
	if _, err := w.Append(recs...); err != nil {
		t.Fatal(err)
	}
	var next uint64 = 1
	if err := w.Range(1, func(seq uint64, rec []byte) error {
		if seq != next || string(rec) != fmt.Sprintf("rec %d", seq-1) {
			return fmt.Errorf("got %d %q, want %d", seq, rec, next)
		}
		next++
		if seq == 10 {
			return w.Truncate(5)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if next != total+1 {
		t.Fatalf("walked %d records, want %d", next-1, total)
	}
}

func TestEarnings(t *testing.T) {
	s := openStore(t, dbPath(t))
	e := s.Earnings()
	for _, p := range []struct {
		h   uint64
		i   uint32
		rec string
	}{{2, 1, "2/1"}, {1, 0, "1/0"}, {300, 0, "300/0"}, {2, 0, "2/0"}, {1 << 40, 7, "big"}, {2, 1, "2/1 again"}} {
		if err := e.Put(p.h, p.i, []byte(p.rec)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		from uint64
		want []string
	}{
		{0, []string{"1/0", "2/0", "2/1 again", "300/0", "big"}},
		{2, []string{"2/0", "2/1 again", "300/0", "big"}},
		{3, []string{"300/0", "big"}},
		{1<<40 + 1, nil},
	}
	for _, tc := range tests {
		var got []string
		if err := e.Range(tc.from, func(h uint64, i uint32, rec []byte) error {
			if want := fmt.Sprintf("%d/%d", h, i); string(rec) != "big" && string(rec)[:len(want)] != want {
				return fmt.Errorf("record %q under key %s", rec, want)
			}
			got = append(got, string(rec))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Range(%d) = %q, want %q", tc.from, got, tc.want)
		}
	}
}

// TestWALAppendTruncate prunes and appends in one transaction, with the sequence
// numbers Append and Truncate would give.
func TestWALAppendTruncate(t *testing.T) {
	s := openStore(t, dbPath(t))
	w := s.WAL()
	if _, err := w.Append([]byte("a"), []byte("b"), []byte("c")); err != nil {
		t.Fatal(err)
	}
	first, err := w.AppendTruncate(3, []byte("d"))
	if err != nil || first != 4 {
		t.Fatalf("AppendTruncate = %d, %v; want 4", first, err)
	}
	if seqs, recs := walSeqs(t, w, 0); !slices.Equal(seqs, []uint64{3, 4}) || !slices.Equal(recs, []string{"c", "d"}) {
		t.Fatalf("after AppendTruncate(3): %v %q", seqs, recs)
	}
	if first, err := w.AppendTruncate(5); err != nil || first != 0 {
		t.Fatalf("AppendTruncate of nothing = %d, %v", first, err)
	}
	if seqs, _ := walSeqs(t, w, 0); len(seqs) != 0 {
		t.Fatalf("after AppendTruncate(5) of nothing: %v", seqs)
	}
}
