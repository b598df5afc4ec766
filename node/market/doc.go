// Package market holds what the parties of a compute deal share besides the chain's
// rules (node/chain's market.go): the sandbox job a deal describes (JobOf), which the
// provider runs, the buyer re-checks and the mediator re-executes, so that all three
// run the same thing; and how a run's outcome is posted (StatusOf, OutputHash). The
// buyer and provider agents, with their defaults, are node/light's (docs/market.md).
package market
