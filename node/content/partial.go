package content

import (
	"fmt"
	"io"
	"os"

	"github.com/daolicloud/daoli/node/market/terms"
)

// partialFile is a blob being fetched: appended to, synced per chunk, and renamed
// into the store once complete and checked.
type partialFile struct {
	f *os.File
	n int64
}

func openPartial(path string) (*partialFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("partial content: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return nil, err
	}
	return &partialFile{f: f, n: fi.Size()}, nil
}

func (p *partialFile) size() int64 { return p.n }

func (p *partialFile) append(b []byte) error {
	if p.n+int64(len(b)) > terms.MaxBlob {
		return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, terms.MaxBlob)
	}
	if _, err := p.f.Write(b); err != nil {
		return fmt.Errorf("partial content: %w", err)
	}
	p.n += int64(len(b))
	return nil
}

// finish checks the bytes against h and moves them into the store; bytes that do not
// match are dropped, so the next fetch starts afresh.
func (p *partialFile) finish(h Hash, st *Store) ([]byte, error) {
	if _, err := p.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(p.f, terms.MaxBlob+1))
	if err != nil {
		return nil, err
	}
	if HashOf(data) != h {
		p.f.Truncate(0)
		p.n = 0
		return nil, fmt.Errorf("%w: %s", ErrHashMismatch, h)
	}
	if _, err := st.Put(data); err != nil {
		return nil, err
	}
	p.f.Close()
	os.Remove(st.partial(h))
	p.f = nil
	return data, nil
}

func (p *partialFile) close() {
	if p.f != nil {
		p.f.Sync()
		p.f.Close()
	}
}
