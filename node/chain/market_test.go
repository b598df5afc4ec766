package chain

import (
	"errors"
	"strings"
	"testing"

	"github.com/daolicloud/daoli/node/keys"
)

// marketNet is a chain with a buyer and three providers; the providers ask 2, 3 and 3
// per core-second, so a 10 s deal costs 20, 30 or 30.
type marketNet struct {
	*testNet
	buyer     *keys.Key
	providers []*keys.Key
}

func newMarketNet(t *testing.T) *marketNet {
	n := newTestNet(t, 4, 4)
	m := &marketNet{testNet: n, buyer: n.users[0], providers: n.users[1:]}
	var txs []*Tx
	for i, p := range m.providers {
		txs = append(txs, n.tx(p, 1, providerBody(uint64(2+min(i, 1)), 2)))
	}
	n.step(nil, nil, txs...)
	return m
}

func providerBody(price uint64, slots uint32) *ProviderRegister {
	return &ProviderRegister{Spec: ProviderSpec{CPUModel: "test", Cores: 2, MemoryMiB: 1024}, Executors: []string{ExecutorWASI}, Price: price, Slots: slots}
}

func dealOpen(deadline uint64) *DealOpen {
	return &DealOpen{Module: Hash{1}, Input: Hash{2}, Limits: DealLimits{MemoryMiB: 256, WallTimeMs: 10_000, OutputMax: 1 << 20},
		MaxPrice: 50, BuyerDeposit: 40, Deadline: deadline}
}

// open opens a deal and returns its ID.
func (m *marketNet) open(o *DealOpen) Hash {
	m.t.Helper()
	tx := m.tx(m.buyer, 1, o)
	m.step(nil, nil, tx)
	return tx.Hash()
}

func (m *marketNet) deal(id Hash) Deal {
	m.t.Helper()
	d, ok := m.state.Deal(id)
	if !ok {
		m.t.Fatalf("deal %s not in the state", id.Short())
	}
	return d
}

func (m *marketNet) balance(k *keys.Key) uint64 { return m.state.Account(k.Address()).Balance }

// try applies one transaction as a block would and reports the error.
func (m *marketNet) try(k *keys.Key, body Body) error {
	_, err := ApplyTx(m.state, m.tx(k, 1, body))
	return err
}

func (m *marketNet) send(k *keys.Key, body Body) {
	m.t.Helper()
	m.step(nil, nil, m.tx(k, 1, body))
}

func (m *marketNet) idle(epochs int) {
	for range epochs {
		m.step(nil, nil)
	}
}

func TestDealPaid(t *testing.T) {
	m := newMarketNet(t)
	b0 := m.balance(m.buyer)
	id := m.open(dealOpen(m.state.Epoch() + 20))
	d := m.deal(id)
	if d.Phase != PhaseOpen || d.Provider != m.providers[0].Address() || d.Offered != m.state.Epoch() {
		t.Fatalf("deal after opening: phase %s, provider %s, offered %d; want open, offered to the cheapest in this epoch", d.Phase, d.Provider, d.Offered)
	}
	if got := m.balance(m.buyer); got != b0-1-90 {
		t.Fatalf("buyer balance %d after opening, want %d (fee and escrow of 90 taken)", got, b0-91)
	}
	p := m.providers[0]
	p0 := m.balance(p)
	m.send(p, &DealAccept{Deal: id, Price: 20, Deposit: 160})
	if got := m.balance(m.buyer); got != b0-1-90+30 {
		t.Fatalf("buyer balance %d after the accept, want the 30 over the price back", got)
	}
	m.send(p, &ResultPost{Deal: id, Output: Hash{3}, Status: StatusOK})
	// The provider cannot take the payment itself, neither by accepting nor by timing
	// the buyer out before the reaction window has passed.
	if err := m.try(p, &ResultAccept{Deal: id}); !errors.Is(err, ErrNotParty) {
		t.Fatalf("provider accepting its own result: %v, want ErrNotParty", err)
	}
	if err := m.try(p, &DealTimeout{Deal: id}); !errors.Is(err, ErrDealWindow) {
		t.Fatalf("provider timing out the buyer early: %v, want ErrDealWindow", err)
	}
	m.send(m.buyer, &ResultAccept{Deal: id})
	d = m.deal(id)
	if d.Phase != PhaseClosed || d.Outcome != OutcomePaid || d.Escrow != 0 {
		t.Fatalf("deal after the accept: %s %s escrow %d", d.Phase, d.Outcome, d.Escrow)
	}
	// The buyer paid the price and two fees; the provider earned the price less
	// two fees; nobody got the buyer's deposit but the buyer.
	if got, want := m.balance(m.buyer), b0-2-20; got != want {
		t.Fatalf("buyer balance %d, want %d", got, want)
	}
	if got, want := m.balance(p), p0-2+20; got != want {
		t.Fatalf("provider balance %d, want %d", got, want)
	}
	pr, _ := m.state.Provider(p.Address())
	if pr.Done != 1 || len(pr.Deals) != 0 {
		t.Fatalf("provider record: done %d, deals %d", pr.Done, len(pr.Deals))
	}
	if mk := m.state.Market(); len(mk.Live) != 0 || mk.Escrow != 0 {
		t.Fatalf("market after settlement: %d live, escrow %d", len(mk.Live), mk.Escrow)
	}
}

