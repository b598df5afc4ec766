package light

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/libp2p/go-libp2p/core/peer"
)

// TrusteeInfo is one trustee of the set that certifies the chain's next block, as
// this node sees it.
type TrusteeInfo struct {
	chain.Trustee
	Connected bool
	Latency   time.Duration // round trip measured to it; 0 when not measured yet
	// Signed of Of: the certificates this node verified last (up to 100) that carry
	// this trustee's precommit.
	Signed, Of int
	// Refused is why the trustee does not serve this node (it is full, or could not
	// be reached), while the node waits to ask it again; empty otherwise.
	Refused string
}

// Trustees lists the trustee set in its lineup order (by seniority).
func (n *Node) Trustees() []TrusteeInfo {
	peers := map[peer.ID]p2p.PeerInfo{}
	for _, p := range n.net.Peers() {
		peers[p.ID] = p
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	set := n.fol.Set()
	out := make([]TrusteeInfo, 0, len(set))
	for _, t := range set {
		ti := TrusteeInfo{Trustee: t}
		if id, err := p2p.PeerID(t.Key); err == nil {
			p, ok := peers[id]
			ti.Connected, ti.Latency = ok, p.Latency
			ti.Refused = n.refusedBy(id)
		}
		ti.Signed, ti.Of = n.fol.Signed(t.Key)
		out = append(out, ti)
	}
	slices.SortFunc(out, func(a, b TrusteeInfo) int { return cmp.Compare(a.Seniority, b.Seniority) })
	return out
}

// trusteePeers lists the connected peers that are trustees of the set the node
// trusts and serve it (links.go: not refused, not being asked), in random order so
// that requests spread over them.
func (n *Node) trusteePeers() []peer.ID {
	n.mu.Lock()
	set := n.fol.Set()
	n.mu.Unlock()
	var ids []peer.ID
	connected := map[peer.ID]bool{}
	for _, p := range n.net.Peers() {
		connected[p.ID] = true
	}
	for _, t := range set {
		id, err := p2p.PeerID(t.Key)
		if err == nil && connected[id] && n.serves(id) {
			ids = append(ids, id)
		}
	}
	rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	return ids
}
