//go:build !nemesis

package skew

import (
	"testing"
	"time"
)

// TestOrdinaryBuild: without the nemesis tag the environment is ignored.
func TestOrdinaryBuild(t *testing.T) {
	t.Setenv(Env, "offset=1h")
	if d := time.Until(Now()); d > time.Minute || d < -time.Minute {
		t.Fatalf("Now is %v from the machine's clock", d)
	}
	if Real(time.Second) != time.Second || Active() != (Spec{}) {
		t.Fatal("an ordinary build is skewed")
	}
}
