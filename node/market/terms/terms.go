package terms

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxBlob bounds one blob of the content directory, and so a job's module, its input
// and its output: what the sandbox accepts, what the content store keeps and what the
// screens read from a file.
const MaxBlob = 128 << 20

// The names a deal's phase and outcome go by in the views (node/control's JobView, the
// screens' JobView): chain.DealPhase's and chain.DealOutcome's String, and Submitted
// for a deal no block holds yet.
const (
	Submitted = "submitted"
	Open      = "open"
	Accepted  = "accepted"
	Posted    = "posted"
	Disputed  = "disputed"
	Closed    = "closed"
)

var phases = map[string]string{
	Submitted: "submitted, waiting for a block",
	Open:      "waiting for a provider",
	Accepted:  "running on a provider",
	Posted:    "result posted",
	Disputed:  "disputed: a mediator re-executes it",
}

// outcomes says how a closed deal ended, after the chain's rules, to its buyer.
var outcomes = map[string]string{
	"paid":           "paid",
	"withdrawn":      "withdrawn, the escrow came back",
	"provider-late":  "no result in time, the provider's deposit came to you",
	"buyer-late":     "not accepted in time, the provider was paid",
	"provider-fined": "the result was wrong, the provider was fined",
	"buyer-fined":    "the result was right, your deposit went to the provider",
	"mediator-late":  "no verdict in time, every deposit came back",
}

// Delivered says whether a deal that closed with outcome gave its buyer a result it
// paid for: the buyer accepted it, or a mediator found it right.
func Delivered(outcome string) bool { return outcome == "paid" || outcome == "buyer-fined" }

// Sold says whether a deal that closed with outcome paid its provider: the buyer
// accepted the result, let its window pass, or lost the dispute.
func Sold(outcome string) bool {
	return outcome == "paid" || outcome == "buyer-late" || outcome == "buyer-fined"
}

// State is a deal's state in a few words, as the Buy screen shows it.
func State(phase, outcome string) string {
	if phase == Closed {
		if w, ok := outcomes[outcome]; ok {
			return "closed: " + w
		}
		return strings.TrimSpace("closed " + outcome)
	}
	if w, ok := phases[phase]; ok {
		return w
	}
	return phase
}

// Job is what Progress reads of a deal's view.
type Job struct {
	Phase, Outcome string
	Provider       string // the provider offered the deal or running it; "" when none
	Reason         string // why no provider took it yet
	Status         string // how the posted run ended
	Price          uint64
	Checked        bool // re-executed here, and it matched
}

// Progress is where a job is, in a sentence, as `daoli job run` prints it while it
// waits: State's words and what the command line adds to them.
func Progress(j Job) string {
	var s string
	switch j.Phase {
	case Open:
		switch {
		case j.Provider != "":
			s = fmt.Sprintf("%s: offered to %s, waiting for it to accept", State(j.Phase, ""), j.Provider)
		case j.Reason != "":
			s = State(j.Phase, "") + ": " + j.Reason
		default:
			s = State(j.Phase, "")
		}
	case Accepted:
		s = fmt.Sprintf("%s (%s) for %d", State(j.Phase, ""), j.Provider, j.Price)
	case Posted:
		s = fmt.Sprintf("%s (%s); checking it", State(j.Phase, ""), j.Status)
	case Closed:
		w, ok := outcomes[j.Outcome]
		if !ok {
			return State(j.Phase, j.Outcome)
		}
		s = "done: " + w
		if j.Outcome == "paid" {
			s = fmt.Sprintf("%s %d to %s", s, j.Price, j.Provider)
			if j.Checked {
				s += " (re-run here and matched)"
			}
		}
	default:
		if _, ok := phases[j.Phase]; !ok {
			return j.Phase
		}
		s = State(j.Phase, "")
	}
	return capital(s) + "."
}

func capital(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
