// Package chaintest builds test chains from node/chain's exported API, the way
// net/http/httptest builds test servers: deterministic keys derived from a name and an
// index, a genesis with trustees and funded users and an easy admission target, and a
// Net that produces successive certified blocks, optionally with transfers between the
// users and with mined tickets.
//
// Everything is deterministic: the same Config and the same steps give the same blocks,
// certificates and states in every process. That lets a test resume a Net from a stored
// state and the last certificate (Resume) and keep building the chain it would have
// built without the interruption; the store's crash test relies on it.
//
// The package is for tests and benchmarks. Its keys are public knowledge.
package chaintest
