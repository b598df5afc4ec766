package trustee

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/ibft"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/wire"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// The reactors: they run on the network's goroutines, decode and check at the edge,
// and hand what passes to the state goroutine.

// Bounds of the outbound side.
const (
	sendQueue     = 256              // consensus messages queued per peer; later ones are dropped (the machine resends)
	sendTimeout   = 5 * time.Second  // one consensus send
	connectEvery  = 2 * time.Second  // how often missing trustees are dialed
	catchUpWait   = 10 * time.Second // one sync request
	deliverWithin = time.Second      // how long a reactor waits for room in the inbox
)

func (t *Trustee) startReactors(ctx context.Context) error {
	p := t.protos
	isMember := func(id peer.ID) bool { _, ok := (*t.members.Load())[id]; return ok }
	if err := t.net.HandleDirect(p.Consensus, t.onConsensus, p2p.AllowPeers(isMember)); err != nil {
		return fmt.Errorf("start trustee: %w", err)
	}
	if sr, ok := t.net.(p2p.StreamReceiver); ok {
		if err := sr.HandleStream(p.ConsensusStream, t.onConsensus, p2p.AllowPeers(isMember)); err != nil {
			return fmt.Errorf("start trustee: %w", err)
		}
	}
	subs := []struct {
		topic string
		v     p2p.Validator
		h     p2p.MessageHandler
	}{
		{p.Blocks, t.validateBlock, t.onBlock},
		{p.KeyBlocks, t.validateKeyBlock, t.onKeyBlock},
		{p.Txs, t.validateTx, func(context.Context, p2p.Message) {}},
	}
	for _, s := range subs {
		if err := t.net.Subscribe(s.topic, s.v, s.h); err != nil {
			return fmt.Errorf("start trustee: %w", err)
		}
	}
	handlers := []struct {
		id p2p.StreamSpec
		h  p2p.RequestHandler
	}{
		{p2p.StreamSpec{ID: p.Sync}, t.serveSync},
		{p2p.StreamSpec{ID: p.Proof}, t.serveProof},
		{p2p.StreamSpec{ID: p.Submit}, t.serveSubmit},
		{p2p.StreamSpec{ID: p.Clock}, t.serveClock},
		{p2p.StreamSpec{ID: p.Admit}, t.serveAdmit},
	}
	for _, h := range handlers {
		if err := t.net.Handle(h.id.ID, h.h); err != nil {
			return fmt.Errorf("start trustee: %w", err)
		}
	}
	return t.startMarket()
}

// deliver hands an input to the state goroutine, waiting a little for room: a
// trustee that cannot keep up drops input rather than buffer without bound.
func (t *Trustee) deliver(ctx context.Context, in input) bool {
	timer := time.NewTimer(deliverWithin)
	defer timer.Stop()
	select {
	case t.inbox <- in:
		return true
	case <-ctx.Done():
	case <-t.done:
	case <-timer.C:
		t.log.Debug("inbox full, input dropped")
	}
	return false
}

// messageType is what a consensus message decodes into.
var messageType = reflect.TypeFor[ibft.Message]()

func (t *Trustee) onConsensus(ctx context.Context, from peer.ID, data []byte) error {
	if err := wire.CheckDecodeCost(data, messageType); err != nil {
		return fmt.Errorf("%w: %w", p2p.ErrBadInput, err)
	}
	msg, err := ibft.DecodeMessage(data)
	if err != nil {
		return fmt.Errorf("%w: %w", p2p.ErrBadInput, err)
	}
	if err := msg.ValidateBasic(); err != nil {
		return fmt.Errorf("%w: %w", p2p.ErrBadInput, err)
	}
	t.deliver(ctx, input{msg: msg, from: from})
	return nil
}

func (t *Trustee) selfOrigin(from peer.ID) bool { return from == t.net.Self() }

// noteHeard records that the certified block of epoch e is on the blocks topic, so
// this trustee need not publish its own copy (commit).
func (t *Trustee) noteHeard(e uint64) {
	for {
		old := t.heardBlock.Load()
		if e <= old || t.heardBlock.CompareAndSwap(old, e) {
			return
		}
	}
}

