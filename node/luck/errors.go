package luck

import "errors"

// Reasons a ticket is refused. Where the ticket itself is invalid the error also wraps
// chain.ErrBadKeyBlock, so a gossip validator can tell an invalid ticket (reject the
// sender) from one that is only late, repeated, or for an epoch this node is not at
// (ignore it): ErrWrongEpoch, ErrTooLate, ErrDuplicate and ErrEquivocation do not.
var (
	ErrWrongChain   = errors.New("ticket for another chain")
	ErrWrongEpoch   = errors.New("ticket for another epoch")
	ErrWrongParent  = errors.New("ticket on another parent")
	ErrBadSignature = errors.New("ticket signature does not verify")
	ErrBadVRF       = errors.New("ticket VRF proof does not verify")
	ErrAboveTarget  = errors.New("ticket work above the target")
	ErrTooLate      = errors.New("ticket after the admission window")
	ErrDuplicate    = errors.New("ticket already admitted")
	ErrEquivocation = errors.New("second ticket from one key in one epoch")
)

// Errors of the winner rule and the miner.
var (
	ErrMixedLotteries = errors.New("candidate tickets from different lotteries")
	ErrWrongWindow    = errors.New("DCC window of another epoch")
	ErrBusy           = errors.New("miner already mining")
	ErrExhausted      = errors.New("nonce space exhausted without an admitted nonce")
)