func TestDealMediation(t *testing.T) {
	for _, tc := range []struct {
		name          string
		providerFault bool
		outcome       DealOutcome
		buyer, prov   int64 // balance changes from before the deal, fees included
	}{
		// The buyer gets the price and its deposit back and the provider's deposit
		// less the mediator's fee (the price).
		{"provider at fault", true, OutcomeProviderFined, -2 + 160 - 20, -2 - 160},
		{"buyer at fault", false, OutcomeBuyerFined, -2 - 20 - 40, -2 + 20 + 40 - 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMarketNet(t)
			p := m.providers[0]
			b0, p0 := m.balance(m.buyer), m.balance(p)
			id := m.open(dealOpen(m.state.Epoch() + 20))
			m.send(p, &DealAccept{Deal: id, Price: 20, Deposit: 160})
			m.send(p, &ResultPost{Deal: id, Output: Hash{3}, Status: StatusOK})
			m.send(m.buyer, &ResultReject{Deal: id, Reason: "output differs"})
			d := m.deal(id)
			if d.Phase != PhaseDisputed || d.Mediator == (keys.PublicKey{}) {
				t.Fatalf("deal after the reject: %s, mediator %v", d.Phase, d.Mediator)
			}
			var med *keys.Key
			for _, k := range m.trustees {
				if k.Public() == d.Mediator {
					med = k
				}
			}
			if med == nil {
				t.Fatal("the mediator is not a trustee")
			}
			if err := m.try(m.buyer, &Verdict{Deal: id, ProviderAtFault: true}); !errors.Is(err, ErrNotParty) {
				t.Fatalf("verdict from the buyer: %v, want ErrNotParty", err)
			}
			m0 := m.balance(med)
			// Trustees hold nothing at genesis here, so the verdict goes without a fee.
			m.step(nil, nil, m.tx(med, 0, &Verdict{Deal: id, Output: Hash{4}, ProviderAtFault: tc.providerFault}))
			d = m.deal(id)
			if d.Outcome != tc.outcome || d.Escrow != 0 {
				t.Fatalf("outcome %s escrow %d, want %s", d.Outcome, d.Escrow, tc.outcome)
			}
			if got := int64(m.balance(m.buyer)) - int64(b0); got != tc.buyer {
				t.Fatalf("buyer balance changed by %d, want %d", got, tc.buyer)
			}
			if got := int64(m.balance(p)) - int64(p0); got != tc.prov {
				t.Fatalf("provider balance changed by %d, want %d", got, tc.prov)
			}
			if got := int64(m.balance(med)) - int64(m0); got != 20 {
				t.Fatalf("mediator balance changed by %d, want the fee of 20", got)
			}
		})
	}
}

