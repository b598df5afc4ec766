// Package market holds what the parties of a compute deal share besides the chain's
// rules (node/chain's market.go): the sandbox job a deal describes (JobOf, FetchJob),
// which the provider runs, the buyer re-checks and the mediator re-executes, so that
// all three run the same thing; how a run's outcome is posted (StatusOf, OutputHash)
// and judged against the posted one (Matches); and the text of a reason the chain
// takes (Truncate). The buyer and provider agents, with their defaults, are
// node/light's (docs/market.md).
package market
