//go:build linux || freebsd || openbsd || netbsd || dragonfly

package capacity

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"sync"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/screensaver"
	"github.com/jezek/xgb/xproto"
)

// reconnectDelay spaces out attempts to reach a display or a bus that is not there,
// so a headless machine pays nothing for the governor's frequent looks.
const reconnectDelay = 5 * time.Second

// X11IdleProbe asks the X server's MIT-SCREEN-SAVER extension for the time since the
// last input, over a connection it keeps open (pure Go, no libX11).
type X11IdleProbe struct {
	// Display is the X display, e.g. ":0"; empty means $DISPLAY.
	Display string

	mu       sync.Mutex
	conn     *xgb.Conn
	root     xproto.Window
	failedAt time.Time
}

// IdleTime returns the X server's time since the last keyboard or pointer input.
func (p *X11IdleProbe) IdleTime(ctx context.Context) (time.Duration, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		if err := p.connect(); err != nil {
			return 0, err
		}
	}
	conn, root := p.conn, p.root
	type result struct {
		reply *screensaver.QueryInfoReply
		err   error
	}
	done := make(chan result, 1)
	go func() {
		reply, err := screensaver.QueryInfo(conn, xproto.Drawable(root)).Reply()
		done <- result{reply, err}
	}()
	select {
	case r := <-done:
		if r.err != nil || r.reply == nil {
			p.drop()
			return 0, fmt.Errorf("X11 screensaver query: %w: %v", ErrUnknown, r.err)
		}
		return time.Duration(r.reply.MsSinceUserInput) * time.Millisecond, nil
	case <-ctx.Done():
		// Closing the connection ends the waiting reply; the next call reconnects.
		p.drop()
		return 0, fmt.Errorf("X11 screensaver query: %w: %w", ErrUnknown, ctx.Err())
	}
}

// Close ends the connection to the X server.
func (p *X11IdleProbe) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drop()
}

// quietXGB silences xgb's package logger, which writes every missing .Xauthority and
// closed connection to stderr; the probe reports its failures as errors instead.
var quietXGB sync.Once

func (p *X11IdleProbe) connect() error {
	display := p.Display
	if display == "" {
		display = os.Getenv("DISPLAY")
	}
	if display == "" {
		return fmt.Errorf("X11: no display: %w", ErrUnknown)
	}
	if !p.failedAt.IsZero() && time.Since(p.failedAt) < reconnectDelay {
		return fmt.Errorf("X11: display %s unavailable: %w", display, ErrUnknown)
	}
	quietXGB.Do(func() { xgb.Logger = log.New(io.Discard, "", 0) })
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		p.failedAt = time.Now()
		return fmt.Errorf("X11: connect to %s: %w: %v", display, ErrUnknown, err)
	}
	if err := screensaver.Init(conn); err != nil {
		conn.Close()
		p.failedAt = time.Now()
		return fmt.Errorf("X11: %s has no screensaver extension: %w: %v", display, ErrUnknown, err)
	}
	p.conn, p.root, p.failedAt = conn, xproto.Setup(conn).DefaultScreen(conn).Root, time.Time{}
	return nil
}

func (p *X11IdleProbe) drop() {
	if p.conn != nil {
		p.conn.Close()
		p.conn = nil
		p.failedAt = time.Now()
	}
}
