package content

import (
	"context"
	"errors"
	"fmt"

	"github.com/daolicloud/daoli/node/p2p"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/daolicloud/daoli/node/market/terms"
)

// Serve answers content requests from st on the network's content protocol.
func Serve(r p2p.Responder, protos p2p.Protocols, st *Store) error {
	return r.Handle(protos.Content, func(_ context.Context, _ peer.ID, raw []byte) ([]byte, error) {
		req, err := DecodeRequest(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", p2p.ErrBadInput, err)
		}
		data, size, err := st.readAt(req.Hash, int64(req.Offset), int(req.Length))
		if err != nil {
			if errors.Is(err, ErrBadRequest) {
				return nil, fmt.Errorf("%w: %w", p2p.ErrBadInput, err)
			}
			return nil, err
		}
		return encode(&Response{Size: uint64(size), Data: data}), nil
	})
}

// Fetcher fetches blobs from peers into a store.
type Fetcher struct {
	Req    p2p.Requester
	Proto  protocol.ID
	Store  *Store
	Punish func(p peer.ID, reason string) // called for a peer that sent bytes that do not fit; may be nil
}

// Progress reports a fetch's bytes so far and the blob's size.
type Progress func(done, size int64)

// Fetch gets blob h, of at most maxSize bytes, asking the peers in turn: a peer that
// fails hands over to the next, which goes on from the partial file. The blob is
// checked against h before it is kept.
func (f *Fetcher) Fetch(ctx context.Context, h Hash, maxSize int64, peers []peer.ID, progress Progress) ([]byte, error) {
	if h == emptyHash {
		return []byte{}, nil // nobody keeps the empty blob; everyone has it
	}
	if f.Store.Has(h) {
		return f.Store.Get(h)
	}
	maxSize = min(maxSize, terms.MaxBlob)
	part, err := openPartial(f.Store.partial(h))
	if err != nil {
		return nil, err
	}
	defer part.close()
	var last error = ErrNotFound
	for _, p := range peers {
		err := f.fetchFrom(ctx, p, h, maxSize, part, progress)
		if err == nil {
			data, err := part.finish(h, f.Store)
			if errors.Is(err, ErrHashMismatch) && f.Punish != nil {
				f.Punish(p, "content that does not match its hash")
			}
			return data, err
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, ErrBadRequest) && f.Punish != nil {
			f.Punish(p, err.Error())
		}
		last = err
	}
	return nil, fmt.Errorf("fetch %s: %w", h, last)
}

func (f *Fetcher) fetchFrom(ctx context.Context, p peer.ID, h Hash, maxSize int64, part *partialFile, progress Progress) error {
	for {
		off := part.size()
		raw, err := f.Req.Request(ctx, p, f.Proto, encode(&Request{Hash: h, Offset: uint64(off), Length: ChunkSize}))
		if err != nil {
			return err
		}
		resp, err := DecodeResponse(raw)
		if err != nil {
			return err
		}
		switch {
		case int64(resp.Size) > maxSize:
			return fmt.Errorf("%w: %d bytes, at most %d wanted", ErrTooLarge, resp.Size, maxSize)
		case int64(resp.Size) < off+int64(len(resp.Data)):
			return fmt.Errorf("%w: %d bytes at %d of a blob of %d", ErrBadRequest, len(resp.Data), off, resp.Size)
		case len(resp.Data) == 0 && off < int64(resp.Size):
			return fmt.Errorf("%w: empty chunk at %d of %d", ErrBadRequest, off, resp.Size)
		}
		if err := part.append(resp.Data); err != nil {
			return err
		}
		if progress != nil {
			progress(part.size(), int64(resp.Size))
		}
		if part.size() == int64(resp.Size) {
			return nil
		}
	}
}
