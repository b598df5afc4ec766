package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
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
	s.Close()
	if _, err := w.Append([]byte("f")); !errors.Is(err, ErrWALClosed) {
		t.Fatalf("Append after Close: %v", err)
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

// walDir lists the log's segment files.
func walDir(t *testing.T, s *Store) []string {
	t.Helper()
	entries, err := os.ReadDir(s.Path() + ".wal")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestWALTornTail: a crash can leave half a frame at the end of the log; opening cuts
// it off, keeps every record before it and appends after them.
func TestWALTornTail(t *testing.T) {
	for _, tc := range []struct {
		name string
		tail func(frame []byte) []byte
	}{
		{"half a header", func(f []byte) []byte { return f[:frameHeader/2] }},
		{"half the data", func(f []byte) []byte { return f[:len(f)-3] }},
		{"a wrong checksum", func(f []byte) []byte { f = slices.Clone(f); f[len(f)-1] ^= 1; return f }},
		{"zeros", func(f []byte) []byte { return make([]byte, 4096) }},
		{"a record out of sequence", func([]byte) []byte { return appendFrame(nil, frameRecord, 9, []byte("x")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t, dbPath(t))
			if _, err := s.WAL().Append([]byte("a"), []byte("b")); err != nil {
				t.Fatal(err)
			}
			path := s.Path()
			s.Close()
			seg := filepath.Join(path+".wal", segmentName(1))
			f, err := os.OpenFile(seg, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write(tc.tail(appendFrame(nil, frameRecord, 3, []byte("torn record")))); err != nil {
				t.Fatal(err)
			}
			f.Close()

			s = openStore(t, path)
			if first, err := s.WAL().Append([]byte("c")); err != nil || first != 3 {
				t.Fatalf("Append after a torn tail = %d, %v; want 3", first, err)
			}
			if seqs, recs := walSeqs(t, s.WAL(), 0); !slices.Equal(seqs, []uint64{1, 2, 3}) || !slices.Equal(recs, []string{"a", "b", "c"}) {
				t.Fatalf("after a torn tail: %v %q", seqs, recs)
			}
		})
	}
}

// TestWALSegments: the log starts a new segment past segmentMax, deletes a segment once
// a mark covers all its records, and reads the same after reopening.
func TestWALSegments(t *testing.T) {
	defer func(old int64) { segmentMax = old }(segmentMax)
	segmentMax = 64
	s := openStore(t, dbPath(t))
	w := s.WAL()
	rec := []byte(strings.Repeat("r", 50)) // one frame fills a segment past 64 bytes
	for i := range 5 {
		if first, err := w.Append(rec); err != nil || first != uint64(i+1) {
			t.Fatalf("Append %d = %d, %v", i, first, err)
		}
	}
	if got := walDir(t, s); len(got) != 5 {
		t.Fatalf("segments %v, want one per record", got)
	}
	if _, err := w.AppendTruncate(4, rec); err != nil {
		t.Fatal(err)
	}
	want := []string{segmentName(4), segmentName(5), segmentName(6)}
	if got := walDir(t, s); !slices.Equal(got, want) {
		t.Fatalf("after truncating below 4: %v, want %v", got, want)
	}
	if seqs, _ := walSeqs(t, w, 0); !slices.Equal(seqs, []uint64{4, 5, 6}) {
		t.Fatalf("records %v", seqs)
	}
	// A mark covering everything keeps the last segment (here a new one, the last
	// being full), whose name holds the next sequence, and hides the records before
	// it after a reopening too.
	if err := w.Truncate(100); err != nil {
		t.Fatal(err)
	}
	if got := walDir(t, s); !slices.Equal(got, []string{segmentName(7)}) {
		t.Fatalf("after truncating everything: %v", got)
	}
	path := s.Path()
	s.Close()
	s = openStore(t, path)
	if seqs, _ := walSeqs(t, s.WAL(), 0); len(seqs) != 0 {
		t.Fatalf("records after truncating everything and reopening: %v", seqs)
	}
	if first, err := s.WAL().Append(rec); err != nil || first != 7 {
		t.Fatalf("Append = %d, %v; want 7", first, err)
	}
}

// TestWALCorrupt: damage anywhere but the end of the last segment is reported, not
// cut off, and the log refuses to work rather than forget votes.
func TestWALCorrupt(t *testing.T) {
	defer func(old int64) { segmentMax = old }(segmentMax)
	segmentMax = 64
	for _, tc := range []struct {
		name   string
		damage func(dir string) error
	}{
		{"a flipped byte in an older segment", func(dir string) error {
			p := filepath.Join(dir, segmentName(1))
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b[frameHeader] ^= 0xff
			return os.WriteFile(p, b, 0o600)
		}},
		{"a missing segment", func(dir string) error { return os.Remove(filepath.Join(dir, segmentName(2))) }},
		{"a segment of another name", func(dir string) error { return os.WriteFile(filepath.Join(dir, "x.log"), nil, 0o600) }},
		{"no segment", func(dir string) error {
			for _, n := range []uint64{1, 2, 3} {
				if err := os.Remove(filepath.Join(dir, segmentName(n))); err != nil {
					return err
				}
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t, dbPath(t))
			for range 3 {
				if _, err := s.WAL().Append([]byte(strings.Repeat("v", 60))); err != nil {
					t.Fatal(err)
				}
			}
			path := s.Path()
			s.Close()
			if err := tc.damage(path + ".wal"); err != nil {
				t.Fatal(err)
			}
			s = openStore(t, path)
			err := s.WAL().Range(0, func(uint64, []byte) error { return nil })
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Range: %v, want ErrCorrupt", err)
			}
			if _, err := s.WAL().Append([]byte("x")); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Append: %v, want ErrCorrupt", err)
			}
		})
	}
}

// TestWALMigrate: a database whose log a version before the log's directory kept in
// its wal bucket has the records moved out on first use, with their sequences, and
// the bucket's sequence carries on; an empty bucket that counted on does too.
func TestWALMigrate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		recs     map[uint64]string
		sequence uint64
		want     []uint64
		next     uint64
	}{
		{"records", map[uint64]string{7: "g", 8: "h", 9: "i"}, 9, []uint64{7, 8, 9}, 10},
		{"truncated to nothing", nil, 12, nil, 13},
		{"never used", nil, 0, nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t, dbPath(t))
			if err := s.db.Update(func(tx *bbolt.Tx) error {
				b := tx.Bucket(bucketWAL)
				for seq, r := range tc.recs {
					if err := b.Put(uint64Key(seq), []byte(r)); err != nil {
						return err
					}
				}
				return b.SetSequence(tc.sequence)
			}); err != nil {
				t.Fatal(err)
			}
			seqs, _ := walSeqs(t, s.WAL(), 0)
			if !slices.Equal(seqs, tc.want) {
				t.Fatalf("records %v, want %v", seqs, tc.want)
			}
			var left int
			if err := s.db.View(func(tx *bbolt.Tx) error { left = tx.Bucket(bucketWAL).Stats().KeyN; return nil }); err != nil {
				t.Fatal(err)
			}
			if left != 0 {
				t.Fatalf("%d records left in the bucket", left)
			}
			if first, err := s.WAL().Append([]byte("next")); err != nil || first != tc.next {
				t.Fatalf("Append = %d, %v; want %d", first, err, tc.next)
			}
			path := s.Path()
			s.Close()
			s = openStore(t, path)
			seqs, _ = walSeqs(t, s.WAL(), 0)
			if want := append(slices.Clone(tc.want), tc.next); !slices.Equal(seqs, want) {
				t.Fatalf("after reopening: %v, want %v", seqs, want)
			}
		})
	}
}