func TestDealTimeouts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		run     func(m *marketNet, id Hash) *keys.Key // drives the deal and returns who times it out
		outcome DealOutcome
		buyer   int64 // the buyer's balance change, fees included
	}{
		{"withdrawn while open", func(m *marketNet, id Hash) *keys.Key { return m.buyer }, OutcomeWithdrawn, -2},
		{"provider silent after accepting", func(m *marketNet, id Hash) *keys.Key {
			m.send(m.providers[0], &DealAccept{Deal: id, Price: 20, Deposit: 160})
			if err := m.try(m.buyer, &DealTimeout{Deal: id}); !errors.Is(err, ErrDealWindow) {
				m.t.Fatalf("timeout before the deadline: %v, want ErrDealWindow", err)
			}
			m.idle(int(m.deal(id).Open.Deadline - m.state.Epoch()))
			return m.buyer
		}, OutcomeProviderLate, -2 + 160},
		{"buyer silent after the result", func(m *marketNet, id Hash) *keys.Key {
			m.send(m.providers[0], &DealAccept{Deal: id, Price: 20, Deposit: 160})
			m.send(m.providers[0], &ResultPost{Deal: id, Output: Hash{3}, Status: StatusOK})
			m.idle(ReactWindow)
			return m.providers[0]
		}, OutcomeBuyerLate, -1 - 20 - 40},
		{"mediator silent", func(m *marketNet, id Hash) *keys.Key {
			m.send(m.providers[0], &DealAccept{Deal: id, Price: 20, Deposit: 160})
			m.send(m.providers[0], &ResultPost{Deal: id, Output: Hash{3}, Status: StatusOK})
			m.send(m.buyer, &ResultReject{Deal: id})
			m.idle(VerdictWindow)
			return m.providers[0]
		}, OutcomeMediatorLate, -2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMarketNet(t)
			b0 := m.balance(m.buyer)
			id := m.open(dealOpen(m.state.Epoch() + 8))
			who := tc.run(m, id)
			m.send(who, &DealTimeout{Deal: id})
			d := m.deal(id)
			if d.Outcome != tc.outcome || d.Escrow != 0 {
				t.Fatalf("outcome %s escrow %d, want %s", d.Outcome, d.Escrow, tc.outcome)
			}
			if got := int64(m.balance(m.buyer)) - int64(b0); got != tc.buyer {
				t.Fatalf("buyer balance changed by %d, want %d", got, tc.buyer)
			}
			if err := m.try(who, &DealTimeout{Deal: id}); !errors.Is(err, ErrDealPhase) {
				t.Fatalf("second timeout: %v, want ErrDealPhase", err)
			}
		})
	}
}

func TestOfferLapses(t *testing.T) {
	m := newMarketNet(t)
	id := m.open(dealOpen(m.state.Epoch() + 30))
	first := m.providers[0]
	m.idle(AcceptWindow - 1)
	if err := m.try(first, &DealAccept{Deal: id, Price: 20, Deposit: 160}); err != nil {
		t.Fatalf("accept on the last epoch of the window: %v", err)
	}
	m.idle(2)
	d := m.deal(id)
	// The next cheapest (3 per second), the more senior of the two that ask it.
	if d.Provider != m.providers[1].Address() || len(d.Tried) != 1 || d.Tried[0] != first.Address() {
		t.Fatalf("after the lapse: offered to %s, tried %v; want the second provider", d.Provider, d.Tried)
	}
	if err := m.try(first, &DealAccept{Deal: id, Price: 20, Deposit: 160}); !errors.Is(err, ErrNotParty) {
		t.Fatalf("accept after the lapse: %v, want ErrNotParty", err)
	}
	if err := m.try(m.providers[1], &DealAccept{Deal: id, Price: 20, Deposit: 160}); !errors.Is(err, ErrBadAmount) {
		t.Fatalf("accept below the provider's own charge: %v, want ErrBadAmount", err)
	}
	pr, _ := m.state.Provider(first.Address())
	if !pr.Away || len(pr.Deals) != 0 {
		t.Fatalf("provider that let the offer lapse: away %v, deals %d", pr.Away, len(pr.Deals))
	}
	// Set aside until it registers again, then first in line for a new deal.
	id2 := m.open(dealOpen(m.state.Epoch() + 30))
	if d := m.deal(id2); d.Provider != m.providers[1].Address() {
		t.Fatalf("a deal offered to %s while the cheapest is away", d.Provider)
	}
	m.send(first, providerBody(2, 2))
	id3 := m.open(dealOpen(m.state.Epoch() + 30))
	if d := m.deal(id3); d.Provider != first.Address() {
		t.Fatalf("a deal offered to %s after the cheapest registered again", d.Provider)
	}
}

