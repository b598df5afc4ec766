package light

import (
	"slices"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/luck"
)

// recentHeaders is how many headers the expected wins are estimated from.
const recentHeaders = 32

// Draw is one epoch's lottery as this node saw it.
type Draw struct {
	Epoch   uint64       // 0: no block verified since the node started
	Winner  keys.Address // zero when the epoch had no valid ticket
	Tickets uint32       // admitted tickets of the epoch: the header's count, the median of the trustees' counts
	// Mine: this node sent a ticket for the epoch. Rank is its place by luck when the
	// block pays it: 1 the winner, 2… the payroll; 0 when it was not paid.
	Mine bool
	Rank int
}

// Lottery is the Consensus of Luck for this node: the last draw, the epoch drawn now,
// and the wins to expect.
type Lottery struct {
	Last    Draw
	Current uint64 // the epoch whose tickets are being collected
	Odds    luck.Odds
	// Won of Epochs: this node's wins in the epochs the odds are estimated from.
	Won, Epochs int
}

// Lottery reports the last draw and this node's expected wins (the Dashboard's lottery,
// docs/app.md): its ticket's chance to be admitted at its measured hash rate, and to be
// the luckiest among as many tickets as recent blocks admitted.
func (n *Node) Lottery() Lottery {
	var rate float64
	if n.miner != nil {
		rate = n.miner.Stats().Rate
	}
	n.mu.Lock()
	tip := n.fol.Tip()
	l := Lottery{Last: n.draw, Current: tip.Epoch + 1, Epochs: len(n.recent)}
	for _, w := range n.won {
		if w {
			l.Won++
		}
	}
	in := luck.OddsInput{Recent: slices.Clone(n.recent), Target: luck.NextTarget(&tip, n.params.KStar), HashRate: rate,
		Phi: time.Duration(n.params.PhiMs) * time.Millisecond, Cycle: n.cal.GlobalCycle(), KStar: n.params.KStar, Payroll: n.params.Payroll}
	n.mu.Unlock()
	l.Odds = luck.ExpectedWins(in)
	return l
}

// noteDraw records a verified block's draw; n.mu is held.
func (n *Node) noteDraw(b *chain.Block) {
	h := b.Header
	drop := max(len(n.recent)+1-recentHeaders, 0)
	n.recent = append(slices.Clip(n.recent[drop:]), h)
	d := Draw{Epoch: h.Epoch, Tickets: h.Tickets, Mine: n.ticketedAt == h.Epoch}
	if b.Winner != nil {
		d.Winner = b.Winner.Payout
	}
	if n.cfg.Wallet != nil {
		me := n.cfg.Wallet.Public()
		if b.Winner != nil && b.Winner.Miner == me {
			d.Rank = 1
		}
		for i := range b.Payroll {
			if b.Payroll[i].Miner == me {
				d.Rank = i + 2
			}
		}
	}
	n.won = append(slices.Clip(n.won[drop:]), d.Rank == 1)
	n.draw = d
}
