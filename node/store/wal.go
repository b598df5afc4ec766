package store

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.etcd.io/bbolt"
)

// WAL is the consensus write-ahead log of a trustee (docs/ibft.md): every vote it signs
// is appended here, durably, before it is sent, and replayed after a crash so that it
// never signs a conflicting vote. Records are opaque to the store. Each gets the next
// sequence number, which is never reused, not even after Truncate.
//
// The log is a directory of append-only segment files beside the database (its path
// with ".wal"), as etcd's and CometBFT's are, not a bucket of the database: a bbolt
// transaction writes pages and fsyncs twice, an append here writes the records and
// syncs once, and a vote waits for it on every round of every epoch. Each frame
// carries a CRC; a crash can only tear the last frame of the last segment, which
// opening cuts off. Truncate writes a mark instead of rewriting the file, and a
// segment is deleted once every record in it is below a mark.
type WAL struct {
	path string // the directory
	db   *bbolt.DB

	mu     sync.Mutex
	opened bool
	err    error     // of the first open, returned from then on
	segs   []segment // by first sequence; the last is the one appended to
	f      *os.File  // the last segment
	size   int64     // of the last segment
	next   uint64    // the sequence of the next record
	trunc  uint64    // records below it are deleted
	buf    []byte
}

type segment struct {
	first uint64 // the sequence of its first record, or of the next one when empty
	path  string
}

const (
	frameHeader    = 17 // data length (4), kind (1), sequence (8), CRC-32C (4)
	frameRecord    = 1  // a record; the sequence is its own
	frameTruncate  = 2  // a mark: records below the sequence are deleted
	maxFrameData   = 64 << 20
	segmentSuffix  = ".log"
	walMigrateTemp = ".new"
)

// segmentMax is the size past which the next append starts a new segment; a variable
// for tests.
var segmentMax int64 = 4 << 20

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// WAL returns the store's write-ahead log; it is opened, or moved out of the database
// where an older version kept it, on first use.
func (s *Store) WAL() *WAL { return s.wal }

// Append writes recs in order and returns the sequence number of the first (the
// others follow it). It returns once the records are on disk.
func (w *WAL) Append(recs ...[]byte) (first uint64, err error) {
	return w.AppendTruncate(0, recs...)
}

// AppendTruncate deletes the records whose sequence is below before, as Truncate does,
// and appends recs, as Append does, in one write and one sync: a trustee prunes what
// its last commit made obsolete along with its next write.
func (w *WAL) AppendTruncate(before uint64, recs ...[]byte) (first uint64, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.open(); err != nil {
		return 0, err
	}
	// A mark never reaches past the records that exist: one appended later is kept.
	mark := min(before, w.next)
	if mark <= w.trunc && len(recs) == 0 {
		return 0, nil
	}
	for _, r := range recs {
		if len(r) > maxFrameData {
			return 0, fmt.Errorf("append to the WAL: a record of %d bytes, limit %d", len(r), maxFrameData)
		}
	}
	if w.size >= segmentMax {
		if err := w.rotate(); err != nil {
			return 0, fmt.Errorf("append to the WAL: %w", err)
		}
	}
	buf := w.buf[:0]
	if mark > w.trunc {
		buf = appendFrame(buf, frameTruncate, mark, nil)
	}
	for i, r := range recs {
		buf = appendFrame(buf, frameRecord, w.next+uint64(i), r)
	}
	// The buffer is kept for the next vote, unless a large proposal grew it.
	if cap(buf) <= 1<<20 {
		w.buf = buf
	} else {
		w.buf = nil
	}
	if _, err := w.f.WriteAt(buf, w.size); err != nil {
		_ = w.f.Truncate(w.size)
		return 0, fmt.Errorf("append to the WAL: %w", err)
	}
	if err := datasync(w.f); err != nil {
		// What was written may or may not be on disk: cut it off, so that the log
		// holds only what was acknowledged, and report the failure.
		_ = w.f.Truncate(w.size)
		return 0, fmt.Errorf("append to the WAL: sync: %w", err)
	}
	w.size += int64(len(buf))
	if len(recs) > 0 {
		first = w.next
		w.next += uint64(len(recs))
	}
	w.trunc = max(w.trunc, mark)
	w.dropSegments()
	return first, nil
}

// Truncate deletes every record whose sequence is below before, once the state they
// protect is committed.
func (w *WAL) Truncate(before uint64) error {
	if _, err := w.AppendTruncate(before); err != nil {
		return fmt.Errorf("truncate the WAL: %w", err)
	}
	return nil
}

