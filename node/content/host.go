package content

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/daolicloud/daoli/node/p2p"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/daolicloud/daoli/node/market/terms"
)

// HostRequest asks a peer to keep blob Hash, of Size bytes, fetching it from the asker.
// Owners ask trustees, so that a provider finds a buyer's module and input, and a buyer
// the provider's output, while the owner is offline.
type HostRequest struct {
	_    struct{} `cbor:",toarray"`
	Hash Hash
	Size uint64
}

// DecodeHostRequest parses a host request, refusing a size above terms.MaxBlob.
func DecodeHostRequest(data []byte) (*HostRequest, error) {
	r := new(HostRequest)
	if err := decMode.Unmarshal(data, r); err != nil {
		return nil, fmt.Errorf("%w: host request: %v", ErrBadRequest, err)
	}
	if r.Size == 0 || r.Size > terms.MaxBlob {
		return nil, fmt.Errorf("%w: host request of %d bytes, 1 to %d", ErrBadRequest, r.Size, terms.MaxBlob)
	}
	return r, nil
}

// Host keeps blobs that peers ask it to keep, within a quota of disk.
type Host struct {
	Fetcher *Fetcher
	Quota   int64 // bytes the store may hold; a request beyond it is refused
	mu      sync.Mutex
}

// Serve answers host requests on proto: the blob is fetched from the asking peer (one
// fetch at a time, so a burst of requests costs one transfer's memory), checked against
// its hash and kept.
func (h *Host) Serve(r p2p.Responder, proto protocol.ID) error {
	return r.Handle(proto, func(ctx context.Context, from peer.ID, raw []byte) ([]byte, error) {
		req, err := DecodeHostRequest(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", p2p.ErrBadInput, err)
		}
		if h.Fetcher.Store.Has(req.Hash) {
			return []byte{}, nil
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		used, err := h.Fetcher.Store.Usage()
		if err != nil {
			return nil, err
		}
		if used+int64(req.Size) > h.Quota {
			return nil, fmt.Errorf("%w: content store full (%d of %d bytes used)", ErrTooLarge, used, h.Quota)
		}
		if _, err := h.Fetcher.Fetch(ctx, req.Hash, int64(req.Size), []peer.ID{from}, nil); err != nil {
			return nil, err
		}
		return []byte{}, nil
	})
}

// AskHost asks peer p to keep blob h of size bytes, which this node serves.
func AskHost(ctx context.Context, r p2p.Requester, proto protocol.ID, p peer.ID, h Hash, size int) error {
	if h == emptyHash {
		return nil // Fetch needs nobody for the empty blob
	}
	if _, err := r.Request(ctx, p, proto, encode(&HostRequest{Hash: h, Size: uint64(size)})); err != nil {
		return fmt.Errorf("host %s on %s: %w", h, p, err)
	}
	return nil
}

// emptyHash names the empty blob (a job that writes nothing).
var emptyHash = HashOf(nil)

// Usage is the bytes the store's blobs and partial files take.
func (s *Store) Usage() (int64, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, fmt.Errorf("content store: %w", err)
	}
	var total int64
	for _, e := range entries {
		if fi, err := e.Info(); err == nil {
			total += fi.Size()
		}
	}
	return total, nil
}
