// Package dcc is the decentralized clock cycle (docs/dcc.md): it calibrates a node's
// own monotonic clock against the certified timestamps of the chain, so that no node
// needs NTP to know when an epoch's mining window (Φ) and admission window (Φ + Δ)
// close.
//
// A Calibrator is fed, for each certified block, its BFT time ts(B) (the median of its
// certificate's timestamps) and the local monotonic reading at which the node received
// it. From the last k = w + i − 1 = 12 blocks it derives the global cycle GC, the
// node's private cycle PC, and a Window that measures the age of local events in global
// units: δ = GC / PC × (recv(event) − recv(TB)).
//
// Near genesis it uses the blocks that exist; with a single block it has no private
// measurement yet and takes the genesis cycle for both cycles (a ratio of 1).
//
// A receive interval whose local length is off by more than a factor MaxRateSkew from
// its global length cannot come from a drifting clock: the receipts were not live (a
// burst of blocks during sync, or a laptop that slept). Calibration then restarts from
// that block, so a stale interval never distorts the windows for the next k epochs.
//
// The package does no I/O and reads no clock: times come in as arguments. Local
// readings are time.Durations since an arbitrary origin the caller fixes (for example
// time.Since(start), which is monotonic); certified times are Unix nanoseconds.
package dcc
