package luck

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/dcc"
	"github.com/daolicloud/daoli/node/keys"
)

// A chain run end to end: miners mine with the Miner, a trustee admits their tickets
// in a Pool timed by its DCC, the winner rule picks the block's tickets, chain.Propose
// and chain.Apply accept them, and every node's NextTarget agrees with the state's.
func TestChainRun(t *testing.T) {
	trustees := []*keys.Key{testKey("trustee", 0), testKey("trustee", 1), testKey("trustee", 2), testKey("trustee", 3)}
	var miners []*keys.Key
	for i := range 6 {
		miners = append(miners, testKey("chain miner", i))
	}
	g := &chain.Genesis{
		ChainID: testChain,
		Time:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Params: chain.Params{
			CycleMs: 2000, PhiMs: 1000, DeltaMs: 500,
			KStar: 4, Payroll: 3, Reward: 1000, MinBond: 10,
			MembershipInterval: 1000, MaxTrustees: 7, UnbondDelay: 3,
			InitialTarget: targetOneIn(8),
		},
	}
	for i, k := range trustees {
		g.Trustees = append(g.Trustees, chain.GenesisTrustee{Key: k.Public(), Payout: k.Address(), Bond: 10,
			Addrs: []string{fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", 4001+i)}})
	}
	st, err := g.State()
	if err != nil {
		t.Fatal(err)
	}
	params := st.Params()
	clock, err := dcc.New(dcc.ConfigOf(&params))
	if err != nil {
		t.Fatal(err)
	}
	// The trustee's clock runs 10 % fast; blocks arrive 50 ms after certification.
	local := func(ts int64) time.Duration {
		return time.Duration((ts - params.GenesisTime + int64(50*time.Millisecond)) * 11 / 10)
	}
	if err := clock.Observe(0, params.GenesisTime, local(params.GenesisTime)); err != nil {
		t.Fatal(err)
	}

	head := g.Block(st).Header
	miner := NewMiner(MinerConfig{Workers: 2})
	var lastCert *chain.Cert
	for e := uint64(1); e <= 15; e++ {
		l := LotteryAfter(&head, params.KStar)
		if l.Target != st.Meta().Target || l.Parent != st.Tip() || l.Epoch != e {
			t.Fatalf("epoch %d: lottery %+v disagrees with the state", e, l)
		}
		w, err := clock.Window()
		if err != nil {
			t.Fatal(err)
		}
		pool, err := NewPool(l, w)
		if err != nil {
			t.Fatal(err)
		}
		// Epochs 3 and 4 draw fewer miners, so retargeting has something to do.
		active := miners
		if e == 3 || e == 4 {
			active = miners[:1]
		}
		for _, k := range active {
			tk, err := miner.MineTicket(t.Context(), k, l, k.Address())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pool.Add(tk.KeyBlock, w.Start()+10*time.Millisecond); err != nil {
				t.Fatalf("epoch %d: %v", e, err)
			}
		}
		late := mine(testKey("late miner", 0), l)
		if _, err := pool.Add(late.KeyBlock, w.AdmitUntil()+1); !errors.Is(err, ErrTooLate) {
			t.Fatalf("epoch %d: a late ticket: %v", e, err)
		}
		sel, err := SelectWinner([][]Ticket{pool.Best(int(params.Payroll) + 1)}, int(params.Payroll))
		if err != nil {
			t.Fatal(err)
		}
		p := chain.Proposal{Time: params.GenesisTime, LastCert: lastCert, Tickets: uint32(pool.Len())}
		if sel.Winner != nil {
			p.Winner = sel.Winner.KeyBlock
		}
		for _, tk := range sel.Payroll {
			p.Payroll = append(p.Payroll, *tk.KeyBlock)
		}
		b, _, _, err := chain.Propose(st, p)
		if err != nil {
			t.Fatalf("epoch %d: propose: %v", e, err)
		}
		next, _, err := chain.Apply(st, b)
		if err != nil {
			t.Fatalf("epoch %d: apply: %v", e, err)
		}
		if got := NextTarget(&b.Header, params.KStar); got != next.Meta().Target {
			t.Fatalf("epoch %d: NextTarget %s, state %s", e, got.Short(), next.Meta().Target.Short())
		}
		// Certify at 2 s per epoch and feed the DCC.
		var votes []*chain.Vote
		ts := params.GenesisTime + int64(e)*int64(2*time.Second)
		for i, k := range trustees {
			v := &chain.Vote{Kind: chain.Precommit, ChainID: testChain, Epoch: e, Block: b.Hash(), Time: ts + int64(i-1)}
			v.Sign(k)
			votes = append(votes, v)
		}
		if lastCert, err = chain.NewCert(votes); err != nil {
			t.Fatal(err)
		}
		if err := clock.Observe(e, lastCert.MedianTime(), local(lastCert.MedianTime())); err != nil {
			t.Fatal(err)
		}
		st, head = next, b.Header
	}
	if gc := clock.GlobalCycle(); gc != 2*time.Second {
		t.Fatalf("GC %v after a run at 2 s per epoch", gc)
	}
	if r := float64(clock.GlobalCycle()) / float64(clock.PrivateCycle()); r < 0.909 || r > 0.910 {
		t.Fatalf("GC/PC %v for a clock 10 %% fast", r)
	}
}
