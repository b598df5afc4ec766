// Package batch is a buyer's batch of tasks: one module run many times, once per input
// file (daoli job run --each) or per index (--tasks), each task a deal of its own.
//
// Its decisions are pure, as node/market's are: Observe folds what the chain shows of
// each task's deals into the batch, Next says which tasks to open a deal for now and
// which deals to withdraw, Summarize counts the batch's progress. They read no clock,
// send nothing and take no lock; node/light's batch runner proves the deals, asks, and
// carries the decisions out, and keeps the batch in the node's store (Encode, Decode)
// so an app restart loses neither results nor retries. docs/market.md §Batches says
// what the rules are and why.
package batch
