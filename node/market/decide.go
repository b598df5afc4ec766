package market

import (
	"crypto/sha256"
	"encoding/binary"
	"math"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
)

// The market's decisions, as node/ibft's are: pure functions from a deal as the chain
// holds it, this node's part in it, the height and what this node holds of it, to the
// actions to take. They read no clock, send nothing and take no lock; node/light's
// agent proves the deals, asks Decide, and carries the actions out.

// Role is this node's part in a deal.
type Role uint8

// Roles; a node may hold more than one, though the chain never offers a buyer its own
// deal.
const (
	Buyer    Role = 1 << iota // this node opened the deal
	Provider                  // the deal is offered to this node, or it accepted it
	Mediator                  // the deal is disputed and this trustee rules on it
)

// RoleOf is the part of the node whose address is me in deal d; bought says the node
// follows d as one it opened, before a proof of it names the buyer.
func RoleOf(d *chain.Deal, me keys.Address, bought bool) Role {
	var r Role
	if bought || d.Buyer == me {
		r |= Buyer
	}
	if d.Provider == me {
		r |= Provider
	}
	if d.Phase == chain.PhaseDisputed && keys.AddressOf(d.Mediator) == me {
		r |= Mediator
	}
	return r
}

// Run is how far a provider's run of a deal's job got.
type Run uint8

// Runs.
const (
	RunNone   Run = iota // not taken, or given up
	RunGoing             // the job is being fetched or runs
	RunDone              // it ran; its output is stored and kept by a trustee
	RunPosted            // its ResultPost was sent
)

// Held is what this node holds of a deal, besides the deal.
type Held struct {
	Seen chain.DealPhase // the phase the buyer last saw the deal in; 0 before
	Run  Run             // the provider's run of its job
	// Mute: the provider never posts a result (FaultSilent, for tests of timeouts).
	Mute bool
	// Acting: a step of the deal is in flight (for the mediator, an attempt at a
	// ruling).
	Acting bool
	// Ruled: the mediator sent its verdict. RetryAt: the height from which it tries
	// again after a failed attempt; 0 at once.
	Ruled   bool
	RetryAt uint64
	// Sent is the epoch each step was last begun for (as the next epoch it could
	// land in); 0 never.
	Sent map[Kind]uint64
}

// Kind is what an action does.
type Kind uint8

// Kinds of action. Accept, Post, React and Timeout are steps: each sends a
// transaction, at most one is in flight for a deal, and one is not begun again
// within Resend epochs of the last.
const (
	Start    Kind = iota + 1 // fetch the deal's job and run it
	Accept                   // send DealAccept at this node's price
	Post                     // send the run's ResultPost
	React                    // fetch the posted result, re-check it perhaps, accept or reject it
	Timeout                  // send DealTimeout: the other side let its window pass
	Stop                     // stop the run and forget it
	Announce                 // tell the node's listeners the deal's phase
	Rule                     // re-execute the disputed job and send the verdict (mediator)
)

var kindNames = [...]string{"", "start", "accept", "post", "react", "timeout", "stop", "announce", "rule"}

func (k Kind) String() string { return kindNames[min(int(k), len(kindNames)-1)] }

func (k Kind) step() bool { return k == Accept || k == Post || k == React || k == Timeout }

// Action is one thing to do about a deal, in the role As.
type Action struct {
	Kind Kind
	As   Role
}

// Resend is how many epochs a step waits before it is begun again: a transaction
// takes a block to be certified, and a proof of its effect comes after.
const Resend = 3

// Decide lists what a node in role should do about deal d, proven at height at,
// holding h of it: the buyer times out a provider that let its deadline pass and
// reacts to a posted result; the provider runs the job on the offer, accepts it,
// posts the result once the accept is certified and before the deadline, and times
// out a buyer or mediator that let its window pass; a run of a deal that closed or
// went to another provider stops; the mediator of a dispute tries to rule on it until
// it has, one attempt at a time, a failed attempt again from RetryAt.
func Decide(d *chain.Deal, role Role, at uint64, h Held) []Action {
	next := at + 1 // the epoch a transaction sent now can land in, at the earliest
	var out []Action
	stepped := h.Acting
	step := func(k Kind, as Role) {
		if stepped || h.Sent[k] > 0 && next < h.Sent[k]+Resend {
			return
		}
		stepped = true
		out = append(out, Action{k, as})
	}
	if role&Buyer != 0 {
		switch d.Phase {
		case chain.PhaseOpen, chain.PhaseAccepted:
			if next > d.Open.Deadline {
				step(Timeout, Buyer)
			}
		case chain.PhasePosted:
			step(React, Buyer)
		case chain.PhaseDisputed:
			if next > d.Disputed+chain.VerdictWindow {
				step(Timeout, Buyer)
			}
		}
		if h.Seen != d.Phase {
			out = append(out, Action{Announce, Buyer})
		}
	}
	if role&Mediator != 0 && !h.Acting && !h.Ruled && at >= h.RetryAt {
		out = append(out, Action{Rule, Mediator})
	}
	if role&Provider == 0 {
		if h.Run != RunNone && d.Phase == chain.PhaseOpen {
			out = append(out, Action{Stop, Provider}) // the offer lapsed, or went to another provider
		}
		return out
	}
	switch d.Phase {
	case chain.PhaseOpen:
		if h.Run == RunNone {
			out = append(out, Action{Start, Provider})
		}
		step(Accept, Provider)
	case chain.PhaseAccepted:
		if h.Run == RunNone {
			out = append(out, Action{Start, Provider}) // accepted before a restart: run it again
		}
		if h.Run == RunDone && !h.Mute && next <= d.Open.Deadline {
			step(Post, Provider)
		}
	case chain.PhasePosted:
		if next > d.Posted+chain.ReactWindow {
			step(Timeout, Provider)
		}
	case chain.PhaseDisputed:
		if next > d.Disputed+chain.VerdictWindow {
			step(Timeout, Provider)
		}
	case chain.PhaseClosed:
		if h.Run != RunNone {
			out = append(out, Action{Stop, Provider})
		}
		out = append(out, Action{Announce, Provider})
	}
	return out
}