// FuzzWALSegment opens a log whose only segment holds arbitrary bytes: it never
// panics, and what it reads back it appends after.
func FuzzWALSegment(f *testing.F) {
	f.Add(appendFrame(appendFrame(nil, frameRecord, 1, []byte("a")), frameTruncate, 2, nil))
	f.Add(appendFrame(nil, frameRecord, 1, nil))
	f.Add([]byte{0, 0, 0, 1, 1})
	f.Fuzz(func(t *testing.T, seg []byte) {
		s := openStore(t, dbPath(t))
		dir := s.Path() + ".wal"
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, segmentName(1)), seg, 0o600); err != nil {
			t.Fatal(err)
		}
		var n uint64
		if err := s.WAL().Range(0, func(uint64, []byte) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		first, err := s.WAL().Append([]byte("after"))
		if err != nil {
			t.Fatal(err)
		}
		var last uint64
		if err := s.WAL().Range(0, func(seq uint64, _ []byte) error { last = seq; return nil }); err != nil {
			t.Fatal(err)
		}
		if last != first {
			t.Fatalf("the record appended is %d, the last read %d", first, last)
		}
	})
}

// TestWALPreallocated: the segment appended to ends in preallocated zeros, which
// opening reads as the end of the log; a segment left behind by a rotation holds only
// its frames, since anywhere but in the last segment a bad frame is corruption.
func TestWALPreallocated(t *testing.T) {
	defer func(old int64) { segmentMax = old }(segmentMax)
	segmentMax = 4 << 10
	s := openStore(t, dbPath(t))
	rec := []byte(strings.Repeat("p", 1000))
	for range 3 {
		if _, err := s.WAL().Append(rec); err != nil {
			t.Fatal(err)
		}
	}
	path := s.Path()
	last := filepath.Join(path+".wal", segmentName(1))
	if st, err := os.Stat(last); err != nil {
		t.Fatal(err)
	} else if runtime.GOOS == "linux" && canPreallocate(t) && st.Size() != segmentMax {
		t.Fatalf("segment of %d bytes, want it preallocated to %d", st.Size(), segmentMax)
	}
	for round := range 3 {
		s.Close()
		s = openStore(t, path)
		// Five records fill the first segment past 4 KiB; the sixth starts a new one.
		if first, err := s.WAL().Append(rec); err != nil || first != uint64(4+round) {
			t.Fatalf("reopened %d: Append = %d, %v; want %d", round, first, err, 4+round)
		}
		if seqs, _ := walSeqs(t, s.WAL(), 0); len(seqs) != 4+round || seqs[len(seqs)-1] != uint64(4+round) {
			t.Fatalf("reopened %d: records %v", round, seqs)
		}
	}
	if got := walDir(t, s); len(got) != 2 {
		t.Fatalf("segments %v, want two", got)
	}
	st, err := os.Stat(last)
	if err != nil {
		t.Fatal(err)
	}
	if frames := int64(5 * (frameHeader + len(rec))); st.Size() != frames {
		t.Fatalf("rotated segment of %d bytes, want its %d bytes of frames", st.Size(), frames)
	}
}

// canPreallocate reports whether the file system of the test's temporary directory
// preallocates; where it cannot, the log works without.
func canPreallocate(t *testing.T) bool {
	f, err := os.Create(filepath.Join(t.TempDir(), "probe"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return preallocate(f, 4096) == nil
}
