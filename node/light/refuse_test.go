package light

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/dcc"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/store"
	"github.com/daolicloud/daoli/node/wire"
)

// offlineNode is a Node without a network: blocks are handed to it as gossip would.
func offlineNode(t testing.TB, net *chaintest.Net, logs *nodetest.Buffer) *Node {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), DBFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.InitLight(net.Genesis); err != nil {
		t.Fatal(err)
	}
	gst, err := net.Genesis.State()
	if err != nil {
		t.Fatal(err)
	}
	p := gst.Params()
	cal, err := dcc.New(dcc.ConfigOf(&p))
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{log: slog.New(slog.NewTextHandler(logs, nil)), store: st, params: p, base: time.Now(),
		fol: newFollower(t, net), cal: cal, me: net.Users[0].Address(), tips: make(chan chain.Header, 1)}
	n.publishStatus("")
	return n
}

// TestNodeRefusesForgedGossip hands a light node forged blocks as if gossiped: each
// is refused with a log line that says why, nothing is stored and no earning counted,
// and the genuine block is accepted afterwards.
func TestNodeRefusesForgedGossip(t *testing.T) {
	net, ls := testChain(t, chaintest.Config{Trustees: 4}, 3)
	logs := new(nodetest.Buffer)
	n := offlineNode(t, net, logs)
	for _, l := range ls[:2] {
		n.onGossip(t.Context(), gossipBlock{cb: &wire.CertifiedBlock{Block: *l.Block, Cert: *l.Cert}, recv: -1})
	}
	if n.Height() != 2 {
		t.Fatalf("height %d after two genuine blocks", n.Height())
	}
	before := n.wallet.snapshot()
	good := ls[2]
	forged := []struct {
		name, why string
		cb        wire.CertifiedBlock
	}{
		{"bad signature", "bad signature", func() wire.CertifiedBlock {
			c := *cloneCert(t, good.Cert)
			c.Sigs[0].Sig[0] ^= 1
			return wire.CertifiedBlock{Block: *good.Block, Cert: c}
		}()},
		{"certificate from non-trustees", "is not a trustee", func() wire.CertifiedBlock {
			c, err := chaintest.Certify(net.Config.ChainID, good.Block, []*keys.Key{chaintest.Key("x", 0), chaintest.Key("x", 1), chaintest.Key("x", 2)})
			if err != nil {
				t.Fatal(err)
			}
			return wire.CertifiedBlock{Block: *good.Block, Cert: *c}
		}()},
		{"certificate of another block", "certifies epoch", func() wire.CertifiedBlock {
			b := clone(t, good.Block)
			b.Payload = b.Payload[1:]
			b.Header.PayloadRoot = chain.PayloadRoot(b.Payload)
			return wire.CertifiedBlock{Block: *b, Cert: *good.Cert}
		}()},
		{"reordered payroll", "payroll root", func() wire.CertifiedBlock {
			b := clone(t, good.Block)
			b.Payroll[0], b.Payroll[1] = b.Payroll[1], b.Payroll[0]
			return wire.CertifiedBlock{Block: *b, Cert: *good.Cert}
		}()},
	}
	for _, f := range forged {
		n.onGossip(t.Context(), gossipBlock{cb: &f.cb, recv: -1})
		if n.Height() != 2 {
			t.Fatalf("%s: accepted", f.name)
		}
		if !strings.Contains(logs.String(), "block refused") || !strings.Contains(logs.String(), f.why) {
			t.Fatalf("%s: no log line saying %q:\n%s", f.name, f.why, logs.String())
		}
		if tip, _, _ := n.store.Tip(); tip != 2 {
			t.Fatalf("%s: stored up to %d", f.name, tip)
		}
	}
	if after := n.wallet.snapshot(); after != before {
		t.Fatalf("forged blocks changed the wallet: %+v → %+v", before, after)
	}
	n.onGossip(t.Context(), gossipBlock{cb: &wire.CertifiedBlock{Block: *good.Block, Cert: *good.Cert}, recv: -1})
	if n.Height() != 3 {
		t.Fatal("the genuine block was not accepted after the forgeries")
	}
}

// FuzzValidateBlock feeds the blocks topic's validator arbitrary bytes, seeded with
// genuine and forged certified blocks: it never panics, and what it accepts is a
// block after the tip whose certificate a quorum of the trusted set signed.
func FuzzValidateBlock(f *testing.F) {
	net, ls := testChain(f, chaintest.Config{Trustees: 4}, 3)
	n := offlineNode(f, net, new(nodetest.Buffer))
	n.log = slog.New(slog.DiscardHandler)
	for _, l := range ls {
		f.Add(wire.Encode(&wire.CertifiedBlock{Block: *l.Block, Cert: *l.Cert}))
		c := *l.Cert
		c.Sigs = append([]chain.CertSig(nil), c.Sigs...)
		c.Sigs[0].Sig = append([]byte(nil), c.Sigs[0].Sig...)
		c.Sigs[0].Sig[0] ^= 1
		f.Add(wire.Encode(&wire.CertifiedBlock{Block: *l.Block, Cert: c}))
	}
	set := n.fol.Set()
	f.Fuzz(func(t *testing.T, data []byte) {
		v, verdict := n.validateBlock(context.Background(), "", data)
		if verdict != p2p.Accept {
			return
		}
		cb := v.(*wire.CertifiedBlock)
		if e := cb.Block.Header.Epoch; e == 0 || e > uint64(len(ls)) {
			t.Fatalf("accepted a block at height %d", e)
		}
		col := new(sigCollector)
		if err := cb.Cert.AddTo(col, net.Config.ChainID, cb.Block.Header.Epoch, cb.Block.Hash(), set); err != nil {
			t.Fatalf("accepted a block whose certificate does not check: %v", err)
		}
		if verifySigs(col.refs[:chain.Quorum(len(set))], nil) >= 0 {
			t.Fatal("accepted a block with a bad signature in its certificate's quorum")
		}
	})
}