func TestUnmatchedReasons(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(*DealOpen)
		setup  func(*marketNet)
		reason string
	}{
		{"memory", func(o *DealOpen) { o.Limits.MemoryMiB = 4096 }, nil, "no provider offers 4096 MiB of memory (the most offered is 1024 MiB)"},
		{"time", nil, func(m *marketNet) {
			for i, p := range m.providers {
				b := providerBody(2, 2)
				b.Spec.MaxWallTimeMs = uint64(5_000 + 700*i)
				m.send(p, b)
			}
		}, "no provider that offers the memory runs a job for 10 s (the longest offered is 6400 ms)"},
		{"no gpu", func(o *DealOpen) { o.Executor = ExecutorWebGPU }, nil, "no provider runs webgpu modules"},
		{"price", func(o *DealOpen) { o.MaxPrice = 19 }, nil, "the price is too low: the cheapest provider that fits asks 20, the maximum price is 19"},
		{"busy", nil, func(m *marketNet) {
			for _, p := range m.providers {
				m.send(p, providerBody(2, 0))
			}
		}, "all 3 providers that fit are busy, paused, left out by the buyer, or let this deal's offer lapse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMarketNet(t)
			if tc.setup != nil {
				tc.setup(m)
			}
			o := dealOpen(m.state.Epoch() + 10)
			if tc.edit != nil {
				tc.edit(o)
			}
			d := m.deal(m.open(o))
			if !d.Provider.IsZero() || d.Reason != tc.reason {
				t.Fatalf("offered to %s, reason %q; want no offer and %q", d.Provider, d.Reason, tc.reason)
			}
		})
	}
	n := newTestNet(t, 4, 1)
	tx := n.tx(n.users[0], 1, dealOpen(10))
	n.step(nil, nil, tx)
	if d, _ := n.state.Deal(tx.Hash()); !strings.Contains(d.Reason, "no provider is registered") {
		t.Fatalf("reason with no providers: %q", d.Reason)
	}
}

// TestGPUDealOffered checks that a webgpu deal is offered only to a provider that
// registered the webgpu executor, even when a cheaper one runs only WASI modules, and
// that a WASI deal still goes to the cheapest.
func TestGPUDealOffered(t *testing.T) {
	m := newMarketNet(t)
	gpu := m.providers[2] // the dearest of the three
	b := providerBody(3, 2)
	b.Executors = []string{ExecutorWASI, ExecutorWebGPU}
	m.send(gpu, b)
	o := dealOpen(m.state.Epoch() + 30)
	o.Executor = ExecutorWebGPU
	d := m.deal(m.open(o))
	if d.Provider != gpu.Address() || d.Open.ExecutorName() != ExecutorWebGPU {
		t.Fatalf("webgpu deal offered to %s (executor %q); want the GPU provider %s", d.Provider, d.Open.ExecutorName(), gpu.Address())
	}
	if d := m.deal(m.open(dealOpen(m.state.Epoch() + 30))); d.Provider != m.providers[0].Address() || d.Open.ExecutorName() != ExecutorWASI {
		t.Fatalf("WASI deal offered to %s (executor %q); want the cheapest", d.Provider, d.Open.ExecutorName())
	}
}

