package p2p

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	msmux "github.com/multiformats/go-multistream"
)

// Streams. A request/response stream carries one request frame from the client, who
// then closes its side, and one response frame back. The response begins with a status
// byte: statusOK and the payload, or statusError and a short UTF-8 reason.
//
// One-way messages (Send) use one stream per message: the sender writes one frame and
// closes. A stream per message costs a Yamux stream open (no round trip once identify
// has told us the peer's protocols: negotiation then rides on the first write), keeps no
// connection state to repair after an error, and lets a large Proposal travel without
// holding up the votes behind it. Messages from one peer
// may therefore be handled out of order and concurrently: the consensus state machine
// takes messages in any order, and its driver feeds them to it from one goroutine.

const (
	statusOK    byte = 0
	statusError byte = 1
)

// streamSlots counts the streams open with each peer in one direction.
type streamSlots struct {
	mu  sync.Mutex
	max int
	n   map[peer.ID]int
}

func newStreamSlots(max int) *streamSlots { return &streamSlots{max: max, n: map[peer.ID]int{}} }

func (s *streamSlots) acquire(p peer.ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n[p] >= s.max {
		return false
	}
	s.n[p]++
	return true
}

func (s *streamSlots) release(p peer.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n[p] <= 1 {
		delete(s.n, p)
		return
	}
	s.n[p]--
}

func (s *streamSlots) count(p peer.ID) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n[p]
}

// Handle serves requests on proto, which must be a request/response protocol of
// protocol.go. Each request runs h in its own goroutine, at most MaxStreamsPerPeer at
// once per peer, within StreamTimeout.
func (n *Network) Handle(proto protocol.ID, h RequestHandler, opts ...HandleOption) error {
	return n.handle(proto, RequestResponse, h == nil, opts, func(s network.Stream, spec StreamSpec, o handleOptions) {
		n.serveRequest(s, spec, h, o)
	})
}

// HandleDirect receives one-way messages on proto, which must be a one-way protocol of
// protocol.go, under the same bounds as Handle.
func (n *Network) HandleDirect(proto protocol.ID, h DirectHandler, opts ...HandleOption) error {
	return n.handle(proto, OneWay, h == nil, opts, func(s network.Stream, spec StreamSpec, o handleOptions) {
		n.serveDirect(s, spec, h, o)
	})
}

// handle is Handle and HandleDirect: it checks that proto is a protocol of kind and
// that there is a handler, then serves each stream of proto with serve.
func (n *Network) handle(proto protocol.ID, kind StreamKind, nilHandler bool, opts []HandleOption,
	serve func(network.Stream, StreamSpec, handleOptions)) error {
	spec, err := n.streamSpec(proto, kind)
	if err != nil {
		return err
	}
	if nilHandler {
		return fmt.Errorf("%w: nil handler for %s", ErrBadConfig, proto)
	}
	o := handleOptionsOf(opts)
	return n.setHandler(proto, func(s network.Stream) { serve(s, spec, o) })
}

// RemoveHandler stops serving proto.
func (n *Network) RemoveHandler(proto protocol.ID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.handlers[proto] {
		delete(n.handlers, proto)
		n.host.RemoveStreamHandler(proto)
	}
}

func handleOptionsOf(opts []HandleOption) handleOptions {
	var o handleOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

func (n *Network) streamSpec(proto protocol.ID, kind StreamKind) (StreamSpec, error) {
	spec, ok := n.protos.Stream(proto)
	if !ok {
		return StreamSpec{}, fmt.Errorf("%w: %s", ErrUnknownProtocol, proto)
	}
	if spec.Kind != kind {
		return StreamSpec{}, fmt.Errorf("%w: %s is not a %s protocol", ErrUnknownProtocol, proto, kindName(kind))
	}
	return spec, nil
}

func kindName(k StreamKind) string {
	if k == OneWay {
		return "one-way"
	}
	return "request/response"
}

func (n *Network) setHandler(proto protocol.ID, serve network.StreamHandler) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return ErrClosed
	}
	if n.handlers[proto] {
		return fmt.Errorf("%w: handler for %s", ErrAlreadyRegistered, proto)
	}
	n.handlers[proto] = true
	n.host.SetStreamHandler(proto, func(s network.Stream) {
		if !n.enter() {
			_ = s.Reset()
			return
		}
		defer n.wg.Done()
		serve(s)
	})
	return nil
}

// admit decides whether an inbound stream may be read at all. On true the caller
// releases the peer's inbound slot when done.
func (n *Network) admit(s network.Stream, remote peer.ID, o handleOptions) bool {
	switch {
	case n.box.Banned(remote):
		_ = s.Reset()
		n.disconnect(remote)
		return false
	case o.allow != nil && !o.allow(remote):
		n.log.Debug("stream from peer not allowed", "peer", remote, "protocol", s.Protocol())
		_ = s.Reset()
		return false
	case !n.in.acquire(remote):
		n.log.Debug("stream refused: too many streams", "peer", remote, "protocol", s.Protocol())
		_ = s.Reset()
		return false
	}
	return true
}