func (t *Trustee) validateBlock(_ context.Context, from peer.ID, data []byte) (any, p2p.ValidationResult) {
	if t.selfOrigin(from) {
		return nil, p2p.Accept
	}
	tp := t.tipv.Load()
	// Most blocks on the topic are ones this trustee has committed already: their
	// header tells, without building the block's transactions.
	var head wire.CertifiedHead
	if wire.Decode(data, &head, p2p.BlockTopicLimit) == nil && head.Block.Header.Epoch != tp.header.Epoch+1 {
		if e := head.Block.Header.Epoch; e == tp.header.Epoch && e > t.heardBlock.Load() && head.Block.Header.Hash() == tp.header.Hash() {
			// The copy only counts if light nodes can use it: a proposer that sent
			// the block under a certificate that does not verify must not keep the
			// others from publishing theirs. (It is checked against the set after
			// the block, which differs only at a membership boundary: there a good
			// copy is not counted, and this trustee publishes one more.)
			var cert chain.Cert
			if wire.Decode(head.Cert, &cert, p2p.BlockTopicLimit) == nil &&
				cert.VerifyWith(t.chainID, e, tp.header.Hash(), tp.state.Active(), t.sigs) == nil {
				t.noteHeard(e)
			}
		}
		return nil, p2p.Ignore // old, or too far ahead to check here
	}
	c := new(wire.CertifiedBlock)
	if err := wire.Decode(data, c, p2p.BlockTopicLimit); err != nil {
		return nil, p2p.Reject
	}
	if err := c.ValidateBasic(); err != nil {
		return nil, p2p.Reject
	}
	if c.Block.Header.Epoch != tp.header.Epoch+1 {
		return nil, p2p.Ignore
	}
	if err := c.Cert.VerifyWith(t.chainID, c.Block.Header.Epoch, c.Block.Hash(), tp.state.Active(), t.sigs); err != nil {
		return nil, p2p.Reject
	}
	t.noteHeard(c.Block.Header.Epoch)
	return c, p2p.Accept
}

func (t *Trustee) onBlock(ctx context.Context, msg p2p.Message) {
	if c, ok := msg.Value.(*wire.CertifiedBlock); ok {
		t.deliver(ctx, input{certified: c, gossiped: true})
	}
}

func (t *Trustee) validateKeyBlock(_ context.Context, from peer.ID, data []byte) (any, p2p.ValidationResult) {
	if t.selfOrigin(from) {
		return nil, p2p.Accept
	}
	kb, err := chain.DecodeKeyBlock(data)
	if err != nil {
		return nil, p2p.Reject
	}
	tp := t.tipv.Load()
	if kb.Epoch != tp.header.Epoch+1 {
		return nil, p2p.Ignore
	}
	if _, err := kb.VerifyWith(t.chainID, kb.Epoch, tp.state.Tip(), tp.state.Meta().Target, t.sigs); err != nil {
		return nil, p2p.Reject
	}
	return kb, p2p.Accept
}

func (t *Trustee) onKeyBlock(ctx context.Context, msg p2p.Message) {
	if kb, ok := msg.Value.(*chain.KeyBlock); ok {
		t.deliver(ctx, input{ticket: kb, recv: t.clock.Now()})
	}
}

func (t *Trustee) validateTx(_ context.Context, from peer.ID, data []byte) (any, p2p.ValidationResult) {
	if t.selfOrigin(from) {
		return nil, p2p.Accept
	}
	tx, err := chain.DecodeTx(data)
	if err != nil {
		return nil, p2p.Reject
	}
	if _, err := tx.ValidateBasicWith(t.chainID, t.sigs); err != nil {
		return nil, p2p.Reject
	}
	// Admitting here spares a second pass; a transaction this trustee cannot use now
	// (known, out of order, not applying to its state) is not relayed but not punished.
	if err := t.mempool.Add(tx); err != nil {
		return nil, p2p.Ignore
	}
	t.metrics.mempool.Set(float64(t.mempool.Len()))
	return tx, p2p.Accept
}

// send hands a consensus message to the sender goroutine of each recipient.
func (t *Trustee) send(ctx context.Context, out *ibft.Outbound) {
	data := ibft.EncodeMessage(&out.Message)
	if !out.Broadcast() {
		if id, ok := t.peerOf(out.To); ok {
			t.enqueue(ctx, id, data)
		}
		return
	}
	self := t.key.Public()
	for _, tr := range t.m.State().Active() {
		if tr.Key == self {
			continue
		}
		if id, ok := t.peerOf(tr.Key); ok {
			t.enqueue(ctx, id, data)
		}
	}
}

func (t *Trustee) peerOf(k [32]byte) (peer.ID, bool) {
	if id, ok := t.peers[k]; ok {
		return id, true
	}
	id, err := p2p.PeerID(k)
	if err != nil {
		return "", false
	}
	t.peers[k] = id
	return id, true
}

func (t *Trustee) enqueue(ctx context.Context, id peer.ID, data []byte) {
	q, ok := t.senders[id]
	if !ok {
		q = make(chan []byte, sendQueue)
		t.senders[id] = q
		t.wg.Add(1)
		go t.sendLoop(ctx, id, q)
	}
	select {
	case q <- data:
	default:
		t.log.Debug("send queue full", "peer", id.ShortString())
	}
}

