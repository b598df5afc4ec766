// Package skew is the clock seam of the fault-injection harness (node/devnet/nemesis):
// the time the trustee and the light node read for the decentralized clock and epoch
// timing. In every ordinary build Now is time.Now and Real is the identity. Built with
// the tag "nemesis", which only the harness sets, a process reads a clock skewed as
// the environment variable DAOLI_NEMESIS_CLOCK says (Spec): an offset, a rate, and a
// jump forward as after a laptop's sleep. Go's runtime reads the clock through the
// vDSO, so libfaketime cannot skew a Go binary; this seam does.
package skew
