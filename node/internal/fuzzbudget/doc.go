// Package fuzzbudget bounds how long `go test -fuzz` spends minimizing each new input
// in a test binary that links most of the node.
//
// Fuzzing instruments every package in the test binary with coverage counters, and
// the fuzzer resets, copies and scans all of them around each call of the fuzz
// function. The node/light and node/trustee binaries link libp2p, wazero and bbolt:
// about 250,000 counters, against 38,000 in node/chain's, so a call costs about half a
// millisecond however little the target does. The fuzzer minimizes every input that
// finds new coverage before it fuzzes on, with up to n²/2 calls for an input of n
// bytes and -test.fuzzminimizetime (60 s by default) as the only bound. Mutated
// certified blocks of 2 KB find new coverage at once, so the workers only minimized:
// FuzzValidateBlock reported 11 executions in a 25 s run.
package fuzzbudget
