//go:build !nemesis

package skew

import "time"

// Enabled reports whether this build reads Env: not an ordinary build.
const Enabled = false

// Now is the machine's clock.
func Now() time.Time { return time.Now() }

// Real is the identity: the clock is the machine's.
func Real(d time.Duration) time.Duration { return d }

// Active is the zero Spec.
func Active() Spec { return Spec{} }
