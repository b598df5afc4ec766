package control

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/light"
)

// TestStatusClock: the status carries the decentralized clock's calibration, the
// numbers the dashboard's clock line shows, through its JSON.
func TestStatusClock(t *testing.T) {
	s := StatusOf(light.Status{GlobalCycle: time.Second, PrivateCycle: 1100 * time.Millisecond, CycleBlocks: 12})
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Status
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.GlobalCycle != time.Second || back.PrivateCycle != 1100*time.Millisecond || back.CycleBlocks != 12 {
		t.Fatalf("clock after JSON: %v, %v from %d blocks", back.GlobalCycle, back.PrivateCycle, back.CycleBlocks)
	}
}
