package light

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/internal/skew"
	"github.com/daolicloud/daoli/node/luck"
	"github.com/daolicloud/daoli/node/wire"
)

// newMiner makes the node's miner. With a gate, each worker slot holds its throttle
// of the gate, so the miner runs on the gate's cores at its duty; Start also has the
// gate pause it (Follow), which keeps its hash rate to the time it may work.
func newMiner(cfg Config) *luck.Miner {
	mc := luck.MinerConfig{Workers: cfg.MinerWorkers}
	if g := cfg.Gate; g != nil {
		mc.Throttle = func(slot int) luck.Throttle { return g.Throttle(slot) }
	}
	return luck.NewMiner(mc)
}

// watchGate turns the governor's decisions into events, so the app shows why sharing
// runs or rests. The gate also wakes its followers when a job worker takes or returns
// a core, which changes no decision: that is no event.
func (n *Node) watchGate(ctx context.Context, g *capacity.Gate) {
	var last *capacity.GateState
	for {
		changed := g.Changed()
		if s := g.State(); last == nil || s != *last {
			n.events.publish(Event{Kind: EventGovernor, Gate: s})
			last = &s
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
	}
}

// mineLoop mines one ticket per epoch: for each new tip it mines until the DCC's
// mining window closes and submits the ticket to several trustees.
func (n *Node) mineLoop(ctx context.Context) {
	for {
		var h chain.Header
		select {
		case <-ctx.Done():
			return
		case h = <-n.tips:
		}
		n.mu.Lock()
		w, err := n.cal.Window()
		n.mu.Unlock()
		if err != nil || w.Epoch() != h.Epoch+1 {
			continue
		}
		until := n.base.Add(w.MineUntil())
		left := until.Sub(skew.Now())
		if left <= 0 {
			continue
		}
		mctx, cancel := context.WithTimeout(ctx, skew.Real(left))
		lottery := luck.LotteryAfter(&h, n.params.KStar)
		tk, err := n.miner.MineTicket(mctx, n.cfg.Wallet, lottery, n.me)
		cancel()
		if err != nil {
			n.log.Debug("no ticket", "epoch", lottery.Epoch, "err", err)
			continue
		}
		n.submitTicket(ctx, tk.KeyBlock)
	}
}

// submitFanout is how many trustees a ticket or transaction goes to directly; they
// relay it to the rest.
const submitFanout = 3

func (n *Node) submitTicket(ctx context.Context, kb *chain.KeyBlock) {
	ok, _ := n.submit(ctx, &wire.SubmitRequest{KeyBlock: kb})
	if ok == 0 {
		n.log.Info("ticket not taken", "epoch", kb.Epoch)
		return
	}
	n.wallet.ticket()
	n.mu.Lock()
	n.ticketedAt = kb.Epoch
	n.mu.Unlock()
	n.events.publish(Event{Kind: EventTicket, Height: kb.Epoch})
	n.log.Debug("ticket submitted", "epoch", kb.Epoch, "trustees", ok)
}

// submit sends req to up to submitFanout trustees at once and returns how many took it,
// and when none did, the last refusal.
func (n *Node) submit(ctx context.Context, req *wire.SubmitRequest) (int, error) {
	ids := n.trusteePeers()
	ids = ids[:min(len(ids), submitFanout)]
	var wg sync.WaitGroup
	var took atomic.Int32
	var lastErr atomic.Value
	for _, id := range ids {
		wg.Go(func() {
			if _, err := n.rem.submit(ctx, id, req); err != nil {
				lastErr.Store(err.Error())
				return
			}
			took.Add(1)
		})
	}
	wg.Wait()
	if took.Load() == 0 {
		if e, ok := lastErr.Load().(string); ok {
			n.log.Debug("submit refused", "err", e)
			return 0, errors.New(e)
		}
		return 0, ErrNoTrustees
	}
	return int(took.Load()), nil
}
