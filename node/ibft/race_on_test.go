//go:build race

package ibft

// raceEnabled shortens the randomized tests under the race detector, which makes
// signature checks several times slower; the full counts run without it.
const raceEnabled = true
