// Command daoli-nemesis runs Daoli's trustees and light nodes as real processes in
// network namespaces under a seeded schedule of faults, then heals and checks that
// nothing was lost (package node/devnet/nemesis). Linux, as root:
//
//	go run ./node/cmd/daoli-nemesis --seed 1 --trustees 4 --lights 3 --duration 2m --skew
//
// It prints the one-screen summary, leaves history.jsonl, summary.txt and the logs in
// --dir, and exits 1 when a property broke; the same seed replays the schedule.
// `daoli-nemesis --clean` removes what a run killed before its teardown left behind.
package main
