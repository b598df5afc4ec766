//go:build nemesis

package skew

import (
	"testing"
	"time"
)

// TestNemesisBuild: a harness build runs on the skew of the environment it started
// with (here none: the test binary starts without DAOLI_NEMESIS_CLOCK).
func TestNemesisBuild(t *testing.T) {
	if !Enabled || Active() != (Spec{}) {
		t.Fatalf("enabled %v, skew %+v", Enabled, Active())
	}
	if d := time.Until(Now()); d > time.Minute || d < -time.Minute {
		t.Fatalf("Now is %v from the machine's clock", d)
	}
}
