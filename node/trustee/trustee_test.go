package trustee

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/store"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	mocknet "github.com/libp2p/go-libp2p/p2p/net/mock"
	ma "github.com/multiformats/go-multiaddr"
)

const waitFor = 60 * time.Second

func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func fastGossip() *pubsub.GossipSubParams {
	p := pubsub.DefaultGossipSubParams()
	p.HeartbeatInitialDelay = 10 * time.Millisecond
	p.HeartbeatInterval = 50 * time.Millisecond
	return &p
}

// mockTrustees builds n trustees of a chaintest chain on injected mocknet hosts,
// all connected, with short DCC windows.
func mockTrustees(t *testing.T, n int) []*Trustee {
	t.Helper()
	g := chaintest.Config{Trustees: n}.Genesis()
	g.Time = time.Now().Add(-time.Second).UTC()
	g.Params.PhiMs, g.Params.DeltaMs, g.Params.CycleMs = 100, 50, 200
	mn := mocknet.New()
	t.Cleanup(func() { mn.Close() })
	var out []*Trustee
	for i := range n {
		k := chaintest.TrusteeKey(i)
		priv, err := p2p.PrivKey(k)
		if err != nil {
			t.Fatal(err)
		}
		h, err := mn.AddPeer(priv, ma.StringCast(fmt.Sprintf("/ip4/10.0.0.%d/tcp/4001", i+1)))
		if err != nil {
			t.Fatal(err)
		}
		nw, err := p2p.New(h, p2p.Config{ChainID: g.ChainID, PingInterval: -1, ReconnectInterval: -1, GossipParams: fastGossip()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nw.Close() })
		st, err := store.Open(filepath.Join(t.TempDir(), DBFile), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if err := st.Init(g); err != nil {
			t.Fatal(err)
		}
		tr, err := New(Options{Key: k, Store: st, Net: nw})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tr)
	}
	if err := mn.LinkAll(); err != nil {
		t.Fatal(err)
	}
	if err := mn.ConnectAllButSelf(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMocknetCertifies runs four trustees on injected hosts: they certify identical
// blocks, and each stops cleanly when its context ends.
func TestMocknetCertifies(t *testing.T) {
	ts := mockTrustees(t, 4)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make([]error, len(ts))
	for i, tr := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = tr.Run(ctx)
		}()
	}
	poll(t, "height 10 everywhere", func() bool {
		for _, tr := range ts {
			if tr.Status().Height < 10 {
				return false
			}
		}
		return true
	})
	cancel()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("trustee %d: %v", i, err)
		}
	}
	for h := uint64(1); h <= 10; h++ {
		want, err := ts[0].store.Block(h)
		if err != nil {
			t.Fatal(err)
		}
		for i, tr := range ts[1:] {
			got, err := tr.store.Block(h)
			if err != nil {
				t.Fatal(err)
			}
			if got.Hash() != want.Hash() {
				t.Fatalf("block %d differs on trustee %d", h, i+1)
			}
		}
	}
	if err := ts[0].Run(context.Background()); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("second Run: %v", err)
	}
}

// TestConsensusEdge checks that bytes that are not a valid consensus message are
// refused at the edge as bad input, which penalizes the sender.
func TestConsensusEdge(t *testing.T) {
	tr := mockTrustees(t, 4)[0]
	for _, data := range [][]byte{nil, {0xff}, Encode(&SyncRequest{Height: 1})} {
		if err := tr.onConsensus(context.Background(), "", data); !errors.Is(err, p2p.ErrBadInput) {
			t.Fatalf("%x: %v", data, err)
		}
	}
}
