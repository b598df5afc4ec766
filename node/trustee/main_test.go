package trustee

import (
	"testing"

	"github.com/daolicloud/daoli/node/internal/fuzzbudget"
)

func TestMain(m *testing.M) {
	// The binary links libp2p: see node/internal/fuzzbudget.
	fuzzbudget.Run(m)
}

// TestFuzzMinimizeBounded: this binary's fuzz targets run with the bounded
// minimization of node/internal/fuzzbudget.
func TestFuzzMinimizeBounded(t *testing.T) { fuzzbudget.CheckBounded(t) }