// watch bounds a stream's life: past the deadline the stream is reset, which unblocks
// any read or write. Transports with deadlines get them too; mocknet has none, hence
// the reset.
func watch(ctx context.Context, s network.Stream) (stop func() bool) {
	if d, ok := ctx.Deadline(); ok {
		_ = s.SetDeadline(d)
	}
	return context.AfterFunc(ctx, func() { _ = s.Reset() })
}

// readFailed penalizes a peer whose frame broke the rules; plain I/O errors (a reset, a
// timeout) cost nothing, since they are not proof of bad intent.
func (n *Network) readFailed(p peer.ID, proto protocol.ID, err error) {
	switch {
	case errors.Is(err, ErrTooLarge):
		n.Penalize(p, PenaltyOversized, fmt.Sprintf("%s: %v", proto, err))
	case errors.Is(err, ErrMalformed):
		n.Penalize(p, PenaltyMalformed, fmt.Sprintf("%s: %v", proto, err))
	case errors.Is(err, ErrBusy):
		n.log.Warn("inbound frame refused", "peer", p, "protocol", proto, "err", err, "in_use", n.budget.inUse())
	default:
		n.log.Debug("stream read", "peer", p, "protocol", proto, "err", err)
	}
}

func (n *Network) serveRequest(s network.Stream, spec StreamSpec, h RequestHandler, o handleOptions) {
	remote := s.Conn().RemotePeer()
	if !n.admit(s, remote, o) {
		return
	}
	defer n.in.release(remote)
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.StreamTimeout)
	defer cancel()
	defer watch(ctx, s)()

	req, charged, err := readOnlyFrame(s, spec.RequestLimit, n.budget)
	if err != nil {
		n.readFailed(remote, spec.ID, err)
		_ = s.Reset()
		return
	}
	resp, herr := n.callRequest(ctx, h, remote, req)
	n.budget.give(charged)

	status, body := statusOK, resp
	switch {
	case herr != nil:
		if errors.Is(herr, ErrBadInput) {
			n.Penalize(remote, PenaltyBadInput, fmt.Sprintf("%s: %v", spec.ID, herr))
		}
		status, body = statusError, []byte(errorText(herr))
	case len(resp) > spec.ResponseLimit:
		// A handler that answers over the limit is our bug; the peer would refuse it.
		n.log.Error("response over limit", "protocol", spec.ID, "size", len(resp), "limit", spec.ResponseLimit)
		status, body = statusError, []byte("response too large")
	}
	if err := writeStatusFrame(s, status, body); err != nil {
		n.log.Debug("write response", "peer", remote, "protocol", spec.ID, "err", err)
		_ = s.Reset()
		return
	}
	_ = s.Close()
}

func (n *Network) callRequest(ctx context.Context, h RequestHandler, p peer.ID, req []byte) (resp []byte, err error) {
	defer n.recoverTo("request handler", p, &err)
	return h(ctx, p, req)
}

func (n *Network) serveDirect(s network.Stream, spec StreamSpec, h DirectHandler, o handleOptions) {
	remote := s.Conn().RemotePeer()
	if !n.admit(s, remote, o) {
		return
	}
	defer n.in.release(remote)
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.StreamTimeout)
	defer cancel()
	stop := watch(ctx, s)

	msg, charged, err := readOnlyFrame(s, spec.RequestLimit, n.budget)
	stop()
	if err != nil {
		n.readFailed(remote, spec.ID, err)
		_ = s.Reset()
		return
	}
	_ = s.Close()
	defer n.budget.give(charged)
	if err := n.callDirect(ctx, h, remote, msg); err != nil {
		if errors.Is(err, ErrBadInput) {
			n.Penalize(remote, PenaltyBadInput, fmt.Sprintf("%s: %v", spec.ID, err))
			return
		}
		n.log.Debug("direct message handler", "peer", remote, "protocol", spec.ID, "err", err)
	}
}

func (n *Network) callDirect(ctx context.Context, h DirectHandler, p peer.ID, msg []byte) (err error) {
	defer n.recoverTo("direct message handler", p, &err)
	return h(ctx, p, msg)
}