// TestDealOpenRefusals checks that a deal's environment and limits are checked at the
// edge, before anything is escrowed.
func TestDealOpenRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*DealOpen)
		want string // in the error; "" accepted
	}{
		{"env", func(o *DealOpen) { o.Env = []string{"A=1", "B=", "C=x=y"} }, ""},
		{"env without =", func(o *DealOpen) { o.Env = []string{"A"} }, `environment variable "A" is not NAME=value`},
		{"env without a name", func(o *DealOpen) { o.Env = []string{"=1"} }, "is not NAME=value"},
		{"env with NUL", func(o *DealOpen) { o.Env = []string{"A=\x00"} }, "is not NAME=value"},
		{"env twice", func(o *DealOpen) { o.Env = []string{"A=1", "A=2"} }, "environment variable A twice"},
		{"too many env", func(o *DealOpen) { o.Env = make([]string, MaxArgs+1) }, "more than 64 environment variables"},
		{"tree without input", func(o *DealOpen) { o.Input, o.InputTree = Hash{}, true }, "an input tree without an input"},
		{"memory over", func(o *DealOpen) { o.Limits.MemoryMiB = MaxDealMemoryMiB + 1 }, "a memory limit of 4097 MiB, over the 4096 MiB"},
		{"time over", func(o *DealOpen) { o.Limits.WallTimeMs = MaxDealWallTimeMs + 1 }, "a wall-time limit of 3600001 ms, over the 3600000 ms"},
		{"files over", func(o *DealOpen) { o.Limits.OutputFiles = MaxDealOutputFiles + 1 }, "a cap of 100001 files in /output, over the 100000"},
		{"webgpu", func(o *DealOpen) { o.Executor = ExecutorWebGPU }, ""},
		{"wasi spelled out", func(o *DealOpen) { o.Executor = ExecutorWASI }, `executor "wasi-p1": a deal names none (wasi-p1) or webgpu`},
		{"unknown executor", func(o *DealOpen) { o.Executor = "cuda" }, `executor "cuda"`},
		{"at the bounds", func(o *DealOpen) {
			o.Limits.MemoryMiB, o.Limits.WallTimeMs, o.Limits.OutputFiles = MaxDealMemoryMiB, MaxDealWallTimeMs, MaxDealOutputFiles
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := dealOpen(100)
			tc.edit(o)
			err := o.validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("validate: %v, want %q", err, tc.want)
			}
		})
	}
	b := providerBody(2, 2)
	b.Spec.MaxWallTimeMs = MaxDealWallTimeMs + 1
	if err := b.validate(); err == nil || !strings.Contains(err.Error(), "a longest wall time of 3600001 ms") {
		t.Fatalf("provider with a longest wall time over the bound: %v", err)
	}
}

