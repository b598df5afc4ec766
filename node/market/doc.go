// Package market holds what the parties of a compute deal share besides the chain's
// rules (node/chain's market.go).
//
// Its decisions are pure, as node/ibft's are: Decide maps a deal as the chain holds
// it, this node's role in it, the height of the proof and what the node holds of it
// (a run under way or done, a result posted, a step in flight) to the actions to take
// (start the job, accept, post, react, time out, stop, announce, rule); Answer is the
// buyer's accept or reject of a checked result, Recheck its coin, Slots and
// Reregister the provider's registration, SuggestPrice a provider's price from the
// recent sales and its capacity check, RetryAt the mediator's next attempt. They
// read no clock, send nothing and take no lock; node/light's agent proves the deals,
// asks, and carries the actions out, as node/trustee's mediation does the
// mediator's.
// testdata/ holds the scripts TestDecide replays.
//
// The rest is what the three parties run alike: the sandbox job a deal describes
// (JobOf, FetchJob), which the provider runs, the buyer re-checks and the mediator
// re-executes; how a run's outcome is posted (StatusOf, OutputHash) and judged
// against the posted one (Matches); and the text of a reason the chain takes
// (Truncate). Subpackage terms holds the words and the blob limit the screens share.
package market
