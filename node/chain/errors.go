package chain

import "errors"

// Decoding errors.
var (
	// ErrTooLarge reports input over the size limit of its type.
	ErrTooLarge = errors.New("input too large")
	// ErrMalformed reports input that is not a valid encoding of its type.
	ErrMalformed = errors.New("malformed encoding")
	// ErrNonCanonical reports input that decodes but is not the one canonical encoding.
	ErrNonCanonical = errors.New("non-canonical encoding")
)

// Validation errors of single objects.
var (
	ErrWrongChain   = errors.New("wrong chain ID")
	ErrBadSignature = errors.New("bad signature")
	ErrUnknownKind  = errors.New("unknown transaction kind")
	ErrBadBody      = errors.New("invalid transaction body")
	ErrBadGenesis   = errors.New("invalid genesis")
	ErrBadKeyBlock  = errors.New("invalid KeyBlock")
	ErrBadCert      = errors.New("invalid certificate")
	ErrBadVote      = errors.New("invalid vote")
	ErrBadProof     = errors.New("state proof does not verify")
)

// State transition errors.
var (
	ErrBadBlock       = errors.New("invalid block")
	ErrBadNonce       = errors.New("wrong nonce")
	ErrInsufficient   = errors.New("insufficient balance")
	ErrOverflow       = errors.New("amount overflow")
	ErrBadAmount      = errors.New("invalid amount")
	ErrNotTrustee     = errors.New("not a trustee")
	ErrAlreadyTrustee = errors.New("already a trustee")
	ErrBadEvidence    = errors.New("invalid evidence")
	ErrLastTrustee    = errors.New("the last trustee cannot leave")
)

// Market errors.
var (
	ErrNoDeal     = errors.New("no such deal")
	ErrDealPhase  = errors.New("deal is not in the phase this step needs")
	ErrNotParty   = errors.New("sender may not take this step of the deal")
	ErrDealWindow = errors.New("outside the deal's window for this step")
	ErrMarketFull = errors.New("market index full")
)
