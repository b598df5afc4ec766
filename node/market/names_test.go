package market

import (
	"strings"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/market/terms"
)

// TestTermsKnowChainNames: package terms, which imports nothing, words the phases and
// outcomes by the names chain gives them; every name the chain has is one it knows.
func TestTermsKnowChainNames(t *testing.T) {
	for p := chain.PhaseOpen; p < chain.PhaseClosed; p++ { // closed is worded by its outcome, below
		if w := terms.State(p.String(), ""); w == p.String() {
			t.Errorf("terms has no words for phase %q", p)
		}
	}
	for o := chain.OutcomePaid; o <= chain.OutcomeMediatorLate; o++ {
		if w := terms.State(terms.Closed, o.String()); !strings.HasPrefix(w, "closed: ") {
			t.Errorf("terms has no words for outcome %q: %q", o, w)
		}
	}
	if !terms.Delivered(chain.OutcomePaid.String()) || !terms.Sold(chain.OutcomeBuyerLate.String()) {
		t.Error("terms does not know the chain's outcome names")
	}
}
