package light

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/wire"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// A light node does not hold a connection on every trustee: it keeps Config.Trustees
// that admitted it and follows the rest of the chain's traffic through other light
// nodes. The trustees are taken in an order of the node's own, by rendezvous hashing
// of its peer ID over the set, so that light nodes spread evenly over the trustees
// and each keeps the same ones across restarts; a trustee that refuses it (full:
// wire.AdmitResponse names the reason) is skipped for a while and the next in the
// order is asked. The trustees that admit it, and those that refuse it, name some of
// the light nodes they serve; the node dials up to Config.LightPeers of them, and
// certified blocks reach it through the gossip mesh among light nodes too. Every
// block is verified against the trustee set however it arrives (validateBlock), so a
// relaying light node can withhold a block but not forge one.

// linkState is the node's view of its trustees and light peers.
type linkState struct {
	mu       sync.Mutex
	admitted map[peer.ID]bool
	refused  map[peer.ID]refusal
	// asking are the trustees being asked now: no request goes to them until they
	// answer, or a request could dial one again after it refused.
	asking map[peer.ID]bool
	// candidates are light nodes trustees named, newest first.
	candidates []peer.AddrInfo
	// named is when a trustee last named light nodes to the node.
	named time.Time
}

// refusal is why a trustee did not serve the node, and until when it is not asked
// again.
type refusal struct {
	until  time.Time
	reason string
}

// maxCandidates bounds the light nodes remembered for dialing.
const maxCandidates = 4 * p2p.MaxAdmitPeers

// rendezvous orders trustees for the light node self: by a hash of each with self,
// highest first. Each light node has its own order, the orders of many light nodes
// spread evenly over the trustees, and a trustee that joins or leaves moves only the
// light nodes that rank it first.
func rendezvous(self peer.ID, ids []peer.ID) []peer.ID {
	type ranked struct {
		id    peer.ID
		score [sha256.Size]byte
	}
	rs := make([]ranked, len(ids))
	for i, id := range ids {
		rs[i] = ranked{id, sha256.Sum256([]byte(string(id) + string(self)))}
	}
	slices.SortFunc(rs, func(a, b ranked) int { return bytes.Compare(b.score[:], a.score[:]) })
	out := make([]peer.ID, len(rs))
	for i, r := range rs {
		out[i] = r.id
	}
	return out
}

// Relays names a light node's relays to its host's autorelay: the trustees that
// admitted it, so that the relay client holds no connection on a trustee that does
// not serve the node. Give Relays.Source to p2p.HostConfig.RelaySource and the same
// Relays to Config.Relays; Start binds it to the node.
type Relays struct{ n atomic.Pointer[Node] }

// Source sends up to num of the trustees that admitted the node, with their addresses.
func (r *Relays) Source(ctx context.Context, num int) <-chan peer.AddrInfo {
	out := make(chan peer.AddrInfo, num)
	defer close(out)
	n := r.n.Load()
	if n == nil {
		return out
	}
	for _, id := range n.admittedTrustees() {
		if len(out) == num {
			break
		}
		out <- peer.AddrInfo{ID: id, Addrs: n.net.Addrs(id)}
	}
	return out
}

// admittedTrustees are the trustees that admitted the node and are connected.
func (n *Node) admittedTrustees() []peer.ID {
	n.links.mu.Lock()
	defer n.links.mu.Unlock()
	var out []peer.ID
	for id, ok := range n.links.admitted {
		if ok && n.net.Connected(id) {
			out = append(out, id)
		}
	}
	return out
}

// firstTrustees is the first k of the bootstrap peers boot in the order of light node
// self: those it asks first, and dials at start.
func firstTrustees(self peer.ID, boot []peer.AddrInfo, k int) []peer.AddrInfo {
	ids := make([]peer.ID, len(boot))
	for i, b := range boot {
		ids[i] = b.ID
	}
	var out []peer.AddrInfo
	for _, id := range rendezvous(self, ids)[:min(k, len(ids))] {
		i := slices.IndexFunc(boot, func(b peer.AddrInfo) bool { return b.ID == id })
		out = append(out, boot[i])
	}
	return out
}

// refusedFor is how long a trustee that refused the node, or could not be reached,
// is not asked again.
func (n *Node) refusedFor() time.Duration { return max(10*n.cfg.Poll, time.Second) }

