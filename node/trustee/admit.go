package trustee

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/wire"
	"github.com/libp2p/go-libp2p/core/peer"
)

// refusedGrace is how long a refused light node keeps its connection, to read the
// reason and go; then the trustee closes it.
const refusedGrace = 5 * time.Second

// admission is the set of light nodes a trustee serves: at most max, taken first come
// first served and given up when their connection closes. Trustees of the set are
// never counted.
type admission struct {
	max int

	mu       sync.Mutex
	admitted map[peer.ID]struct{}
}

func newAdmission(max int) *admission {
	return &admission{max: max, admitted: map[peer.ID]struct{}{}}
}

// serveAdmit admits the asking light node while there is room, and otherwise refuses
// it with the reason, closing its connection after refusedGrace. Either answer names
// some of the light nodes it serves, for the asker's relay mesh.
func (t *Trustee) serveAdmit(_ context.Context, from peer.ID, req []byte) ([]byte, error) {
	var r wire.AdmitRequest
	if err := wire.Decode(req, &r, p2p.AdmitRequestLimit); err != nil {
		return nil, badInput(err)
	}
	a := t.lights
	resp := &wire.AdmitResponse{Limit: uint32(a.max)}
	if _, member := (*t.members.Load())[from]; member {
		resp.Admitted = true
		return wire.Encode(resp), nil
	}
	a.mu.Lock()
	_, resp.Admitted = a.admitted[from]
	if !resp.Admitted && len(a.admitted) >= a.max {
		// Room may have been left by light nodes that went away.
		for id := range a.admitted {
			if !t.net.Connected(id) {
				delete(a.admitted, id)
			}
		}
	}
	if !resp.Admitted && len(a.admitted) < a.max {
		a.admitted[from] = struct{}{}
		resp.Admitted = true
	}
	resp.Serving = uint32(len(a.admitted))
	others := make([]peer.ID, 0, len(a.admitted))
	for id := range a.admitted {
		if id != from {
			others = append(others, id)
		}
	}
	a.mu.Unlock()
	t.metrics.lights.Set(float64(resp.Serving))
	resp.Peers = t.admitPeers(others)
	if !resp.Admitted {
		resp.Reason = fmt.Sprintf("trustee full: serving %d light nodes, its limit", resp.Serving)
		t.metrics.refused.Inc()
		t.log.Debug("light node refused", "peer", from, "serving", resp.Serving)
		time.AfterFunc(refusedGrace, func() {
			a.mu.Lock()
			_, ok := a.admitted[from]
			a.mu.Unlock()
			if !ok {
				t.net.Disconnect(from)
			}
		})
	}
	return wire.Encode(resp), nil
}

// admitPeers picks up to p2p.MaxAdmitPeers of ids at random, with the addresses they
// are known by.
func (t *Trustee) admitPeers(ids []peer.ID) []wire.AdmitPeer {
	rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	var out []wire.AdmitPeer
	for _, id := range ids {
		if len(out) == p2p.MaxAdmitPeers {
			break
		}
		p := wire.AdmitPeer{ID: []byte(id)}
		for _, a := range t.net.Addrs(id) {
			if b := a.Bytes(); len(b) <= p2p.MaxAddrSize && len(p.Addrs) < p2p.MaxAdmitAddrs {
				p.Addrs = append(p.Addrs, b)
			}
		}
		if len(p.Addrs) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// Lights is how many light nodes the trustee has admitted and the most it admits.
func (t *Trustee) Lights() (serving, max int) {
	t.lights.mu.Lock()
	defer t.lights.mu.Unlock()
	return len(t.lights.admitted), t.lights.max
}
