package market

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/keys"
)

// TestDecide replays the scripts in testdata/: each decide command is one deal as the
// chain holds it, this node's role, the height of the proof and what the node holds,
// and prints the actions Decide returns. Run with -rewrite to regenerate the
// expectations, then read the diff.
//
//	decide role=buyer|provider|none phase=open|accepted|posted|disputed|closed at=H
//	       [deadline=H] [posted=H] [disputed=H]    the deal's heights
//	       [seen=PHASE] [run=none|going|done|posted] [mute] [acting] [sent=(accept@H,…)]
//	       [ruled] [retry=H]                       what the node holds
//	role=mediator|…                                 the roles are RoleOf's
func TestDecide(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			if td.Cmd != "decide" {
				td.Fatalf(t, "unknown command %q", td.Cmd)
			}
			d, role, at, h := scanDecide(t, td)
			var b strings.Builder
			for _, a := range Decide(d, role, at, h) {
				fmt.Fprintf(&b, "%s: %s\n", roleName(a.As), a.Kind)
			}
			return b.String()
		})
	})
}

var phaseByName = map[string]chain.DealPhase{"": 0, "open": chain.PhaseOpen, "accepted": chain.PhaseAccepted,
	"posted": chain.PhasePosted, "disputed": chain.PhaseDisputed, "closed": chain.PhaseClosed}

func scanDecide(t *testing.T, td *datadriven.TestData) (*chain.Deal, Role, uint64, Held) {
	d := &chain.Deal{ID: chain.Hash{1}}
	var role Role
	var at uint64
	var h Held
	for _, arg := range td.CmdArgs {
		val := ""
		if len(arg.Vals) > 0 {
			val = arg.Vals[0]
		}
		phase := func() chain.DealPhase {
			p, ok := phaseByName[val]
			if !ok {
				td.Fatalf(t, "unknown phase %q", val)
			}
			return p
		}
		switch arg.Key {
		case "role":
			r, ok := map[string]Role{"buyer": Buyer, "provider": Provider, "mediator": Mediator, "none": 0}[val]
			if !ok {
				td.Fatalf(t, "unknown role %q", val)
			}
			role = r
		case "phase":
			d.Phase = phase()
		case "at":
			arg.Scan(t, 0, &at)
		case "deadline":
			arg.Scan(t, 0, &d.Open.Deadline)
		case "posted":
			arg.Scan(t, 0, &d.Posted)
		case "disputed":
			arg.Scan(t, 0, &d.Disputed)
		case "seen":
			h.Seen = phase()
		case "run":
			r, ok := map[string]Run{"none": RunNone, "going": RunGoing, "done": RunDone, "posted": RunPosted}[val]
			if !ok {
				td.Fatalf(t, "unknown run %q", val)
			}
			h.Run = r
		case "mute":
			h.Mute = true
		case "acting":
			h.Acting = true
		case "ruled":
			h.Ruled = true
		case "retry":
			arg.Scan(t, 0, &h.RetryAt)
		case "sent":
			h.Sent = map[Kind]uint64{}
			for _, v := range arg.Vals {
				var name string
				var epoch uint64
				if _, err := fmt.Sscanf(strings.Replace(v, "@", " ", 1), "%s %d", &name, &epoch); err != nil {
					td.Fatalf(t, "sent %q: want kind@epoch", v)
				}
				k := kindOf(name)
				if k == 0 {
					td.Fatalf(t, "unknown step %q", name)
				}
				h.Sent[k] = epoch
			}
		default:
			td.Fatalf(t, "unknown argument %q", arg.Key)
		}
	}
	return d, role, at, h
}

func kindOf(name string) Kind {
	for k := range kindNames {
		if k > 0 && kindNames[k] == name {
			return Kind(k)
		}
	}
	return 0
}

func roleName(r Role) string {
	return map[Role]string{Buyer: "buyer", Provider: "provider", Mediator: "mediator"}[r]
}

func TestRoleOf(t *testing.T) {
	key := chaintest.UserKey(0)
	me, other := key.Address(), keys.Address{2}
	for _, c := range []struct {
		buyer, provider keys.Address
		bought          bool
		phase           chain.DealPhase
		want            Role
	}{
		{me, other, false, chain.PhaseOpen, Buyer},
		{other, other, true, chain.PhaseOpen, Buyer},
		{other, me, false, chain.PhaseAccepted, Provider},
		{other, other, false, chain.PhasePosted, 0},
		{other, other, false, chain.PhaseDisputed, Mediator},
	} {
		d := &chain.Deal{Buyer: c.buyer, Provider: c.provider, Phase: c.phase}
		if c.phase >= chain.PhasePosted {
			d.Mediator = key.Public()
		}
		if got := RoleOf(d, me, c.bought); got != c.want {
			t.Errorf("RoleOf(buyer %v, provider %v, bought %v) = %d, want %d", c.buyer == me, c.provider == me, c.bought, got, c.want)
		}
	}
}