// linkLoop keeps the node's trustees and light peers until ctx ends.
func (n *Node) linkLoop(ctx context.Context) {
	t := time.NewTicker(n.cfg.Poll)
	defer t.Stop()
	for {
		n.relink(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// setPeers are the peer IDs of the trustee set the node trusts, but its own.
func (n *Node) setPeers() []peer.ID {
	n.mu.Lock()
	set := n.fol.Set()
	n.mu.Unlock()
	self := n.net.Self()
	ids := make([]peer.ID, 0, len(set))
	for _, t := range set {
		if id, err := p2p.PeerID(t.Key); err == nil && id != self {
			ids = append(ids, id)
		}
	}
	return ids
}

// relink asks trustees, in the node's order, to serve it until Config.Trustees have,
// then dials light peers up to Config.LightPeers.
func (n *Node) relink(ctx context.Context) {
	ids := rendezvous(n.net.Self(), n.setPeers())
	trustee := make(map[peer.ID]bool, len(ids))
	for _, id := range ids {
		trustee[id] = true
	}
	// The trustees that serve the node stay its trustees, even when one it prefers
	// has room again: only a node short of trustees asks others.
	linked := len(n.admittedTrustees())
	var reasons []string
	for _, id := range ids {
		if linked >= n.cfg.Trustees || ctx.Err() != nil {
			break
		}
		n.links.mu.Lock()
		admitted, r := n.links.admitted[id], n.links.refused[id]
		n.links.mu.Unlock()
		switch {
		case admitted && n.net.Connected(id):
			continue
		case time.Now().Before(r.until):
			reasons = append(reasons, r.reason)
			continue
		}
		if ok, reason := n.askAdmit(ctx, id); ok {
			linked++
		} else {
			reasons = append(reasons, reason)
		}
	}
	if linked == 0 && len(ids) > 0 && ctx.Err() == nil {
		n.publishStatus("no trustee serves this node: " + strings.Join(reasons, "; "))
	}
	if n.dialLightPeers(ctx, trustee) {
		// Short of light peers and out of names: a trustee that serves the node
		// names others again (the light nodes it admitted since).
		n.links.mu.Lock()
		ask := time.Since(n.links.named) > n.refusedFor()
		n.links.mu.Unlock()
		if served := n.admittedTrustees(); ask && len(served) > 0 {
			n.askAdmit(ctx, served[0])
		}
	}
}

// askAdmit connects to trustee id and asks it to serve the node. It reports whether
// it does and, when not, why.
func (n *Node) askAdmit(ctx context.Context, id peer.ID) (bool, string) {
	n.links.mu.Lock()
	n.links.asking[id] = true
	n.links.mu.Unlock()
	defer func() {
		n.links.mu.Lock()
		delete(n.links.asking, id)
		n.links.mu.Unlock()
	}()
	refuse := func(reason string) (bool, string) {
		n.links.mu.Lock()
		delete(n.links.admitted, id)
		n.links.refused[id] = refusal{until: time.Now().Add(n.refusedFor()), reason: reason}
		n.links.mu.Unlock()
		return false, reason
	}
	if !n.net.Connected(id) {
		ai := peer.AddrInfo{ID: id, Addrs: n.net.Addrs(id)}
		for _, b := range n.boot {
			if b.ID == id {
				ai.Addrs = append(ai.Addrs, b.Addrs...)
			}
		}
		if len(ai.Addrs) == 0 {
			return refuse(fmt.Sprintf("trustee %s: no address known", id.ShortString()))
		}
		dctx, cancel := context.WithTimeout(ctx, requestWait)
		err := n.net.Connect(dctx, ai)
		cancel()
		if err != nil {
			return refuse(fmt.Sprintf("trustee %s unreachable: %v", id.ShortString(), err))
		}
	}
	resp := new(wire.AdmitResponse)
	err := n.rem.ask(ctx, id, n.rem.protos.Admit, &wire.AdmitRequest{}, resp, p2p.AdmitResponseLimit)
	switch {
	case p2p.Unsupported(err):
		// A trustee of a version before admission serves whoever connects.
		resp = &wire.AdmitResponse{Admitted: true}
	case err != nil:
		// It may have admitted the node and the answer been lost: the node holds no
		// connection it does not count.
		n.net.Disconnect(id)
		return refuse(fmt.Sprintf("trustee %s: admit: %v", id.ShortString(), err))
	case resp.ValidateBasic() != nil:
		n.net.Penalize(id, p2p.PenaltyBadInput, "invalid admit response")
		n.net.Disconnect(id)
		return refuse(fmt.Sprintf("trustee %s: %v", id.ShortString(), resp.ValidateBasic()))
	}
	n.addCandidates(resp.AddrInfos())
	n.links.mu.Lock()
	n.links.named = time.Now()
	n.links.mu.Unlock()
	if !resp.Admitted {
		reason := fmt.Sprintf("trustee %s refused: %s (%d of %d)", id.ShortString(), resp.Reason, resp.Serving, resp.Limit)
		n.log.Info("trustee refused this node", "trustee", id.String(), "reason", resp.Reason, "serving", resp.Serving, "limit", resp.Limit)
		n.net.Disconnect(id)
		return refuse(reason)
	}
	n.links.mu.Lock()
	n.links.admitted[id] = true
	delete(n.links.refused, id)
	n.links.mu.Unlock()
	n.log.Debug("trustee admitted this node", "trustee", id.String(), "serving", resp.Serving, "limit", resp.Limit)
	return true, ""
}

// addCandidates remembers light nodes a trustee named, by their direct addresses: a
// dial through a relay would hold a connection on a trustee that does not serve this
// node (the relaying one). A light node behind NAT is not dialed by others, then,
// but takes part in the relay through the light nodes it dials.
func (n *Node) addCandidates(ais []peer.AddrInfo) {
	self := n.net.Self()
	n.links.mu.Lock()
	defer n.links.mu.Unlock()
	for _, ai := range ais {
		ai.Addrs = slices.DeleteFunc(ai.Addrs, func(a ma.Multiaddr) bool {
			_, err := a.ValueForProtocol(ma.P_CIRCUIT)
			return err == nil
		})
		if ai.ID == self || len(ai.Addrs) == 0 {
			continue
		}
		n.links.candidates = slices.DeleteFunc(n.links.candidates, func(c peer.AddrInfo) bool { return c.ID == ai.ID })
		n.links.candidates = slices.Insert(n.links.candidates, 0, ai)
	}
	n.links.candidates = n.links.candidates[:min(len(n.links.candidates), maxCandidates)]
}

// dialLightPeers dials light nodes trustees named until Config.LightPeers light
// nodes are connected. It reports whether it had too few names to.
func (n *Node) dialLightPeers(ctx context.Context, trustee map[peer.ID]bool) (short bool) {
	have := 0
	for _, p := range n.net.Peers() {
		if !trustee[p.ID] {
			have++
		}
	}
	want := n.cfg.LightPeers - have
	if want <= 0 {
		return false
	}
	n.links.mu.Lock()
	var dial []peer.AddrInfo
	for _, c := range n.links.candidates {
		if len(dial) == want {
			break
		}
		if !trustee[c.ID] && !n.net.Connected(c.ID) && !n.net.Banned(c.ID) {
			dial = append(dial, c)
		}
	}
	n.links.mu.Unlock()
	short = len(dial) < want
	var wg sync.WaitGroup
	for _, ai := range dial {
		wg.Go(func() {
			dctx, cancel := context.WithTimeout(ctx, requestWait)
			defer cancel()
			if err := n.net.Connect(dctx, ai); err != nil {
				n.log.Debug("dial light peer", "peer", ai.ID.String(), "err", err)
				n.links.mu.Lock()
				n.links.candidates = slices.DeleteFunc(n.links.candidates, func(c peer.AddrInfo) bool { return c.ID == ai.ID })
				n.links.mu.Unlock()
			}
		})
	}
	wg.Wait()
	return short
}

// serves reports whether the node may send requests to trustee id: it is not being
// asked to serve the node, and has not refused.
func (n *Node) serves(id peer.ID) bool {
	n.links.mu.Lock()
	asking := n.links.asking[id]
	n.links.mu.Unlock()
	return !asking && n.refusedBy(id) == ""
}

// refusedBy is the reason trustee id gave for not serving the node, while it holds.
func (n *Node) refusedBy(id peer.ID) string {
	n.links.mu.Lock()
	defer n.links.mu.Unlock()
	if r, ok := n.links.refused[id]; ok && time.Now().Before(r.until) && !n.links.admitted[id] {
		return r.reason
	}
	return ""
}
