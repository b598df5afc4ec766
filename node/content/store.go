package content

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/daolicloud/daoli/node/market/terms"
)

// Hash names a blob: the SHA-256 of its bytes.
type Hash [32]byte

// HashOf names data.
func HashOf(data []byte) Hash { return sha256.Sum256(data) }

func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// ParseHash reads a hash written by String.
func ParseHash(s string) (Hash, error) {
	var h Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("%w: %q is not a content hash", ErrBadRequest, s)
	}
	copy(h[:], b)
	return h, nil
}

// Store keeps blobs as files named by their hash in one directory. Complete blobs are
// written whole and renamed into place, so a reader never sees a partial one.
type Store struct{ dir string }

// OpenStore uses dir, creating it if needed.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("content store: %w", err)
	}
	return &Store{dir: dir}, nil
}

func (s *Store) path(h Hash) string    { return filepath.Join(s.dir, h.String()) }
func (s *Store) partial(h Hash) string { return filepath.Join(s.dir, h.String()+".part") }

// Put stores data and returns its hash.
func (s *Store) Put(data []byte) (Hash, error) {
	if len(data) > terms.MaxBlob {
		return Hash{}, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), terms.MaxBlob)
	}
	h := HashOf(data)
	if s.Has(h) {
		return h, nil
	}
	tmp, err := os.CreateTemp(s.dir, "put-*")
	if err != nil {
		return Hash{}, fmt.Errorf("store content: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return Hash{}, fmt.Errorf("store content: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return Hash{}, fmt.Errorf("store content: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return Hash{}, fmt.Errorf("store content: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path(h)); err != nil {
		return Hash{}, fmt.Errorf("store content: %w", err)
	}
	return h, nil
}

// Has reports whether the complete blob h is here.
func (s *Store) Has(h Hash) bool {
	_, err := os.Stat(s.path(h))
	return err == nil
}

// Get reads the blob h whole, checking its hash (a disk can rot).
func (s *Store) Get(h Hash) ([]byte, error) {
	f, err := os.Open(s.path(h))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, h)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, terms.MaxBlob+1))
	if err != nil {
		return nil, err
	}
	if len(data) > terms.MaxBlob {
		return nil, fmt.Errorf("%w: stored %s", ErrTooLarge, h)
	}
	if HashOf(data) != h {
		return nil, fmt.Errorf("%w: stored %s", ErrHashMismatch, h)
	}
	return data, nil
}

// readAt reads up to n bytes of blob h from off, and the blob's size.
func (s *Store) readAt(h Hash, off int64, n int) ([]byte, int64, error) {
	f, err := os.Open(s.path(h))
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, fmt.Errorf("%w: %s", ErrNotFound, h)
	}
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	size := fi.Size()
	if off > size {
		return nil, size, fmt.Errorf("%w: offset %d past the end %d", ErrBadRequest, off, size)
	}
	buf := make([]byte, min(int64(n), size-off))
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return nil, size, err
	}
	return buf, size, nil
}
