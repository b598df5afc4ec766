package trustee_test

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/devnet"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/luck"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/trustee"
	"github.com/daolicloud/daoli/node/wire"
	"github.com/libp2p/go-libp2p/core/peer"
)

const waitFor = 60 * time.Second

func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	nodetest.Poll(t, time.Now().Add(waitFor), what, cond)
}

// client is a light node's side of the services: a host of its own on loopback.
type client struct {
	t      *testing.T
	net    *p2p.Network
	protos p2p.Protocols
	server peer.ID
}

func (c *client) request(proto p2p.StreamSpec, req, resp any, limit int) error {
	c.t.Helper()
	raw, err := c.net.Request(context.Background(), c.server, proto.ID, wire.Encode(req))
	if err != nil {
		return err
	}
	return wire.Decode(raw, resp, limit)
}

// TestServices runs one trustee and uses every service a light node needs: submit a
// transfer and a KeyBlock, sync the certified blocks, and check an account proof
// against a certified header.
func TestServices(t *testing.T) {
	dir := t.TempDir()
	nf, err := devnet.Genesis(dir, 1, devnet.Options{Phi: 300 * time.Millisecond, Delta: 200 * time.Millisecond, Cycle: 600 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := devnet.Start(ctx, dir, trustee.NodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	node := d.Nodes[0]

	ck, err := keys.Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	h, err := p2p.NewHost(p2p.HostConfig{Key: ck, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	cn, err := p2p.New(h, p2p.Config{ChainID: nf.ChainID, PingInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer cn.Close()
	if err := cn.Connect(ctx, peer.AddrInfo{ID: node.Host.ID(), Addrs: node.Host.Addrs()}); err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, net: cn, protos: cn.Protocols(), server: node.Host.ID()}
	syncSpec := p2p.StreamSpec{ID: c.protos.Sync}
	proofSpec := p2p.StreamSpec{ID: c.protos.Proof}
	submitSpec := p2p.StreamSpec{ID: c.protos.Submit}
	clockSpec := p2p.StreamSpec{ID: c.protos.Clock}

	clock := func() wire.ClockSample {
		var s wire.ClockSample
		if err := c.request(clockSpec, &wire.ClockRequest{}, &s, p2p.ClockResponseLimit); err != nil {
			t.Fatal(err)
		}
		return s
	}
	poll(t, "height 1", func() bool { return clock().Height >= 1 })
	if s := clock(); time.Since(time.Unix(0, s.Time)).Abs() > 5*time.Second {
		t.Fatalf("clock sample %v is far from now", time.Unix(0, s.Time))
	}

	// A transfer from demo user 0 to user 1.
	user0, err := keys.LoadKeyFile(devnet.UserKeyFile(dir, 0))
	if err != nil {
		t.Fatal(err)
	}
	user1, err := keys.LoadKeyFile(devnet.UserKeyFile(dir, 1))
	if err != nil {
		t.Fatal(err)
	}
	tx := chain.NewTx(user0, nf.ChainID, 0, 1, &chain.Transfer{To: user1.Address(), Amount: 7})
	var ack wire.SubmitResponse
	if err := c.request(submitSpec, &wire.SubmitRequest{Tx: tx}, &ack, p2p.SubmitResponseLimit); err != nil {
		t.Fatal(err)
	}
	if ack.Hash != tx.Hash() {
		t.Fatalf("acknowledged %s, submitted %s", ack.Hash.Short(), tx.Hash().Short())
	}
	// The same transaction again is refused, and a forged one is refused as bad input.
	if err := c.request(submitSpec, &wire.SubmitRequest{Tx: tx}, &ack, p2p.SubmitResponseLimit); !errors.Is(err, p2p.ErrRemote) {
		t.Fatalf("second submission: %v", err)
	}

	// The account proof shows the transfer once it is certified, and verifies against
	// the certified header of its height.
	var pr wire.ProofResponse
	poll(t, "the transfer certified", func() bool {
		if err := c.request(proofSpec, &wire.ProofRequest{Address: user1.Address()}, &pr, p2p.ProofResponseLimit); err != nil {
			t.Fatal(err)
		}
		return pr.Account.Balance == devnet.DefaultBalance+7
	})
	genesis, err := nf.Genesis.State()
	if err != nil {
		t.Fatal(err)
	}
	set := genesis.Active()
	var cb wire.CertifiedBlock
	if err := c.request(syncSpec, &wire.SyncRequest{Height: pr.Height}, &cb, p2p.SyncResponseLimit); err != nil {
		t.Fatal(err)
	}
	if err := cb.Cert.Verify(nf.ChainID, pr.Height, cb.Block.Hash(), set); err != nil {
		t.Fatalf("certificate of block %d: %v", pr.Height, err)
	}
	acct, err := chain.VerifyAccount(cb.Block.Header.StateRoot, user1.Address(), &pr.Proof)
	if err != nil {
		t.Fatal(err)
	}
	if acct.Balance != devnet.DefaultBalance+7 {
		t.Fatalf("proven balance %d", acct.Balance)
	}

	// Every block up to that height syncs and chains to its parent.
	parent := nf.Genesis.Block(genesis).Hash()
	for height := uint64(1); height <= pr.Height; height++ {
		var b wire.CertifiedBlock
		if err := c.request(syncSpec, &wire.SyncRequest{Height: height}, &b, p2p.SyncResponseLimit); err != nil {
			t.Fatal(err)
		}
		if b.Block.Header.Parent != parent {
			t.Fatalf("block %d does not follow block %d", height, height-1)
		}
		parent = b.Block.Hash()
	}
	if err := c.request(syncSpec, &wire.SyncRequest{Height: 1 << 40}, &cb, p2p.SyncResponseLimit); !errors.Is(err, p2p.ErrRemote) {
		t.Fatalf("sync beyond the tip: %v", err)
	}

	// A KeyBlock mined for the open epoch wins it: the only ticket is the luckiest.
	won := false
	for attempt := 0; attempt < 5 && !won; attempt++ {
		tipH := clock().Height
		var tip wire.CertifiedBlock
		if err := c.request(syncSpec, &wire.SyncRequest{Height: tipH}, &tip, p2p.SyncResponseLimit); err != nil {
			t.Fatal(err)
		}
		l := luck.LotteryAfter(&tip.Block.Header, nf.Genesis.Params.KStar)
		kb, beta := chain.NewKeyBlock(user0, l.ChainID, l.Epoch, l.Parent, user0.Address())
		prefix := chain.WorkPrefix(l.ChainID, l.Epoch, l.Parent, kb.Miner, beta[:])
		for !chain.Admitted(chain.Work(prefix, kb.Nonce), l.Target) {
			kb.Nonce++
		}
		kb.Sign(user0)
		if err := c.request(submitSpec, &wire.SubmitRequest{KeyBlock: kb}, &ack, p2p.SubmitResponseLimit); err != nil {
			continue // the epoch closed meanwhile; mine for the next
		}
		poll(t, "the ticket's epoch certified", func() bool { return clock().Height >= l.Epoch })
		var b wire.CertifiedBlock
		if err := c.request(syncSpec, &wire.SyncRequest{Height: l.Epoch}, &b, p2p.SyncResponseLimit); err != nil {
			t.Fatal(err)
		}
		if b.Block.Winner == nil || b.Block.Winner.Hash() != kb.Hash() {
			t.Fatalf("block %d: the submitted ticket did not win", l.Epoch)
		}
		won = true
	}
	if !won {
		t.Fatal("no KeyBlock could be submitted in its epoch")
	}
}
