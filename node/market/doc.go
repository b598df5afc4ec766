// Package market holds what the parties of a compute deal share besides the chain's
// rules (node/chain's market.go): the sandbox job a deal describes, which the provider
// runs, the buyer re-checks and the mediator re-executes, so that all three run the
// same thing; how a run's outcome is posted; and the buyer's defaults.
package market