// sendLoop sends one peer's consensus messages in order, so that one slow peer never
// holds up the state goroutine or the others.
func (t *Trustee) sendLoop(ctx context.Context, id peer.ID, q chan []byte) {
	defer t.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case data := <-q:
			sctx, cancel := context.WithTimeout(ctx, sendTimeout)
			err := t.sendTo(sctx, id, data)
			cancel()
			if err != nil && ctx.Err() == nil {
				t.log.Debug("send", "peer", id.ShortString(), "err", err)
			}
		}
	}
}

// sendTo sends one consensus message to a peer on the stream kept open to it, when
// the network keeps one (a stream per message costs about ten times the CPU), and
// otherwise, or when the peer does not take that stream, on a stream of its own.
func (t *Trustee) sendTo(ctx context.Context, id peer.ID, data []byte) error {
	if ss, ok := t.net.(p2p.StreamSender); ok {
		err := ss.SendStream(ctx, id, t.protos.ConsensusStream, data)
		if err == nil || errors.Is(err, p2p.ErrBanned) || ctx.Err() != nil {
			return err
		}
	}
	return t.net.Send(ctx, id, t.protos.Consensus, data)
}

// connectLoop keeps the trustee connected to the other trustees of the set, dialing
// the addresses the chain's registry lists for them.
func (t *Trustee) connectLoop(ctx context.Context) {
	defer t.wg.Done()
	ticker := time.NewTicker(connectEvery)
	defer ticker.Stop()
	for {
		t.connectTrustees(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func (t *Trustee) connectTrustees(ctx context.Context) {
	connected := map[peer.ID]bool{}
	peers := t.net.Peers()
	for _, p := range peers {
		connected[p.ID] = true
	}
	t.metrics.peers.Set(float64(len(peers)))
	self := t.net.Self()
	for _, tr := range t.tipv.Load().state.Active() {
		id, err := p2p.PeerID(tr.Key)
		if err != nil || id == self || connected[id] {
			continue
		}
		ai := peer.AddrInfo{ID: id}
		for _, a := range tr.Addrs {
			m, err := ma.NewMultiaddr(a)
			if err != nil {
				continue
			}
			// Registry addresses may end in /p2p/<id>; the dialer wants them bare.
			if addr, _ := peer.SplitAddr(m); addr != nil {
				ai.Addrs = append(ai.Addrs, addr)
			}
		}
		if len(ai.Addrs) == 0 {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, connectEvery)
		if err := t.net.Connect(cctx, ai); err == nil {
			t.net.Protect(id, "trustee")
		}
		cancel()
	}
}

// startCatchUp fetches the certified blocks up to target from the other trustees and
// hands them to the state goroutine, for a trustee that fell behind.
func (t *Trustee) startCatchUp(ctx context.Context, target uint64) {
	if !t.catchUp.CompareAndSwap(false, true) {
		return
	}
	from := t.tipv.Load().header.Epoch + 1
	var ids []peer.ID
	for id := range *t.members.Load() {
		if id != t.net.Self() {
			ids = append(ids, id)
		}
	}
	t.log.Info("catching up", "from", from, "to", target)
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		defer t.catchUp.Store(false)
		for h := from; h <= target && ctx.Err() == nil; h++ {
			c, err := t.fetch(ctx, ids, h)
			if err != nil {
				t.log.Warn("catch up", "height", h, "err", err)
				return
			}
			if !t.deliver(ctx, input{certified: c}) {
				return
			}
		}
	}()
}

// fetch asks the peers in turn for the certified block at height h.
func (t *Trustee) fetch(ctx context.Context, ids []peer.ID, h uint64) (*wire.CertifiedBlock, error) {
	var last error = ErrNotFound
	for _, id := range ids {
		c, err := requestBlock(ctx, t.net, t.protos, id, h)
		if err == nil {
			return c, nil
		}
		last = err
	}
	return nil, last
}

// requestBlock asks peer id for the certified block at height h and checks that the
// answer is that block with its certificate (the caller verifies the signatures
// against the trustee set it trusts).
func requestBlock(ctx context.Context, r p2p.Requester, protos p2p.Protocols, id peer.ID, h uint64) (*wire.CertifiedBlock, error) {
	ctx, cancel := context.WithTimeout(ctx, catchUpWait)
	defer cancel()
	req := &wire.SyncRequest{Height: h}
	resp, err := r.Request(ctx, id, protos.Sync, wire.Encode(req))
	if err != nil {
		return nil, err
	}
	c := new(wire.CertifiedBlock)
	if err := wire.Decode(resp, c, p2p.SyncResponseLimit); err != nil {
		return nil, err
	}
	if err := req.CheckAnswer(c); err != nil {
		return nil, err
	}
	return c, nil
}