// Request sends req to p on proto and returns the response payload. It fails with
// ErrRemote when p's handler answered with an error; a response that breaks the frame
// rules fails with ErrTooLarge or ErrMalformed and penalizes p.
func (n *Network) Request(ctx context.Context, p peer.ID, proto protocol.ID, req []byte) ([]byte, error) {
	spec, err := n.streamSpec(proto, RequestResponse)
	if err != nil {
		return nil, err
	}
	if len(req) > spec.RequestLimit {
		return nil, fmt.Errorf("request %s: %w: %d bytes, limit %d", proto, ErrTooLarge, len(req), spec.RequestLimit)
	}
	s, ctx, done, err := n.openStream(ctx, p, proto)
	if err != nil {
		return nil, err
	}
	defer done()
	fail := func(err error) ([]byte, error) {
		_ = s.Reset()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("request %s to %s: %w", proto, p.ShortString(), err)
	}
	if err := WriteFrame(s, req); err != nil {
		return fail(err)
	}
	if err := s.CloseWrite(); err != nil {
		return fail(err)
	}
	frame, _, err := readOnlyFrame(s, spec.ResponseLimit+1, nil)
	if err != nil {
		if ctx.Err() == nil {
			n.readFailed(p, proto, err)
		}
		return fail(err)
	}
	_ = s.Close()
	if len(frame) == 0 {
		n.readFailed(p, proto, fmt.Errorf("%w: empty response", ErrMalformed))
		return nil, fmt.Errorf("request %s to %s: %w: empty response", proto, p.ShortString(), ErrMalformed)
	}
	body := frame[1:]
	switch frame[0] {
	case statusOK:
		return body, nil
	case statusError:
		if len(body) > MaxErrorText || !utf8.Valid(body) {
			err := fmt.Errorf("%w: error text of %d bytes", ErrMalformed, len(body))
			n.readFailed(p, proto, err)
			return nil, fmt.Errorf("request %s to %s: %w", proto, p.ShortString(), err)
		}
		return nil, fmt.Errorf("request %s to %s: %w: %s", proto, p.ShortString(), ErrRemote, printable(string(body)))
	default:
		err := fmt.Errorf("%w: response status %d", ErrMalformed, frame[0])
		n.readFailed(p, proto, err)
		return nil, fmt.Errorf("request %s to %s: %w", proto, p.ShortString(), err)
	}
}

// Send delivers msg to p on the one-way protocol proto. A nil error means the message
// was written to the stream, not that p accepted it; consensus does not rely on any
// single message arriving.
func (n *Network) Send(ctx context.Context, p peer.ID, proto protocol.ID, msg []byte) error {
	spec, err := n.streamSpec(proto, OneWay)
	if err != nil {
		return err
	}
	if len(msg) > spec.RequestLimit {
		return fmt.Errorf("send %s: %w: %d bytes, limit %d", proto, ErrTooLarge, len(msg), spec.RequestLimit)
	}
	s, ctx, done, err := n.openStream(ctx, p, proto)
	if err != nil {
		return err
	}
	defer done()
	if err := WriteFrame(s, msg); err != nil {
		_ = s.Reset()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return fmt.Errorf("send %s to %s: %w", proto, p.ShortString(), err)
	}
	if err := s.Close(); err != nil {
		return fmt.Errorf("send %s to %s: %w", proto, p.ShortString(), err)
	}
	return nil
}

// openStream opens an outbound stream to p within the peer's stream bound, under a
// context that ends at StreamTimeout, at the caller's deadline or at Close, whichever
// comes first. done releases everything.
func (n *Network) openStream(ctx context.Context, p peer.ID, proto protocol.ID) (network.Stream, context.Context, func(), error) {
	if n.box.Banned(p) {
		return nil, nil, nil, fmt.Errorf("%s to %s: %w", proto, p.ShortString(), ErrBanned)
	}
	if !n.enter() {
		return nil, nil, nil, ErrClosed
	}
	if !n.out.acquire(p) {
		n.wg.Done()
		return nil, nil, nil, fmt.Errorf("%s to %s: %w", proto, p.ShortString(), ErrTooManyStreams)
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.StreamTimeout)
	stopClose := context.AfterFunc(n.ctx, cancel)
	release := func() {
		stopClose()
		cancel()
		n.out.release(p)
		n.wg.Done()
	}
	s, err := n.host.NewStream(ctx, p, proto)
	if err != nil {
		release()
		return nil, nil, nil, fmt.Errorf("%s to %s: open stream: %w", proto, p.ShortString(), err)
	}
	stopWatch := watch(ctx, s)
	return s, ctx, func() { stopWatch(); release() }, nil
}

// writeStatusFrame writes one frame holding a status byte and body, without copying
// body.
func writeStatusFrame(w io.Writer, status byte, body []byte) error {
	if len(body) < smallFrame {
		return WriteFrame(w, append([]byte{status}, body...))
	}
	var hdr [binary.MaxVarintLen64 + 1]byte
	n := binary.PutUvarint(hdr[:], uint64(1+len(body)))
	hdr[n] = status
	if _, err := w.Write(hdr[:n+1]); err != nil {
		return err
	}
	_, err := w.Write(body)
	return err
}

// errorText is the reason sent to a peer for a failed request, cut to MaxErrorText.
func errorText(err error) string {
	s := err.Error()
	if len(s) <= MaxErrorText {
		return s
	}
	s = s[:MaxErrorText]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// printable keeps a remote reason from carrying control characters into our logs.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// Unsupported reports whether err says the peer does not speak the protocol asked
// for (a node of an older version).
func Unsupported(err error) bool {
	var ns msmux.ErrNotSupported[protocol.ID]
	return errors.As(err, &ns)
}