// TestStepDealReplays checks that a party replaying its deals from the blocks alone
// (StepDeal on a copy seeded from the DealOpen) computes the payouts Apply made.
func TestStepDealReplays(t *testing.T) {
	m := newMarketNet(t)
	start := len(m.blocks)
	ids := []Hash{m.open(dealOpen(m.state.Epoch() + 20)), m.open(dealOpen(m.state.Epoch() + 20))}
	m.send(m.providers[0], &DealAccept{Deal: ids[0], Price: 20, Deposit: 160})
	m.send(m.providers[0], &DealAccept{Deal: ids[1], Price: 20, Deposit: 160})
	m.send(m.providers[0], &ResultPost{Deal: ids[0], Output: Hash{3}, Status: StatusOK})
	m.send(m.providers[0], &ResultPost{Deal: ids[1], Output: Hash{3}, Status: StatusOK})
	m.send(m.buyer, &ResultAccept{Deal: ids[0]})
	m.send(m.buyer, &ResultReject{Deal: ids[1]})
	med := m.deal(ids[1]).Mediator
	for _, k := range m.trustees {
		if k.Public() == med {
			m.step(nil, nil, m.tx(k, 0, &Verdict{Deal: ids[1], ProviderAtFault: true}))
		}
	}
	replica := map[Hash]*Deal{}
	for _, b := range m.blocks[start:] {
		for i := range b.Payload {
			tx := &b.Payload[i]
			body, err := tx.DecodeBody()
			if err != nil {
				t.Fatal(err)
			}
			if o, ok := body.(*DealOpen); ok {
				replica[tx.Hash()] = &Deal{ID: tx.Hash(), Buyer: tx.Sender(), Open: *o, Phase: PhaseOpen, Escrow: o.MaxPrice + o.BuyerDeposit}
				continue
			}
			if d := replica[dealOf(body)]; d != nil {
				StepDeal(d, tx.From, body, b.Header.Epoch)
			}
		}
	}
	for _, id := range ids {
		want := m.deal(id)
		got := replica[id]
		if got.Outcome != want.Outcome || got.Escrow != 0 || len(got.Payouts) != len(want.Payouts) {
			t.Fatalf("replica of %s: %s with %d payouts, state: %s with %d", id.Short(), got.Outcome, len(got.Payouts), want.Outcome, len(want.Payouts))
		}
		for i := range got.Payouts {
			if got.Payouts[i] != want.Payouts[i] {
				t.Fatalf("payout %d of %s: replica %+v, state %+v", i, id.Short(), got.Payouts[i], want.Payouts[i])
			}
		}
	}
}

func FuzzDecodeDeal(f *testing.F) {
	d := Deal{ID: Hash{1}, Open: *dealOpen(9), Phase: PhaseAccepted, Tried: []keys.Address{{2}}, Payouts: []Payout{{Amount: 3, Kind: PayoutSale}}}
	f.Add(EncodeDeal(&d))
	f.Add(encode(&Provider{Spec: ProviderSpec{Cores: 1}, Deals: []Hash{{4}}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		if d, err := DecodeDeal(data); err == nil {
			wantRoundTrip(t, "deal", data, EncodeDeal(d))
		} else {
			wantErr(t, "DecodeDeal", err)
		}
		if p, err := DecodeProvider(data); err == nil {
			wantRoundTrip(t, "provider", data, encode(p))
		} else {
			wantErr(t, "DecodeProvider", err)
		}
	})
}

// TestDealStatusString checks the names the control API and the screens show.
func TestDealStatusString(t *testing.T) {
	for _, c := range []struct {
		s    DealStatus
		want string
	}{{0, ""}, {StatusOK, "ok"}, {StatusFailed, "failed"}, {StatusLimit, "limit"}} {
		if got := c.s.String(); got != c.want {
			t.Errorf("DealStatus(%d) = %q, want %q", c.s, got, c.want)
		}
	}
}

// TestAvoid: the solver never offers a deal to a provider the deal avoids, even the
// cheapest with a free slot; a deal that avoids every provider that fits waits, saying
// so.
func TestAvoid(t *testing.T) {
	m := newMarketNet(t)
	o := dealOpen(m.state.Epoch() + 10)
	o.Avoid = []keys.Address{m.providers[0].Address()}
	if d := m.deal(m.open(o)); d.Provider != m.providers[1].Address() {
		t.Fatalf("offered to %s, want the second provider: the cheapest is avoided", d.Provider)
	}
	all := dealOpen(m.state.Epoch() + 10)
	for _, p := range m.providers {
		all.Avoid = append(all.Avoid, p.Address())
	}
	if d := m.deal(m.open(all)); !d.Provider.IsZero() || d.Reason != "all 3 providers that fit are busy, paused, left out by the buyer, or let this deal's offer lapse" {
		t.Fatalf("offered to %s, reason %q", d.Provider, d.Reason)
	}
	many := dealOpen(m.state.Epoch() + 10)
	many.Avoid = make([]keys.Address, MaxAvoid+1)
	if err := ValidateBody(many); err == nil {
		t.Fatal("a deal avoiding more than MaxAvoid providers passed")
	}
}
