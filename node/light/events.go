package light

import (
	"sync"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/chain"
)

// EventKind says what happened.
type EventKind uint8

// Events of the light node.
const (
	EventBlock    EventKind = iota + 1 // a certified block was verified and stored
	EventWon                           // this node's ticket won an epoch
	EventPayroll                       // this node earned a payroll wage
	EventBalance                       // the wallet's balance changed (ledger or proof)
	EventTicket                        // this node submitted a ticket
	EventSync                          // sync state changed (caught up, behind, no trustees)
	EventRefused                       // a block was refused; Err says why
	EventGovernor                      // the sharing governor opened or closed the gate; Gate says how
	EventPayment                       // coins arrived from another account
	EventJob                           // a deal this node buys or runs changed phase; Deal, Phase, Outcome say how
	EventRun                           // a deal this node provides started running; Height is the node's height then
)

func (k EventKind) String() string {
	names := [...]string{"", "block", "won", "payroll", "balance", "ticket", "sync", "refused", "governor", "payment", "job", "run"}
	if int(k) >= len(names) {
		return "unknown"
	}
	return names[k]
}

// Event is one thing the app may want to show. Fields beyond Kind and Height are set
// where they apply.
type Event struct {
	Kind    EventKind
	Height  uint64
	Amount  uint64 // earned or the new balance
	Balance int64  // the ledger's sum after the event
	Err     error
	Gate    capacity.GateState // for EventGovernor
	Deal    chain.Hash         // for EventJob and EventRun
	Bought  bool               // EventJob: this node is the deal's buyer (else its provider)
	Phase   chain.DealPhase
	Outcome chain.DealOutcome
}

// broker fans events out to subscribers. A subscriber that does not keep up loses
// events rather than stall the node; every event is also reflected in the queries, so
// a UI that re-reads on any event stays right.
type broker struct {
	mu   sync.Mutex
	subs map[chan Event]struct{}
}

const subscriberBuffer = 256

func (b *broker) subscribe() (<-chan Event, func()) {
	ch := make(chan Event, subscriberBuffer)
	b.mu.Lock()
	if b.subs == nil {
		b.subs = make(map[chan Event]struct{})
	}
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		if _, ok := b.subs[ch]; ok {
			delete(b.subs, ch)
			close(ch)
		}
		b.mu.Unlock()
	}
}

func (b *broker) publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- e:
		default:
		}
	}
}

func (b *broker) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		close(ch)
	}
	b.subs = nil
}
