package p2p

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// Streamed protocols carry any number of one-way message frames on one long-lived
// stream per peer and direction (HandleStream, SendStream). Trustees send each other
// a few small messages per round, each to every other trustee; a stream per message
// (Send) costs opening and closing a Yamux stream on both sides, about 100 µs of CPU
// on loopback against under 10 µs for a frame on an open stream, which with 16
// trustees was most of the CPU of an epoch. Frames on one stream arrive in the order
// they were sent, so a large Proposal delays the votes written after it by the time it
// takes to transfer.

// HandleStream receives one-way messages on proto, a Streamed protocol of protocol.go:
// each inbound stream is read frame after frame, and h runs for each message, in
// order, on the stream's goroutine. The bounds of HandleDirect hold: at most
// MaxStreamsPerPeer streams per peer, each frame within the protocol's limit and the
// inbound budget, penalties for bad frames and bad input. A stream that stays idle
// for StreamTimeout is closed; the sender opens another.
func (n *Network) HandleStream(proto protocol.ID, h DirectHandler, opts ...HandleOption) error {
	spec, err := n.streamedSpec(proto)
	if err != nil {
		return err
	}
	if h == nil {
		return fmt.Errorf("%w: nil handler for %s", ErrBadConfig, proto)
	}
	o := handleOptionsOf(opts)
	return n.setHandler(proto, func(s network.Stream) { n.serveStream(s, spec, h, o) })
}

func (n *Network) streamedSpec(proto protocol.ID) (StreamSpec, error) {
	spec, ok := n.protos.Stream(proto)
	if !ok {
		return StreamSpec{}, fmt.Errorf("%w: %s", ErrUnknownProtocol, proto)
	}
	if spec.Kind != Streamed {
		return StreamSpec{}, fmt.Errorf("%w: %s is not a streamed protocol", ErrUnknownProtocol, proto)
	}
	return spec, nil
}

func (n *Network) serveStream(s network.Stream, spec StreamSpec, h DirectHandler, o handleOptions) {
	remote := s.Conn().RemotePeer()
	if !n.admit(s, remote, o) {
		return
	}
	defer n.in.release(remote)
	// Closing the Network ends the read in progress.
	defer context.AfterFunc(n.ctx, func() { _ = s.Reset() })()
	for {
		// Bounds the wait for a frame and the frame itself; mocknet streams have no
		// deadlines and stay open until either side closes.
		_ = s.SetReadDeadline(time.Now().Add(n.cfg.StreamTimeout))
		msg, charged, err := readFrame(s, spec.RequestLimit, n.budget)
		if errors.Is(err, io.EOF) {
			_ = s.Close()
			return
		}
		if err != nil {
			n.readFailed(remote, spec.ID, err)
			_ = s.Reset()
			return
		}
		err = n.callDirect(n.ctx, h, remote, msg)
		n.budget.give(charged)
		if err == nil {
			continue
		}
		if !errors.Is(err, ErrBadInput) {
			n.log.Debug("stream message handler", "peer", remote, "protocol", spec.ID, "err", err)
			continue
		}
		n.Penalize(remote, PenaltyBadInput, fmt.Sprintf("%s: %v", spec.ID, err))
		if n.box.Banned(remote) {
			_ = s.Reset()
			return
		}
	}
}

