// Package compute runs buyers' WebAssembly jobs (docs/compute.md): WASI preview 1
// modules in wazero's compiler, sealed off from the host and deterministic, so that a
// mediator's re-execution is bit-identical to the provider's.
//
// A job sees its arguments, its input (on standard input and as the file /input, or a
// packed directory tree as the read-only directory /input), the environment variables
// it was given, and, when its limits allow one, a writable /output whose bytes,
// entries, depth and names are capped and which is packed after the run (tree.go). It
// sees nothing else of the machine: no network, no host files. Its clocks
// are fixed and its randomness is a ChaCha8 stream seeded from the deal, so two runs
// of one job give the same bytes. Memory, wall time and output are capped; a job that
// passes a cap is stopped and the result says which cap and why. Compiled modules are
// cached on disk, keyed by the module's hash and the runtime's version.
package compute
