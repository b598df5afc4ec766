package app

import (
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// logRing keeps the last lines of the app's log for the Logs screen.
type logRing struct {
	mu    sync.Mutex
	buf   []string
	max   int
	count atomic.Uint64 // lines written in all
}

func (r *logRing) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	lines := strings.Split(strings.TrimRight(string(p), "\n"), "\n")
	r.buf = append(r.buf, lines...)
	if over := len(r.buf) - r.max; over > 0 {
		r.buf = slices.Delete(r.buf, 0, over)
	}
	r.count.Add(uint64(len(lines)))
	return len(p), nil
}

// lines returns the lines kept, oldest first, and how many were written in all.
func (r *logRing) lines() ([]string, uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.buf), r.count.Load()
}

// newLogger logs to the ring (for the Logs screen) and to w.
func newLogger(ring *logRing, w interface{ Write([]byte) (int, error) }) *slog.Logger {
	return slog.New(slog.NewTextHandler(multiWriter{ring, w}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type multiWriter [2]interface{ Write([]byte) (int, error) }

func (m multiWriter) Write(p []byte) (int, error) {
	m[0].Write(p)
	return m[1].Write(p)
}