// TestAnswer: a buyer whose check failed tries again while two blocks of its window
// are left, then rejects, saying why; a check that passed accepts, whether the run
// ended ok, failed or stopped at one of the buyer's caps (a capped run is paid).
func TestAnswer(t *testing.T) {
	failed := errors.New("no trustee keeps it")
	for _, c := range []struct {
		name   string
		status chain.DealStatus
		h      uint64
		ok     bool
		err    error
		retry  bool
		want   chain.TxKind
		reason string
	}{
		{"matched", chain.StatusOK, 11, true, nil, false, chain.KindResultAccept, ""},
		{"capped, matched", chain.StatusLimit, 11, true, nil, false, chain.KindResultAccept, ""},
		{"failed, matched", chain.StatusFailed, 11, true, nil, false, chain.KindResultAccept, ""},
		{"differs", chain.StatusOK, 11, false, nil, false, chain.KindResultReject, "the output differs from a re-execution"},
		{"capped, differs", chain.StatusLimit, 11, false, nil, false, chain.KindResultReject, "the output differs from a re-execution"},
		{"fetch failed, time left", chain.StatusOK, 13, false, failed, true, 0, ""},
		{"fetch failed, window closing", chain.StatusOK, 14, false, failed, false, chain.KindResultReject, "the output could not be fetched: no trustee keeps it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := &chain.Deal{ID: chain.Hash{7}, Posted: 10, Status: c.status} // the reaction is due by epoch 16
			body, retry := Answer(d, c.h, c.ok, c.err)
			if retry != c.retry {
				t.Fatalf("retry = %v, want %v", retry, c.retry)
			}
			if retry {
				if body != nil {
					t.Fatalf("a retry answers %T", body)
				}
				return
			}
			if body.Kind() != c.want {
				t.Fatalf("answer %v, want %v", body.Kind(), c.want)
			}
			if r, ok := body.(*chain.ResultReject); ok && (r.Reason != c.reason || r.Deal != d.ID) {
				t.Fatalf("reject %+v, want reason %q", r, c.reason)
			}
		})
	}
}

// TestRecheck: the coin never re-executes at probability 0 or below, always at 1, and
// about as often as asked in between.
func TestRecheck(t *testing.T) {
	count := func(p float64) int {
		n := 0
		for i := range 10000 {
			if Recheck(RecheckSalt(chain.Hash{byte(i), byte(i >> 8)}), p) {
				n++
			}
		}
		return n
	}
	if n := count(-1); n != 0 {
		t.Errorf("p = -1 re-checked %d of 10000", n)
	}
	if n := count(0); n != 0 {
		t.Errorf("p = 0 re-checked %d of 10000", n)
	}
	if n := count(1); n != 10000 {
		t.Errorf("p = 1 re-checked %d of 10000", n)
	}
	if n := count(0.1); n < 850 || n > 1150 {
		t.Errorf("p = 0.1 re-checked %d of 10000", n)
	}
}

// TestReregister: a provider sends a registration when its proven record differs from
// what it wants, and not again for Resend blocks unless it wants something else.
func TestReregister(t *testing.T) {
	rec := &chain.Provider{Slots: 2, Price: 5}
	for _, c := range []struct {
		name  string
		rec   *chain.Provider
		want  uint32
		price uint64
		h     uint64
		last  Registration
		send  bool
	}{
		{"never registered, not sharing", nil, 0, 5, 10, Registration{}, false},
		{"never registered, sharing", nil, 2, 5, 10, Registration{}, true},
		{"sent, not certified yet", nil, 2, 5, 10, Registration{Slots: 2, Price: 5, At: 8}, false},
		{"sent, lost", nil, 2, 5, 11, Registration{Slots: 2, Price: 5, At: 8}, true},
		{"sent other slots", nil, 2, 5, 10, Registration{Slots: 1, Price: 5, At: 9}, true},
		{"sent another price", rec, 2, 6, 10, Registration{Slots: 2, Price: 5, At: 9}, true},
		{"sent the new price, not certified yet", rec, 2, 6, 10, Registration{Slots: 2, Price: 6, At: 9}, false},
		{"current", rec, 2, 5, 10, Registration{Slots: 2, Price: 5, At: 1}, false},
		{"price changed", rec, 2, 6, 10, Registration{Slots: 2, Price: 5, At: 1}, true},
		{"sharing off", rec, 0, 5, 10, Registration{Slots: 2, Price: 5, At: 1}, true},
		{"away", &chain.Provider{Slots: 2, Price: 5, Away: true}, 2, 5, 10, Registration{Slots: 2, Price: 5, At: 1}, true},
	} {
		if got := Reregister(c.rec, c.want, c.price, c.h, c.last); got != c.send {
			t.Errorf("%s: Reregister = %v, want %v", c.name, got, c.send)
		}
	}
}

// TestRetryAt: a mediator's failed attempts are tried again 1, 2, 4 and then every 4
// epochs after the last began.
func TestRetryAt(t *testing.T) {
	for attempts, want := range []uint64{1, 1, 2, 4, 4, 4} {
		if got := RetryAt(100, attempts); got != 100+want {
			t.Errorf("RetryAt(100, %d) = %d, want %d", attempts, got, 100+want)
		}
	}
	if got := RetryAt(100, 1000); got != 104 {
		t.Errorf("RetryAt(100, 1000) = %d, want 104", got)
	}
}

func TestSlots(t *testing.T) {
	min := MinDeposit(3) // 3 × 10 s × 8
	for _, c := range []struct {
		sharing bool
		balance uint64
		want    uint32
	}{{false, min, 0}, {true, min - 1, 0}, {true, min, 4}} {
		if got := Slots(c.sharing, c.balance, 3, 4); got != c.want {
			t.Errorf("Slots(%v, %d) = %d, want %d", c.sharing, c.balance, got, c.want)
		}
	}
	if MinDeposit(1<<62) != ^uint64(0) {
		t.Error("MinDeposit overflows")
	}
}
