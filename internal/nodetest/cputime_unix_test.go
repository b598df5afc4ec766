//go:build unix

package nodetest

import (
	"crypto/sha256"
	"testing"
	"time"
)

func TestProcessCPU(t *testing.T) {
	before, ok := ProcessCPU()
	if !ok {
		t.Fatal("process CPU time unreadable")
	}
	sum := sha256.Sum256(nil)
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		for range 10000 {
			sum = sha256.Sum256(sum[:])
		}
		if after, _ := ProcessCPU(); after > before {
			return
		}
	}
	t.Fatal("hashing for a minute used no CPU time")
}
