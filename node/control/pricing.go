package control

import (
	"fmt"

	"github.com/daolicloud/daoli/node/chain"
)

// PricingRequest sets what the node asks as a provider: Price per second of a deal's
// wall-time limit (at least 1) and Slots, the deals it runs at once (1 to
// chain.MaxSlots; 0 keeps the slots in force).
type PricingRequest struct {
	Price uint64 `json:"price"`
	Slots uint32 `json:"slots,omitempty"`
}

// Check refuses a price of 0 and slots beyond chain.MaxSlots; every error wraps
// ErrBadRequest.
func (r PricingRequest) Check() error {
	switch {
	case r.Price == 0:
		return fmt.Errorf("%w: a price of 0: want at least 1 coin a second", ErrBadRequest)
	case r.Slots > chain.MaxSlots:
		return fmt.Errorf("%w: %d slots: want 1 to %d", ErrBadRequest, r.Slots, chain.MaxSlots)
	}
	return nil
}

// PricingState is what the provider asks, what the chain holds of it, and the
// suggested price.
type PricingState struct {
	Price uint64 `json:"price"`
	Slots uint32 `json:"slots"`
	// Registered is the provider's record as last proven, nil before it registered.
	Registered *Terms `json:"registered,omitempty"`
	// Suggested is market.SuggestPrice's, with its reason; nil when no node runs.
	Suggested *Suggestion `json:"suggested,omitempty"`
	// Reason says why the terms are not in force yet, e.g. no node is running.
	Reason string `json:"reason,omitempty"`
}

// Terms are a provider's price and slots.
type Terms struct {
	Price uint64 `json:"price"`
	Slots uint32 `json:"slots"`
}

// Suggestion is a suggested price and slots and how they were reached.
type Suggestion struct {
	Price  uint64 `json:"price"`
	Slots  uint32 `json:"slots"`
	Deals  int    `json:"deals"` // the recent deals it read
	Reason string `json:"reason"`
}

// Pricer is the provider's price and slots of the node.
type Pricer interface {
	Pricing() PricingState
	// SetPricing saves and applies the terms of a checked request.
	SetPricing(req PricingRequest) (PricingState, error)
}