// SendStream delivers msg to p on the Streamed protocol proto, over the stream kept
// open to p for proto: opened on first use, and again after an error or a long idle
// time. As with Send, a nil error means the message was written, not that p took it.
// Messages to one peer on one protocol go out in the order of the calls; calls for
// different peers do not wait for each other.
func (n *Network) SendStream(ctx context.Context, p peer.ID, proto protocol.ID, msg []byte) error {
	spec, err := n.streamedSpec(proto)
	if err != nil {
		return err
	}
	if len(msg) > spec.RequestLimit {
		return fmt.Errorf("send %s: %w: %d bytes, limit %d", proto, ErrTooLarge, len(msg), spec.RequestLimit)
	}
	if n.box.Banned(p) {
		return fmt.Errorf("%s to %s: %w", proto, p.ShortString(), ErrBanned)
	}
	if !n.enter() {
		return ErrClosed
	}
	defer n.wg.Done()
	o := n.outStreams.get(p, proto)
	o.mu.Lock()
	defer o.mu.Unlock()
	// A stream idle for half the receiver's timeout may be closing on the far side,
	// where a frame written now would be lost: start a fresh one instead.
	if o.s != nil && time.Since(o.last) > n.cfg.StreamTimeout/2 {
		o.close(false)
	}
	// A stream whose connection has closed may still take a write that goes nowhere.
	if o.s != nil && o.s.Conn().IsClosed() {
		o.close(true)
	}
	for attempt := 0; ; attempt++ {
		fresh := o.s == nil
		if fresh {
			if err := n.openOut(ctx, o, p, proto); err != nil {
				return err
			}
		}
		if d, ok := ctx.Deadline(); ok {
			_ = o.s.SetWriteDeadline(d)
		} else {
			_ = o.s.SetWriteDeadline(time.Now().Add(n.cfg.StreamTimeout))
		}
		err := WriteFrame(o.s, msg)
		if err == nil {
			o.last = time.Now()
			return nil
		}
		o.close(true)
		// A stream that worked before may have died with its connection or been
		// closed by the peer; one fresh stream is worth a try.
		if fresh || attempt > 0 || ctx.Err() != nil {
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			return fmt.Errorf("send %s to %s: %w", proto, p.ShortString(), err)
		}
	}
}

// openOut opens o's stream to p within the peer's outbound stream bound.
func (n *Network) openOut(ctx context.Context, o *outStream, p peer.ID, proto protocol.ID) error {
	if !n.out.acquire(p) {
		return fmt.Errorf("%s to %s: %w", proto, p.ShortString(), ErrTooManyStreams)
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.StreamTimeout)
	defer cancel()
	s, err := n.host.NewStream(ctx, p, proto)
	if err != nil {
		n.out.release(p)
		return fmt.Errorf("%s to %s: open stream: %w", proto, p.ShortString(), err)
	}
	// Closing the Network ends a write in progress, so Close need not wait it out.
	stop := context.AfterFunc(n.ctx, func() { _ = s.Reset() })
	o.s, o.last = s, time.Now()
	o.release = func() {
		stop()
		n.out.release(p)
	}
	return nil
}

// outStreams holds the long-lived outbound streams, one per peer and protocol. The
// zero value is ready.
type outStreams struct {
	mu     sync.Mutex
	byPeer map[peer.ID]map[protocol.ID]*outStream
}

// outStream is one long-lived outbound stream; mu orders the frames written to it.
type outStream struct {
	mu      sync.Mutex
	s       network.Stream
	release func()
	last    time.Time // of the last frame written
}

func (st *outStreams) get(p peer.ID, proto protocol.ID) *outStream {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.byPeer == nil {
		st.byPeer = map[peer.ID]map[protocol.ID]*outStream{}
	}
	m := st.byPeer[p]
	if m == nil {
		m = map[protocol.ID]*outStream{}
		st.byPeer[p] = m
	}
	o := m[proto]
	if o == nil {
		o = &outStream{}
		m[proto] = o
	}
	return o
}

// close ends the stream, resetting it after an error (whatever was written may be
// lost) or closing it cleanly, so the receiver reads to the end. The caller holds mu.
func (o *outStream) close(reset bool) {
	if o.s == nil {
		return
	}
	if reset {
		_ = o.s.Reset()
	} else {
		_ = o.s.Close()
	}
	o.release()
	o.s, o.release = nil, nil
}

// closeAll ends every outbound stream, for Network.Close once no send is in flight.
func (st *outStreams) closeAll() {
	st.mu.Lock()
	byPeer := st.byPeer
	st.byPeer = nil
	st.mu.Unlock()
	for _, m := range byPeer {
		for _, o := range m {
			o.mu.Lock()
			o.close(true)
			o.mu.Unlock()
		}
	}
}