// maxRetryWait caps the epochs between a mediator's attempts: a dispute is open for
// chain.VerdictWindow (12) epochs, so a mediator whose fetches fail for a while (the
// blobs' holders offline, a partition) still tries several times before the deadline.
const maxRetryWait = 4

// RetryAt is the height from which a mediator that began its attempts-th attempt at
// height h tries again if it fails: 1, 2, 4, 4, … epochs later.
func RetryAt(h uint64, attempts int) uint64 {
	return h + min(uint64(1)<<min(max(attempts, 1)-1, 8), maxRetryWait)
}

// Answer is the buyer's answer to deal d's posted result at height h, having checked
// it: ok when the output was fetched and, if re-executed, matched; err when the check
// could not be made. retry says to answer nothing yet and check again at a later
// block, which it does while the check failed and two blocks of the window are left.
//
// The posted status does not enter into it: a run that stopped at one of the deal's
// caps (time, memory, output) is paid like one that ended ok, when it checks out. The
// caps are the buyer's, and the provider spent up to them; a provider that claims a
// cap it did not reach is caught as any wrong result is, by a re-execution that ends
// otherwise (docs/market.md §Jobs).
func Answer(d *chain.Deal, h uint64, ok bool, err error) (body chain.Body, retry bool) {
	if err != nil && h+2 < d.Posted+chain.ReactWindow {
		return nil, true
	}
	if ok {
		return &chain.ResultAccept{Deal: d.ID}, false
	}
	reason := "the output differs from a re-execution"
	if err != nil {
		reason = "the output could not be fetched: " + err.Error()
	}
	return &chain.ResultReject{Deal: d.ID, Reason: Truncate(reason, chain.MaxMemo)}, false
}

// Recheck is the buyer's coin: whether it re-executes the result of a deal, with
// probability p, from salt, its signature over the deal's ID. The provider cannot
// predict it before it posts: it does not know the buyer's key.
func Recheck(salt []byte, p float64) bool {
	switch {
	case p <= 0:
		return false
	case p >= 1:
		return true
	}
	h := sha256.Sum256(salt)
	return float64(binary.BigEndian.Uint64(h[:8])>>11)/(1<<53) < p
}

// RecheckSalt is what the buyer signs to draw Recheck's coin for deal id.
func RecheckSalt(id chain.Hash) []byte { return append([]byte("daoli/recheck/v1"), id[:]...) }

// Registration is a ProviderRegister a node sent: its slots, its price and the
// height it was sent at (0 none).
type Registration struct {
	Slots uint32
	Price uint64
	At    uint64
}

// Slots is how many slots a provider asks for: its configured slots while sharing is
// on and its balance covers the deposit of the shortest deal at its price (below that
// it could not accept what it is offered), else none.
func Slots(sharing bool, balance, price uint64, slots uint32) uint32 {
	if sharing && balance >= MinDeposit(price) {
		return slots
	}
	return 0
}

// MinDeposit is the deposit of a deal of MinDealSeconds of wall time at price.
func MinDeposit(price uint64) uint64 {
	if price > math.MaxUint64/(MinDealSeconds*chain.DepositFactor) {
		return math.MaxUint64
	}
	return price * MinDealSeconds * chain.DepositFactor
}

// MinDealSeconds is the wall time of the shortest deal a provider is ready for.
const MinDealSeconds = 10

// Reregister says whether a provider that wants want slots at price sends a
// ProviderRegister at height h: when its record as proven (rec, nil when it has
// none) differs, unless it sent the same request (slots and price) less than Resend
// blocks ago.
func Reregister(rec *chain.Provider, want uint32, price, h uint64, last Registration) bool {
	current := rec != nil && !rec.Away && rec.Slots == want && rec.Price == price
	if rec == nil && want == 0 {
		current = true
	}
	return !current && (last.At == 0 || h >= last.At+Resend || last.Slots != want || last.Price != price)
}
