package ibft

import (
	"fmt"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
)

// Mempool supplies the payload of the blocks this trustee proposes. It is an in-memory
// role the driver implements; the machine calls it only while building a proposal.
type Mempool interface {
	// Payload returns transactions that apply, in order, on top of st, with a total
	// encoded size of at most maxBytes.
	Payload(st *chain.State, maxBytes int) []chain.Tx
}

// Config sets up a Machine.
type Config struct {
	Key      *keys.Key    // this trustee's signing key
	State    *chain.State // the committed tip; the machine decides the epoch after it
	LastCert *chain.Cert  // the certificate of State's tip block; nil at genesis
	// LastBlock is State's tip block, from the store. Optional: with it, a restarted
	// trustee can hand the block to trustees still deciding its epoch.
	LastBlock *chain.Block
	Mempool   Mempool // nil proposes empty payloads

	// MaxPayloadBytes caps the payload of a proposed block; 0 means DefaultMaxPayloadBytes.
	MaxPayloadBytes int
	// Timeouts: zero fields take the values of DefaultTimeouts.
	Timeouts Timeouts
	// Limits: zero fields take the values of DefaultLimits.
	Limits Limits
	// Hooks replace what this trustee sends; nil hooks send what an honest trustee
	// sends. Only tests set them.
	Hooks Hooks
	// SigCache remembers the signatures and VRF proofs this trustee has verified, so
	// that a ticket, a vote or a transaction checked once, at the edge or in an earlier
	// message, is not checked again inside a report, a certificate or a block. The
	// driver shares it with its mempool and reactors; nil gives the machine one of its
	// own.
	SigCache *keys.SigCache
}

// DefaultMaxPayloadBytes is the payload cap of a proposed block.
const DefaultMaxPayloadBytes = 1 << 20

// Timeouts of a round r are Base + r × Delta, so a round that fails gives the next more
// time (Tendermint's partial synchrony: eventually the timeouts exceed the delays).
type Timeouts struct {
	Propose, ProposeDelta     time.Duration // waiting for the leader's proposal
	Prevote, PrevoteDelta     time.Duration // after a quorum of mixed prevotes
	Precommit, PrecommitDelta time.Duration // after a quorum of mixed precommits
	// Resend is how often the trustee sends again what it signed in the current epoch,
	// so that lost messages do not stall a round.
	Resend time.Duration
	// CatchUp is how long f+1 trustees must have been seen in a later epoch before
	// Ready asks the driver to sync; shorter lags resolve themselves.
	CatchUp time.Duration
}

// DefaultTimeouts suit a network whose messages take well under a second.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		Propose: 1000 * time.Millisecond, ProposeDelta: 500 * time.Millisecond,
		Prevote: 500 * time.Millisecond, PrevoteDelta: 250 * time.Millisecond,
		Precommit: 500 * time.Millisecond, PrecommitDelta: 250 * time.Millisecond,
		Resend:  1000 * time.Millisecond,
		CatchUp: 2000 * time.Millisecond,
	}
}

func (t Timeouts) withDefaults() Timeouts {
	d := DefaultTimeouts()
	for _, f := range []struct{ v, def *time.Duration }{
		{&t.Propose, &d.Propose}, {&t.ProposeDelta, &d.ProposeDelta},
		{&t.Prevote, &d.Prevote}, {&t.PrevoteDelta, &d.PrevoteDelta},
		{&t.Precommit, &d.Precommit}, {&t.PrecommitDelta, &d.PrecommitDelta},
		{&t.Resend, &d.Resend}, {&t.CatchUp, &d.CatchUp},
	} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	return t
}

// maxTimeoutRound caps the round used in timeout arithmetic, far beyond any round a
// live network reaches, so Base + r × Delta cannot overflow.
const maxTimeoutRound = 1 << 16

func grow(base, delta time.Duration, r uint32) time.Duration {
	return base + time.Duration(min(r, maxTimeoutRound))*delta
}

// Limits bound the memory one epoch can take, whatever peers send.
type Limits struct {
	// RoundsAhead: proposals and votes up to this many rounds past the current one are
	// held; later ones only count toward a round skip.
	RoundsAhead uint32
	// EpochsAhead: messages further ahead of the current epoch are rejected. Messages
	// of the next epoch are buffered; later ones only tell that this trustee lags.
	EpochsAhead uint64
	// PerSender caps the messages held from one trustee in one epoch.
	PerSender int
	// NextEpochPerSender caps the messages of the next epoch buffered from one trustee.
	NextEpochPerSender int
}

// DefaultLimits are generous for honest trustees and bound a Byzantine one.
func DefaultLimits() Limits {
	return Limits{RoundsAhead: 8, EpochsAhead: 1 << 20, PerSender: 1024, NextEpochPerSender: 32}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.RoundsAhead == 0 {
		l.RoundsAhead = d.RoundsAhead
	}
	if l.EpochsAhead == 0 {
		l.EpochsAhead = d.EpochsAhead
	}
	if l.PerSender == 0 {
		l.PerSender = d.PerSender
	}
	if l.NextEpochPerSender == 0 {
		l.NextEpochPerSender = d.NextEpochPerSender
	}
	return l
}

// Hooks let a test make a trustee Byzantine, the way CometBFT's tests override
// decideProposal and doPrevote. Each receives what an honest trustee would send, already
// signed and saved, and returns what to send instead: nothing to withhold, a different
// message to mislead, several to equivocate, old ones to replay. The trustee's own
// state goes on as if it had sent the honest message. Hooks run inside the machine and
// must neither block nor change their arguments.
type Hooks struct {
	DoReport       func(honest *Report) []Outbound
	DecideProposal func(parent *chain.State, honest *Proposal) []Outbound
	DoPrevote      func(honest *chain.Vote) []Outbound
	DoPrecommit    func(honest *chain.Vote) []Outbound
}

func (c *Config) check() error {
	switch {
	case c.Key == nil:
		return fmt.Errorf("%w: no key", ErrBadConfig)
	case c.State == nil:
		return fmt.Errorf("%w: no state", ErrBadConfig)
	case c.State.Epoch() == 0 && c.LastBlock != nil:
		return fmt.Errorf("%w: a last block for the genesis state", ErrBadConfig)
	case c.MaxPayloadBytes < 0:
		return fmt.Errorf("%w: negative payload cap", ErrBadConfig)
	}
	st := c.State
	if st.Epoch() == 0 {
		if c.LastCert != nil {
			return fmt.Errorf("%w: a certificate for the genesis state", ErrBadConfig)
		}
		return nil
	}
	if err := c.LastCert.VerifyWith(st.Params().ChainID, st.Epoch(), st.Tip(), st.Registry().CertifiedBy, c.SigCache); err != nil {
		return fmt.Errorf("%w: last certificate: %w", ErrBadConfig, err)
	}
	if c.LastBlock != nil && c.LastBlock.Hash() != st.Tip() {
		return fmt.Errorf("%w: last block %s is not the tip %s", ErrBadConfig, c.LastBlock.Hash().Short(), st.Tip().Short())
	}
	return nil
}