// Range calls fn with every record whose sequence is at least from, in order. fn runs
// without the log's lock and owns rec; an error from fn stops the walk and is returned.
func (w *WAL) Range(from uint64, fn func(seq uint64, rec []byte) error) error {
	w.mu.Lock()
	if err := w.open(); err != nil {
		w.mu.Unlock()
		return err
	}
	from = max(from, w.trunc)
	var frames [][]byte
	for i, sg := range w.segs {
		var data []byte
		var err error
		if i == len(w.segs)-1 {
			// Only what the appends acknowledged, not the preallocated space after it.
			data = make([]byte, w.size)
			_, err = w.f.ReadAt(data, 0)
		} else {
			data, err = os.ReadFile(sg.path)
		}
		if err != nil {
			w.mu.Unlock()
			return fmt.Errorf("range the WAL: %w", err)
		}
		frames = append(frames, data)
	}
	w.mu.Unlock()
	for _, data := range frames {
		for len(data) > 0 {
			kind, seq, rec, n, err := decodeFrame(data)
			if err != nil {
				return fmt.Errorf("range the WAL: %w: %w", ErrCorrupt, err)
			}
			data = data[n:]
			if kind == frameRecord && seq >= from {
				if err := fn(seq, rec); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// close closes the segment appended to.
func (w *WAL) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var err error
	if w.f != nil {
		err = w.f.Close()
	}
	w.f, w.opened, w.err = nil, true, ErrWALClosed
	return err
}

// appendFrame appends one frame to buf.
func appendFrame(buf []byte, kind byte, seq uint64, data []byte) []byte {
	var h [frameHeader]byte
	binary.BigEndian.PutUint32(h[0:4], uint32(len(data)))
	h[4] = kind
	binary.BigEndian.PutUint64(h[5:13], seq)
	crc := crc32.Update(0, crcTable, h[4:13])
	crc = crc32.Update(crc, crcTable, data)
	binary.BigEndian.PutUint32(h[13:17], crc)
	return append(append(buf, h[:]...), data...)
}

// decodeFrame reads the frame at the start of b and its length n; rec aliases b.
func decodeFrame(b []byte) (kind byte, seq uint64, rec []byte, n int, err error) {
	if len(b) < frameHeader {
		return 0, 0, nil, 0, fmt.Errorf("a frame cut short: %d bytes", len(b))
	}
	size := binary.BigEndian.Uint32(b[0:4])
	kind = b[4]
	seq = binary.BigEndian.Uint64(b[5:13])
	switch {
	case kind != frameRecord && kind != frameTruncate:
		return 0, 0, nil, 0, fmt.Errorf("a frame of kind %d", kind)
	case size > maxFrameData:
		return 0, 0, nil, 0, fmt.Errorf("a frame of %d bytes, limit %d", size, maxFrameData)
	case int64(len(b)-frameHeader) < int64(size):
		return 0, 0, nil, 0, fmt.Errorf("a frame of %d bytes cut short at %d", size, len(b)-frameHeader)
	}
	n = frameHeader + int(size)
	crc := crc32.Update(0, crcTable, b[4:13])
	crc = crc32.Update(crc, crcTable, b[frameHeader:n])
	if crc != binary.BigEndian.Uint32(b[13:17]) {
		return 0, 0, nil, 0, errors.New("a frame whose checksum does not match")
	}
	return kind, seq, b[frameHeader:n], n, nil
}

// open reads the log the first time it is used; the caller holds mu.
func (w *WAL) open() error {
	if w.opened {
		return w.err
	}
	w.opened = true
	w.err = w.load()
	if w.err != nil {
		w.err = fmt.Errorf("open the WAL %s: %w", w.path, w.err)
	}
	return w.err
}

func (w *WAL) load() error {
	if _, err := os.Stat(w.path); errors.Is(err, fs.ErrNotExist) {
		if err := w.migrate(); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	// A move out of the database that stopped after the rename left the records
	// there too; the directory has them.
	var leftover bool
	if err := w.db.View(func(tx *bbolt.Tx) error {
		k, _ := tx.Bucket(bucketWAL).Cursor().First()
		leftover = k != nil
		return nil
	}); err != nil {
		return err
	}
	if leftover {
		if err := w.db.Update(func(tx *bbolt.Tx) error { return clearBucket(tx, bucketWAL) }); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(w.path)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), segmentSuffix)
		if !ok || e.IsDir() {
			continue
		}
		first, err := strconv.ParseUint(name, 16, 64)
		if err != nil || len(name) != 16 {
			return fmt.Errorf("%w: a segment named %q", ErrCorrupt, e.Name())
		}
		w.segs = append(w.segs, segment{first, filepath.Join(w.path, e.Name())})
	}
	slices.SortFunc(w.segs, func(a, b segment) int { return cmp.Compare(a.first, b.first) })
	if len(w.segs) == 0 {
		return fmt.Errorf("%w: no segment in %s", ErrCorrupt, w.path)
	}
	for i, sg := range w.segs {
		last := i == len(w.segs)-1
		if sg.first < w.next {
			return fmt.Errorf("%w: segment %s starts at %d, before %d", ErrCorrupt, filepath.Base(sg.path), sg.first, w.next)
		}
		if i > 0 && sg.first != w.next {
			return fmt.Errorf("%w: segment %s starts at %d, records %d to %d are missing", ErrCorrupt, filepath.Base(sg.path), sg.first, w.next, sg.first-1)
		}
		w.next = sg.first
		good, err := w.scan(sg, last)
		if err != nil {
			return err
		}
		if last {
			if err := w.openLast(sg, good); err != nil {
				return err
			}
		}
	}
	return nil
}

// scan reads a segment's frames, advancing next and trunc, and returns the length of
// its valid frames. In the last segment a bad frame ends the log (a write torn by a
// crash); anywhere else it is corruption.
func (w *WAL) scan(sg segment, last bool) (good int64, err error) {
	data, err := os.ReadFile(sg.path)
	if err != nil {
		return 0, err
	}
	for int(good) < len(data) {
		kind, seq, _, n, err := decodeFrame(data[good:])
		if err == nil && kind == frameRecord && seq != w.next {
			err = fmt.Errorf("record %d where %d was due", seq, w.next)
		}
		if err != nil {
			if last {
				return good, nil
			}
			return 0, fmt.Errorf("%w: segment %s at byte %d: %w", ErrCorrupt, filepath.Base(sg.path), good, err)
		}
		if kind == frameRecord {
			w.next++
		} else {
			w.trunc = max(w.trunc, min(seq, w.next))
		}
		good += int64(n)
	}
	return good, nil
}

// openLast opens the last segment for appending, cutting off a torn frame or the
// preallocated space at its end, and preallocates it again.
func (w *WAL) openLast(sg segment, good int64) error {
	f, err := os.OpenFile(sg.path, os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err == nil && st.Size() != good {
		if err = f.Truncate(good); err == nil {
			err = datasync(f)
		}
	}
	if err == nil {
		err = w.prepare(f)
	}
	if err != nil {
		f.Close()
		return err
	}
	w.f, w.size = f, good
	return nil
}

// prepare preallocates a segment to segmentMax where the system can, so that the
// syncs of the appends to come write no size. A file system that cannot preallocate
// only makes those syncs slower.
func (w *WAL) prepare(f *os.File) error {
	if preallocate(f, segmentMax) != nil {
		return nil
	}
	return datasync(f)
}

// rotate starts a new segment at the next sequence; the caller holds mu. A segment
// rotates once its frames reach segmentMax, its preallocated length, so the one it
// leaves holds frames to its end: only the last segment may end in preallocated
// space, which opening the log reads as the end of the log.
func (w *WAL) rotate() error {
	sg := segment{w.next, filepath.Join(w.path, segmentName(w.next))}
	f, err := os.OpenFile(sg.path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("new segment: %w", err)
	}
	if err := w.prepare(f); err != nil {
		f.Close()
		os.Remove(sg.path)
		return fmt.Errorf("new segment: %w", err)
	}
	if err := syncDir(w.path); err != nil {
		f.Close()
		os.Remove(sg.path)
		return fmt.Errorf("new segment: %w", err)
	}
	if err := w.f.Close(); err != nil {
		f.Close()
		return fmt.Errorf("close segment: %w", err)
	}
	w.segs = append(w.segs, sg)
	w.f, w.size = f, 0
	return nil
}

// dropSegments deletes the segments all of whose records are below the mark; the
// last one stays. A deletion lost in a crash only leaves records the mark hides.
func (w *WAL) dropSegments() {
	for len(w.segs) > 1 && w.segs[1].first <= w.trunc {
		if err := os.Remove(w.segs[0].path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return
		}
		w.segs = w.segs[1:]
	}
}

// migrate makes the log's directory, with the records an older version kept in the
// database's bucket and its sequence: written to a new directory first, which is
// renamed into place once synced, so that a crash leaves the old log or the new one.
func (w *WAL) migrate() error {
	var recs [][]byte
	var firstSeq, next uint64 = 0, 1
	err := w.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketWAL)
		next = b.Sequence() + 1
		return b.ForEach(func(k, v []byte) error {
			seq, err := decodeUint64("WAL sequence", k)
			if err != nil {
				return err
			}
			if firstSeq == 0 {
				firstSeq = seq
			} else if seq != firstSeq+uint64(len(recs)) {
				return fmt.Errorf("%w: WAL record %d after %d", ErrCorrupt, seq, firstSeq+uint64(len(recs))-1)
			}
			recs = append(recs, slices.Clone(v))
			return nil
		})
	})
	if err != nil {
		return err
	}
	if firstSeq == 0 {
		firstSeq = next
	}
	tmp := w.path + walMigrateTemp
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return err
	}
	var buf []byte
	for i, r := range recs {
		buf = appendFrame(buf, frameRecord, firstSeq+uint64(i), r)
	}
	// An empty log keeps its next sequence in its segment's name.
	f, err := os.OpenFile(filepath.Join(tmp, segmentName(firstSeq)), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(buf)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(tmp)
	}
	if err == nil {
		err = os.Rename(tmp, w.path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(w.path))
	}
	return err
}

func segmentName(first uint64) string { return fmt.Sprintf("%016x%s", first, segmentSuffix) }

// clearBucket deletes every key of a bucket, keeping its sequence.
func clearBucket(tx *bbolt.Tx, name []byte) error {
	c := tx.Bucket(name).Cursor()
	// Deleting through the cursor moves it to the next entry, hence First each time.
	for k, _ := c.First(); k != nil; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}
