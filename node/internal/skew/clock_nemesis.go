//go:build nemesis

package skew

import (
	"fmt"
	"os"
	"time"
)

var (
	start = time.Now()
	spec  Spec
)

func init() {
	var err error
	if spec, err = Parse(os.Getenv(Env)); err != nil {
		// A harness build started with a broken specification must not run on the
		// machine's clock as if it were skewed.
		fmt.Fprintf(os.Stderr, "%s: %v\n", Env, err)
		os.Exit(2)
	}
}

// Enabled reports whether this build reads Env.
const Enabled = true

// Now is the process's skewed clock.
func Now() time.Time { return spec.At(start, time.Since(start)) }

// Real converts a span of the skewed clock to the machine's, for timers.
func Real(d time.Duration) time.Duration { return spec.Real(d) }

// Active is the skew this process runs with.
func Active() Spec { return spec }
